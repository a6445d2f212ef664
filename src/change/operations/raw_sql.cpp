// sql (raw SQL): statements of the user's own, run at start, on rollback and on complete, for
// what the other operations do not cover (functions, types, extensions, data fixes).
//
//   - sql:
//       up: "CREATE TABLE IF NOT EXISTS audit (id bigserial PRIMARY KEY, note text)"
//       down: "DROP TABLE IF EXISTS audit"
//       complete: "COMMENT ON TABLE audit IS 'kept'"      # optional
//
// `up` runs at start (before the backfill), `down` on rollback, `complete` (optional) on
// complete. Each is a script of one or more statements separated by `;`, split with
// PostgreSQL's own parser; each statement is one step, run on its own (autocommit, never
// grouped with other steps, so CREATE INDEX CONCURRENTLY works), with the change's lock
// timeout and retries, as the old version (cutover.version unset). `down` is required: rollback
// must leave the schema as it was; it must undo whatever part of `up` ran.
//
// The statements run again when an interrupted start, rollback or complete is resumed, from
// the first statement: write them so that running them twice is harmless (IF [NOT] EXISTS,
// CREATE OR REPLACE, ...). cutover cannot see what they do: the old version must keep working
// after `up`, and whatever `up` makes in the base schema is seen by both versions.
//
// MariaDB: the scripts are split as MariaDB's client splits them, and run in cutover's session,
// whose sql_mode has ANSI_QUOTES (double quotes are names: write strings in single quotes).
// MariaDB commits each DDL statement on its own, which makes `down` all the more necessary.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "core/error.h"
#include "db/statement.h"

namespace cutover::change {
namespace {

class RawSql : public Operation {
 public:
  explicit RawSql(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    up_ = args.string("up");
    down_ = args.string("down");
    complete_ = args.optional_string("complete");
    args.reject_unknown();
    // Refused when read, whatever the database: each dialect splits these the same way.
    find(db::Flavor::kPostgres, "up", up_);
    find(db::Flavor::kPostgres, "down", down_);
    if (complete_) find(db::Flavor::kPostgres, "complete", *complete_);
  }

  bool supports(db::Flavor flavor) const override { return flavor != db::Flavor::kSqlite; }

  void validate(const ChangeContext& context) const override {
    refuse_syntax_errors(context, "up", up_);
    refuse_syntax_errors(context, "down", down_);
    if (complete_) refuse_syntax_errors(context, "complete", *complete_);
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    return steps("up", split(context.flavor, "up", up_));
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    if (!complete_) return {};
    return steps("complete", split(context.flavor, "complete", *complete_));
  }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    return steps("down", split(context.flavor, "down", down_));
  }

 private:
  // PostgreSQL: a statement its parser refuses would fail at its step, after the steps before
  // it ran (on rollback, with the change half undone): refused before the first step, where
  // cutover's parser knows the server's syntax.
  void refuse_syntax_errors(const ChangeContext& context, const std::string& field,
                            const std::string& script) const {
    const std::vector<db::StatementSpan> spans = find(context.flavor, field, script);
    if (context.flavor != db::Flavor::kPostgres ||
        !db::parser_knows_server(context.server_version)) {
      return;
    }
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (auto error = db::statement_syntax_error(context.flavor, script, spans[i])) {
        throw_bad_input(fmt::format("{}: {}, statement {} (line {} of {}): {}", where(), field,
                                    i + 1, error->line, field, error->message),
                        "fix the statement; nothing has been run");
      }
    }
  }

  // Where the statements of one field are; Error(kBadInput) naming the field for a script that
  // cannot be split (an unterminated quote or comment) or that holds no statement.
  std::vector<db::StatementSpan> find(db::Flavor flavor, const std::string& field,
                                      const std::string& script) const {
    std::vector<db::StatementSpan> spans;
    try {
      spans = db::find_statements(flavor, script);
    } catch (const Error& e) {
      throw_bad_input(fmt::format("{}: {}: {}", where(), field, e.message()), e.hint());
    }
    if (spans.empty()) {
      throw_bad_input(fmt::format("{}: {} holds no SQL statement", where(), field),
                      fmt::format("write the SQL to run in `{}`", field));
    }
    return spans;
  }

  // The statements of one field, as find() finds them.
  std::vector<db::Statement> split(db::Flavor flavor, const std::string& field,
                                   const std::string& script) const {
    return db::statements_of(script, find(flavor, field, script));
  }

  std::vector<Step> steps(const std::string& field,
                          const std::vector<db::Statement>& statements) const {
    std::vector<Step> out;
    for (std::size_t i = 0; i < statements.size(); ++i) {
      std::string what = statements.size() == 1
                             ? fmt::format("sql {}", field)
                             : fmt::format("sql {}, statement {} (line {} of {})", field, i + 1,
                                           statements[i].line, field);
      out.push_back(
          {.what = std::move(what), .sql = statements[i].text, .outside_transaction = true});
    }
    return out;
  }

  std::string up_;
  std::string down_;
  std::optional<std::string> complete_;
};

}  // namespace

std::unique_ptr<Operation> make_raw_sql(const OperationSpec& spec) {
  return std::make_unique<RawSql>(spec);
}

}  // namespace cutover::change
