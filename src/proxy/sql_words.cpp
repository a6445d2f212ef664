// A cheap look at SQL text before parsing it.
#include "proxy/sql_words.h"

#include <algorithm>
#include <cctype>

namespace cutover::proxy {

bool some_statement_starts_with(std::string_view sql,
                                std::initializer_list<std::string_view> keywords) {
  for (std::size_t at = 0; at < sql.size();) {
    while (at < sql.size()) {  // blanks and comments before the statement's first word
      if (std::isspace(static_cast<unsigned char>(sql[at]))) {
        ++at;
      } else if (sql.substr(at, 2) == "--") {
        at = sql.find('\n', at);
      } else if (sql.substr(at, 2) == "/*") {
        at = sql.find("*/", at);
        if (at != std::string_view::npos) at += 2;
      } else {
        break;
      }
      if (at == std::string_view::npos) return false;
    }
    std::size_t end = at;
    while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
    const std::string_view word = sql.substr(at, end - at);
    for (std::string_view keyword : keywords) {
      if (std::equal(word.begin(), word.end(), keyword.begin(), keyword.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          })) {
        return true;
      }
    }
    at = sql.find(';', end);
    if (at == std::string_view::npos) return false;
    ++at;
  }
  return false;
}

}  // namespace cutover::proxy
