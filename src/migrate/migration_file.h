// What a migration file's name and header say: Flyway names (`V<version>__<description>.sql`,
// `R__<description>.sql`) and `-- cutover: <option>` lines at the top of the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "migrate/version.h"

namespace cutover::migrate {

enum class MigrationKind {
  kVersioned,   // V<version>__<description>.sql: applied once, in version order
  kRepeatable,  // R__<description>.sql: applied again whenever its checksum changes
};

struct MigrationFileName {
  MigrationKind kind = MigrationKind::kVersioned;
  std::optional<Version> version;  // set for kVersioned only
  std::string description;         // underscores turned into spaces, as Flyway does
};

// Reads a file name (no folder). Returns nullopt for a name that does not end in `.sql` (in any
// case): such files are not migrations. Throws Error(kBadInput) naming the file and the expected
// forms for a `.sql` name that is neither `V<version>__<description>.sql` nor
// `R__<description>.sql`, or whose version does not parse. The description must not be empty.
std::optional<MigrationFileName> parse_migration_file_name(std::string_view file_name);

// Options set by `-- cutover: <key>[=<value>]` lines.
struct MigrationOptions {
  // `-- cutover: no-transaction`: run the script outside a transaction (for statements such as
  // CREATE INDEX CONCURRENTLY that refuse to run inside one).
  bool no_transaction = false;
};

// Reads the option lines of a script's header: the lines before the first one that is neither
// blank nor an SQL `--` comment. Option lines further down are ordinary comments. Throws
// Error(kBadInput) naming the file and line for an unknown key, a value given to a flag, or an
// option line without a key.
MigrationOptions parse_migration_options(std::string_view file_name, std::string_view text);

}  // namespace cutover::migrate
