// Backend passwords from a file in PostgreSQL's pgpass format (host:port:database:user:password).
#include "proxy/pgpass.h"

#include <fstream>
#include <vector>

#include "core/error.h"
#include "proxy/secret_file.h"

namespace cutover::proxy {
namespace {

// The line's fields, unescaped; the fifth (the password) keeps any further colons.
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      fields.back() += line[++i];
    } else if (c == ':' && fields.size() < 5) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

bool matches(const std::string& pattern, const std::string& value) {
  return pattern == "*" || pattern == value;
}

}  // namespace

std::optional<std::string> find_pgpass_password(const std::filesystem::path& file,
                                                const std::string& host, int port,
                                                const std::string& database,
                                                const std::string& user) {
  require_secret_file(file, "the backend passfile", "backend_passfile");
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto f = split_fields(line);
    if (f.size() != 5) continue;
    if (matches(f[0], host) && matches(f[1], std::to_string(port)) && matches(f[2], database) &&
        matches(f[3], user)) {
      return f[4];
    }
  }
  return std::nullopt;
}

}  // namespace cutover::proxy
