// Files the proxy reads secrets from: regular files that only their owner can read.
#include "proxy/secret_file.h"

#include <sys/stat.h>

#include "core/error.h"

namespace cutover::proxy {

void require_secret_file(const std::filesystem::path& path, const std::string& what,
                         const std::string& config_key) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw_bad_input("cannot read " + what + " " + path.string(),
                    "give an existing file as `" + config_key + ":` in the proxy config");
  }
  if (!S_ISREG(st.st_mode)) {
    throw_bad_input(what + " " + path.string() + " is not a regular file",
                    "give a file as `" + config_key + ":` in the proxy config");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw_bad_input(what + " " + path.string() + " is readable or writable by others",
                    "chmod 0600 " + path.string());
  }
}

}  // namespace cutover::proxy
