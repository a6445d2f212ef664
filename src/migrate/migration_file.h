// What a migration file's name and header say: Flyway names (`V<version>__<description>.sql`,
// `R__<description>.sql`) and `-- cutover: <option>` lines at the top of the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/flyway_config.h"
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

// Whether `name` ends in `.sql`, in any case, so that `V1__x.SQL` is read (and checked) rather
// than silently skipped.
bool ends_with_sql(std::string_view name);

// Options set by `-- cutover: <key>[=<value>]` lines.
struct MigrationOptions {
  // `-- cutover: no-transaction`: run the script outside a transaction (for statements such as
  // CREATE INDEX CONCURRENTLY that refuse to run inside one).
  // Also set by Flyway's `-- flyway:executeInTransaction=false` header line and by a
  // `V1__x.sql.conf` script configuration file holding executeInTransaction=false.
  bool no_transaction = false;
  // Flyway script settings that cutover does not honour, named for a warning.
  std::vector<std::string> warnings;
};

// Reads the option lines of a script's header: the lines before the first one that is neither
// blank nor an SQL `--` comment. Option lines further down are ordinary comments. Flyway's
// `-- flyway:<key>=<value>` lines are read there too: executeInTransaction=false means
// no-transaction; other keys are named in `warnings`. Throws Error(kBadInput) naming the file
// and line for an unknown cutover key, a value given to a flag, an option line without a key,
// or an executeInTransaction that is not true or false.
MigrationOptions parse_migration_options(std::string_view file_name, std::string_view text);

// Applies Flyway script settings (a `.sql.conf` file's, or `-- flyway:` lines) read from
// `source` to `options`, as parse_migration_options does for header lines. Same throws.
void apply_flyway_script_config(std::string_view source, const std::vector<ConfigSetting>& settings,
                                MigrationOptions& options);

}  // namespace cutover::migrate
