// Password files in the pgpass format, read as libpq reads ~/.pgpass.
#include "core/passfile.h"

namespace cutover {
namespace {

struct Field {
  std::string text;
  bool wildcard = false;  // an unescaped `*` alone
};

// The `:`-separated fields of one line, escapes resolved.
std::vector<Field> split_line(std::string_view line) {
  std::vector<Field> fields(1);
  bool escaped_star = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      c = line[++i];
      if (c == '*') escaped_star = true;
      fields.back().text += c;
    } else if (c == ':') {
      fields.emplace_back();
      escaped_star = false;
    } else {
      fields.back().text += c;
    }
    fields.back().wildcard = fields.back().text == "*" && !escaped_star;
  }
  return fields;
}

std::optional<std::string> matcher(const Field& field) {
  if (field.wildcard) return std::nullopt;
  return field.text;
}

bool matches(const std::optional<std::string>& field, const std::string& value) {
  return !field || *field == value;
}

}  // namespace

std::optional<std::vector<PassfileEntry>> parse_passfile(std::string_view text) {
  std::vector<PassfileEntry> entries;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#') continue;
    std::vector<Field> fields = split_line(line);
    if (fields.size() < 5) return std::nullopt;
    entries.push_back({matcher(fields[0]), matcher(fields[1]), matcher(fields[2]),
                       matcher(fields[3]), fields[4].text});
  }
  if (entries.empty()) return std::nullopt;
  return entries;
}

std::optional<std::string> find_passfile_password(const std::vector<PassfileEntry>& entries,
                                                  const PassfileLogin& login) {
  for (const auto& e : entries) {
    if (matches(e.host, login.host) && matches(e.port, login.port) &&
        matches(e.database, login.database) && matches(e.user, login.user)) {
      return e.password;
    }
  }
  return std::nullopt;
}

}  // namespace cutover
