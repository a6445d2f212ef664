// Which MariaDB statements may share a transaction with their progress record.
#include "migrate/mariadb_dml.h"

#include <array>
#include <cctype>
#include <string>

namespace cutover::migrate {
namespace {

// Skips blanks and comments (-- , #, /* */); stops at an executable comment /*! or /*M!, which
// is code.
std::size_t skip_blanks_and_comments(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size()) {
    unsigned char c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (sql.substr(i, 2) == "--" || c == '#') {
      std::size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(i, 2) == "/*" && sql.substr(i, 3) != "/*!" &&
               sql.substr(i, 4) != "/*M!") {
      std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

bool is_mariadb_dml(std::string_view sql) {
  std::size_t start = skip_blanks_and_comments(sql);
  std::string word;
  for (std::size_t i = start; i < sql.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(sql[i]);
    if (!std::isalpha(c)) break;
    word += static_cast<char>(std::toupper(c));
  }
  static constexpr std::array<std::string_view, 8> kDml = {"INSERT", "REPLACE", "UPDATE", "DELETE",
                                                           "SELECT", "WITH",    "VALUES", "TABLE"};
  for (std::string_view dml : kDml) {
    if (word == dml) return true;
  }
  return false;
}

}  // namespace cutover::migrate
