// `${name}` placeholders in migration scripts, filled from `--placeholder name=value`.
#include "migrate/placeholders.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace cutover::migrate {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == ':';
}

int line_of(std::string_view text, size_t offset) {
  const std::string_view before = text.substr(0, offset);
  return 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
}

[[noreturn]] void throw_missing_value(std::string_view file_name, int line, std::string_view name) {
  const auto what = fmt::format("{}:{}: no value for placeholder ${{{}}}", file_name, line, name);
  if (name.starts_with("flyway:")) {
    throw_bad_input(what + " (Flyway's built-in placeholders are not supported)",
                    fmt::format("pass the value yourself: --placeholder {}=<value>", name));
  }
  throw_bad_input(what, fmt::format("pass --placeholder {}=<value>", name));
}

}  // namespace

std::pair<std::string, std::string> parse_placeholder_assignment(std::string_view argument) {
  const auto equals = argument.find('=');
  const std::string_view name = argument.substr(0, equals);
  if (equals == std::string_view::npos || name.empty() ||
      !std::all_of(name.begin(), name.end(), is_name_char)) {
    throw_bad_input(fmt::format("bad --placeholder '{}'", argument),
                    "write --placeholder name=value; a name is letters, digits, '_', '.', '-' "
                    "and ':'");
  }
  return {std::string(name), std::string(argument.substr(equals + 1))};
}

std::string replace_placeholders(std::string_view text, const Placeholders& values,
                                 std::string_view file_name) {
  std::string out;
  out.reserve(text.size());
  size_t done = 0;  // text before this offset is already in `out`
  size_t search = 0;
  for (size_t start; (start = text.find("${", search)) != std::string_view::npos;) {
    search = start + 2;
    const auto close = text.find_first_of("}\r\n", search);
    if (close == std::string_view::npos || text[close] != '}' || close == search) continue;
    const std::string_view name = text.substr(search, close - search);
    const auto value = values.find(name);
    if (value == values.end()) throw_missing_value(file_name, line_of(text, start), name);
    out.append(text.substr(done, start - done)).append(value->second);
    done = search = close + 1;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace cutover::migrate
