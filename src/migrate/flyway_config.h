// Flyway's configuration files, read for what maps onto cutover migrate: per-script
// `V1__x.sql.conf` files and `-- flyway:` header lines, and a project's flyway.conf /
// flyway.toml.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::migrate {

// One `key=value` setting as read from a file, with where it was.
struct ConfigSetting {
  std::string key;
  std::string value;
  int line = 1;
};

// Reads Java properties text as Flyway's .conf files use it: `key=value`, `key: value` or
// `key value`, `#` and `!` comment lines, blank lines, a trailing `\` continuing a line, and
// `\\`, `\n`, `\t`, `\=`, `\:` escapes. Keys and values are trimmed. Never throws.
std::vector<ConfigSetting> parse_properties(std::string_view text);

// The subset of TOML that flyway.toml uses: `[table]` headers, `key = value` lines whose
// value is a "basic string", 'literal string', integer, true/false or a one-line array of
// strings (joined with commas, as Flyway's list settings are), inline `#` comments. Keys come
// back qualified by their table ("flyway.url", "environments.default.url",
// "flyway.placeholders.owner"); a dotted key under a table is appended to it. Throws
// Error(kBadInput) naming `source` and the line for anything else (multi-line strings and
// arrays, inline tables, dates), so that nothing is silently misread.
std::vector<ConfigSetting> parse_flyway_toml(std::string_view source, std::string_view text);

// What a script's own configuration says (a `V1__x.sql.conf` file next to it, or
// `-- flyway:key=value` lines in its header).
struct ScriptConfig {
  std::optional<bool> execute_in_transaction;
  std::vector<std::string> ignored_keys;  // every other key, to be named in a warning
};

// Applies `settings` (read from `source`, for messages) to `config`. executeInTransaction is
// honoured; other keys are added to ignored_keys. Throws Error(kBadInput) naming source and
// line when executeInTransaction is not true or false.
void apply_script_config(std::string_view source, const std::vector<ConfigSetting>& settings,
                         ScriptConfig& config);

// The settings of a project's flyway.conf or flyway.toml that cutover honours. Paths and URLs
// are converted already; whatever is unset stays empty.
struct FlywayProjectConfig {
  std::string source;                 // the file read, for messages
  std::optional<std::string> url;     // a cutover URL (postgres://, mariadb://, sqlite://)
  std::optional<std::string> dir;     // the one filesystem location
  std::optional<std::string> table;   // flyway.table
  std::optional<std::string> schema;  // flyway.defaultSchema, else the first of flyway.schemas
  std::map<std::string, std::string> placeholders;
  std::optional<bool> out_of_order;
  // flyway.baselineOnMigrate: a database with tables but no history is baselined (at
  // flyway.baselineVersion, 1 by default) before migrate applies what is above.
  bool baseline_on_migrate = false;
  std::optional<std::string> baseline_version;
  std::optional<std::string> baseline_description;
  std::optional<std::string> target;
  std::optional<bool> execute_in_transaction;
  std::vector<std::string> ignored_keys;  // named in one warning
};

// Reads a flyway.conf (`.conf`: properties) or flyway.toml (`.toml`) text; `source` is the
// file's name, `base` the folder relative locations are resolved against. For TOML, the
// `[flyway]` table and `[environments.<flyway.environment or "default">]` are read. Throws
// Error(kBadInput) naming the file and key for: a password (flyway.password, or password= in
// the URL: the hint says where passwords go), a classpath: location, several locations, a URL
// that is not jdbc:postgresql, jdbc:mariadb, jdbc:mysql or jdbc:sqlite, a bad boolean.
FlywayProjectConfig parse_flyway_project_config(std::string_view source, std::string_view text,
                                                std::string_view base = ".");

}  // namespace cutover::migrate
