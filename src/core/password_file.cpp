// --password-file: one password from the first line of a file, or pgpass lines per server.
#include "core/password_file.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace cutover {
namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("cannot read the password file {}: {}", path, std::strerror(errno)),
                "check --password-file: the file must exist and be readable by this user");
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string first_line(const std::string& text, const std::string& path) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    throw Error(ErrorCode::kBadInput, "the password file " + path + " has an empty first line",
                "write the password on the first line of the file");
  }
  return line;
}

// Lines for many servers are refused unless only their owner may read them.
void require_private(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return;  // it was just read: gone since, nothing to leak
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0) return;
  throw Error(ErrorCode::kBadInput,
              fmt::format("the password file {} holds pgpass lines and group or others may "
                          "access it (mode {:04o})",
                          path, st.st_mode & 07777),
              fmt::format("chmod 600 {}", path));
}

}  // namespace

std::string read_password_file(const std::string& path) {
  return first_line(read_whole(path), path);
}

PasswordFile load_password_file(const std::string& path) {
  std::string text = read_whole(path);
  PasswordFile file;
  file.path = path;
  if (auto entries = parse_passfile(text)) {
    require_private(path);
    file.entries = std::move(*entries);
  } else {
    file.password = first_line(text, path);
  }
  return file;
}

std::string password_for(const PasswordFile& file, const PassfileLogin& login,
                         const std::string& shown) {
  if (file.password) return *file.password;
  if (auto found = find_passfile_password(file.entries, login)) return *found;
  throw Error(ErrorCode::kBadInput,
              fmt::format("no line of the password file {} matches {} (host {}, port {}, "
                          "database {}, user {})",
                          file.path, shown, login.host, login.port,
                          login.database.empty() ? "none" : login.database, login.user),
              fmt::format("add a line {}:{}:*:{}:PASSWORD to {} (`*` matches anything)", login.host,
                          login.port, login.user, file.path));
}

}  // namespace cutover
