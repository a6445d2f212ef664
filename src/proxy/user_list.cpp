// The users the proxy lets in: PgBouncer's userlist.txt format, one `"name" "verifier"` a line.
#include "proxy/user_list.h"

#include <fstream>
#include <optional>
#include <vector>

#include "core/error.h"
#include "proxy/secret_file.h"

namespace cutover::proxy {
namespace {

// The quoted fields of `line`, or nullopt when it is not a sequence of quoted fields.
std::optional<std::vector<std::string>> quoted_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) return fields;
    if (line[i] != '"') return std::nullopt;
    std::string field;
    for (++i;; ++i) {
      if (i == line.size()) return std::nullopt;  // unterminated
      if (line[i] == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
          continue;
        }
        ++i;
        break;
      }
      field += line[i];
    }
    fields.push_back(std::move(field));
  }
}

bool is_verifier(const std::string& secret) {
  if (secret.rfind("SCRAM-SHA-256$", 0) == 0) return true;
  return secret.size() == 35 && secret.rfind("md5", 0) == 0 &&
         secret.find_first_not_of("0123456789abcdef", 3) == std::string::npos;
}

}  // namespace

UserList load_user_list(const std::filesystem::path& file) {
  require_secret_file(file, "the users file", "users");
  std::ifstream in(file);
  if (!in) throw_bad_input("cannot read the users file " + file.string(), "check its owner");
  UserList users;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == ';' || line[first] == '#') continue;
    std::string where = file.string() + ":" + std::to_string(number);
    auto fields = quoted_fields(line);
    if (!fields || fields->size() != 2) {
      throw_bad_input(where + ": not a `\"name\" \"verifier\"` line",
                      "one user a line, both fields in double quotes");
    }
    if (!is_verifier((*fields)[1])) {
      throw_bad_input(where + ": the secret of user '" + (*fields)[0] +
                          "' is not a SCRAM-SHA-256 or md5 verifier",
                      "the proxy keeps no plaintext password: put the verifier there (`cutover "
                      "proxy passwd " +
                          (*fields)[0] + "` prints one, or copy pg_authid.rolpassword)");
    }
    users[(*fields)[0]] = (*fields)[1];
  }
  return users;
}

}  // namespace cutover::proxy
