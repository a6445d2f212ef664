// `${name}` placeholders in migration scripts, filled from `--placeholder name=value` and from
// Flyway's built-ins (`${flyway:defaultSchema}`, `${flyway:user}`, ...).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cutover::db {
class Connection;
}

namespace cutover::migrate {

// Placeholder values by name. Names are case-sensitive.
using Placeholders = std::map<std::string, std::string, std::less<>>;

// Parses one `--placeholder` argument `name=value` (split at the first `=`; the value may be
// empty or contain `=`). Throws Error(kBadInput) naming the argument when there is no `=` or the
// name is not made of letters, digits, `_`, `.`, `-` and `:`.
std::pair<std::string, std::string> parse_placeholder_assignment(std::string_view argument);

// Returns `text` with every `${name}` replaced by its value, in one pass: values are inserted
// as they are and never scanned again. As in Flyway, a placeholder is `${`, one or more
// characters on the same line, then the first `}`; `${}` and a `${` with no `}` on its line are
// left alone, and there is no escape (write `$` and `{...}` apart, e.g. with string
// concatenation, to keep a literal `${x}`). `${flyway:filename}` is the last part of
// `file_name` ("sub/R__x.sql" gives "R__x.sql") unless `values` holds it. Throws
// Error(kBadInput) naming `file_name`, the line and the placeholder when a placeholder has no
// value (see throw_missing_placeholders).
std::string replace_placeholders(std::string_view text, const Placeholders& values,
                                 std::string_view file_name);

// A `${name}` without a value, where it is.
struct MissingPlaceholder {
  std::string file_name;
  int line = 1;
  std::string name;
};

// Every placeholder of `text` that replace_placeholders would find no value for, in order.
std::vector<MissingPlaceholder> find_missing_placeholders(std::string_view text,
                                                          const Placeholders& values,
                                                          std::string_view file_name);

// Throws Error(kBadInput) listing every entry of `missing` (not empty) in one message, "file:line:
// no value for placeholder ${name}" each, with one hint naming every `--placeholder` to add.
[[noreturn]] void throw_missing_placeholders(const std::vector<MissingPlaceholder>& missing);

// Flyway's `${flyway:timestamp}`: `time` in local time as "yyyy-MM-dd HH:mm:ss".
std::string flyway_timestamp(std::chrono::system_clock::time_point time);

// `given` with Flyway's built-in placeholders added where `given` has no value of its own, read
// from `connection` once (Flyway's ParsingContext): `flyway:defaultSchema` (PostgreSQL:
// current_schema(); MariaDB: the current database; SQLite: "main"), `flyway:user` (PostgreSQL:
// current_user; MariaDB: the user part of USER(); SQLite: ""), `flyway:database` (PostgreSQL:
// current_database(); MariaDB: the current database; SQLite: "main"), `flyway:timestamp` (now,
// see flyway_timestamp), `flyway:table` (`history_table`) and `flyway:workingDirectory`.
// `flyway:filename` is per file: replace_placeholders fills it.
Placeholders with_builtin_placeholders(Placeholders given, db::Connection& connection,
                                       std::string_view history_table);

}  // namespace cutover::migrate
