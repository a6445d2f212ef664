// --password-file: a password read from the first line of a file, never from a command line.
#include "core/password_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace cutover {

std::string read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("cannot read the password file {}: {}", path, std::strerror(errno)),
                "check --password-file: the file must exist and be readable by this user");
  }
  std::string password;
  std::getline(in, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    throw Error(ErrorCode::kBadInput, "the password file " + path + " has an empty first line",
                "write the password on the first line of the file");
  }
  return password;
}

}  // namespace cutover
