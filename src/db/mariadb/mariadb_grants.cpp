// Whether the session's user may create tables, read from SHOW GRANTS.
#include "db/mariadb/mariadb_grants.h"

#include <cctype>
#include <optional>
#include <vector>

namespace cutover::db::mariadb {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "SELECT (a, b), CREATE" -> {"SELECT (a, b)", "CREATE"}: commas inside column lists do not
// separate privileges.
std::vector<std::string_view> split_privileges(std::string_view list) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || (list[i] == ',' && depth == 0)) {
      out.push_back(trim(list.substr(start, i - start)));
      start = i + 1;
    } else if (list[i] == '(') {
      ++depth;
    } else if (list[i] == ')') {
      --depth;
    }
  }
  return out;
}

bool grants_create(std::string_view privileges) {
  for (std::string_view privilege : split_privileges(privileges)) {
    if (privilege == "CREATE" || privilege == "ALL" || privilege == "ALL PRIVILEGES") return true;
  }
  return false;
}

// A database pattern of a grant as in mysql.db: % and _ are wildcards, \ escapes.
bool matches_pattern(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern.front() == '%') {
    for (std::size_t skip = 0; skip <= name.size(); ++skip) {
      if (matches_pattern(pattern.substr(1), name.substr(skip))) return true;
    }
    return false;
  }
  if (name.empty()) return false;
  if (pattern.front() == '\\' && pattern.size() > 1) {
    return pattern[1] == name.front() && matches_pattern(pattern.substr(2), name.substr(1));
  }
  if (pattern.front() == '_' || pattern.front() == name.front()) {
    return matches_pattern(pattern.substr(1), name.substr(1));
  }
  return false;
}

// "`app`.*" -> "app" (doubled backticks undone); nullopt for anything but a whole database.
std::optional<std::string> database_of(std::string_view object) {
  if (object.size() < 5 || object.front() != '`' || object.substr(object.size() - 3) != "`.*") {
    return std::nullopt;
  }
  std::string_view quoted = object.substr(1, object.size() - 4);
  std::string name;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    name += quoted[i];
    if (quoted[i] == '`') ++i;  // `` stands for one backtick
  }
  return name;
}

// The first `needle` at or after `from` that is not inside a `backtick-quoted` name.
std::size_t find_unquoted(std::string_view text, std::string_view needle, std::size_t from) {
  bool quoted = false;
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text[i] == '`') {
      quoted = !quoted;  // a doubled `` inside a name toggles twice: still quoted
    } else if (!quoted && text.substr(i, needle.size()) == needle) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool grant_allows_create(std::string_view grant_line, std::string_view database) {
  std::string_view line = trim(grant_line);
  if (!starts_with(line, "GRANT ")) return false;
  line.remove_prefix(6);
  const std::size_t on = line.find(" ON ");
  const std::size_t to = find_unquoted(line, " TO ", on == std::string_view::npos ? 0 : on);
  if (on == std::string_view::npos || to == std::string_view::npos) return false;  // a role
  if (!grants_create(line.substr(0, on))) return false;
  std::string_view object = trim(line.substr(on + 4, to - on - 4));
  if (object == "*.*") return true;
  if (database.empty()) return false;  // no database selected: only a global grant counts
  std::optional<std::string> pattern = database_of(object);
  return pattern && matches_pattern(*pattern, database);
}

bool may_create_tables(Connection& connection, const std::string& database) {
  Result grants = connection.query("SHOW GRANTS");
  for (const Row& row : grants.rows) {
    if (grant_allows_create(row[0].text(), database)) return true;
  }
  return false;
}

}  // namespace cutover::db::mariadb
