// `${name}` placeholders in migration scripts, filled from `--placeholder name=value`.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace cutover::migrate {

// Placeholder values by name. Names are case-sensitive.
using Placeholders = std::map<std::string, std::string, std::less<>>;

// Parses one `--placeholder` argument `name=value` (split at the first `=`; the value may be
// empty or contain `=`). Throws Error(kBadInput) naming the argument when there is no `=` or the
// name is not made of letters, digits, `_`, `.` and `-`.
std::pair<std::string, std::string> parse_placeholder_assignment(std::string_view argument);

// Returns `text` with every `${name}` replaced by its value, in one pass: values are inserted
// as they are and never scanned again. As in Flyway, a placeholder is `${`, one or more
// characters on the same line, then the first `}`; `${}` and a `${` with no `}` on its line are
// left alone, and there is no escape (write `$` and `{...}` apart, e.g. with string
// concatenation, to keep a literal `${x}`). Throws Error(kBadInput) naming `file_name`, the line
// and the placeholder when a placeholder has no value; Flyway's built-ins (`${flyway:...}`) are
// refused the same way, with their own hint.
std::string replace_placeholders(std::string_view text, const Placeholders& values,
                                 std::string_view file_name);

}  // namespace cutover::migrate
