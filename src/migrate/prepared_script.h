// A migration script made ready to run: placeholders filled, split into statements, each
// statement classified, and grouped into the steps that are applied and recorded together.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_text.h"
#include "db/server_info.h"
#include "migrate/migration_source.h"
#include "migrate/placeholders.h"
#include "migrate/statement_rules.h"

namespace cutover::migrate {

struct ScriptStatement {
  std::string_view text;  // in its PreparedScript's sql(), which keeps it alive
  int line = 1;           // in the file
  StatementTraits traits;
};

// Statements [first, end) applied together: inside one transaction, or one statement on its
// own where it cannot run in a transaction (or it is not DML on MariaDB, which commits DDL
// implicitly, or the file says `-- cutover: no-transaction`). Progress is recorded at the end of
// each step, in the step's transaction where it has one.
struct ScriptStep {
  int first = 0;
  int end = 0;
  bool in_transaction = false;
};

// Holds the script's text once (placeholders filled; copies share it) and each statement as a
// view into it. A file without placeholders is not copied: the statements are views into the
// mapped file, whose pages are given back as they are read, so memory is a small record per
// statement whatever the file's size. A file with placeholders is held once, filled.
struct PreparedScript {
  MigrationScript script;  // the file's name, version, checksum and options; its text is cleared
  std::vector<ScriptStatement> statements;
  std::vector<ScriptStep> steps;
  SharedText sql;                              // the text the statements are views of
  std::vector<std::int32_t> prefix_checksums;  // [n]: prefix_checksum(n), n = 0..count()

  const ScriptStatement& statement(int index) const {
    return statements.at(static_cast<std::size_t>(index));
  }
  int count() const { return static_cast<int>(statements.size()); }
  // Whether the whole file runs as one transaction: nothing of it is applied unless all is.
  bool atomic() const { return steps.size() == 1 && steps.front().in_transaction; }
  // Identifies the first `count` statements (Flyway's checksum of their texts, each followed by
  // a line break), so that a partly applied file is resumed only while those statements are
  // unchanged. Computed once by prepare_script(); a count past the end counts as all.
  std::int32_t prefix_checksum(int count) const;
  // The offset in sql just past statement `index`.
  std::size_t end_of(int index) const {
    const std::string_view text = statement(index).text;
    return static_cast<std::size_t>(text.data() - sql.view().data()) + text.size();
  }
  // Gives back the memory of the text that statement `index` and those before it are read from
  // (see SharedText::release_passed), once it has run.
  void release_through(int index) const;
  // "statement 3 (line 7)", for messages.
  std::string where(int index) const;
};

// Prepares `script` for `server`. Throws Error(kBadInput) naming the file, and the statement
// and line where known, for a placeholder without a value, an unterminated quote or comment,
// and a syntax error on PostgreSQL up to the version whose parser is at hand (a later server's
// new syntax would be refused): all found before anything runs.
PreparedScript prepare_script(const MigrationScript& script, const db::ServerInfo& server,
                              const Placeholders& placeholders);

}  // namespace cutover::migrate
