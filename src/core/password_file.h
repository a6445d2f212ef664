// --password-file: a password read from a file, never from a command line. The file holds
// either one password (its first line) for every server, or lines in the pgpass format
// (host:port:database:user:password) matched per server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/passfile.h"

namespace cutover {

// The first line of the file at `path` (a trailing '\r' removed). Throws Error(kBadInput)
// naming the file when it cannot be read or its first line is empty.
std::string read_password_file(const std::string& path);

// What a --password-file holds.
struct PasswordFile {
  std::string path;
  std::optional<std::string> password;  // set: one password for every server (the first line)
  std::vector<PassfileEntry> entries;   // otherwise: the pgpass lines, matched per server
};

// Reads `path`. A file whose every line (blank lines and `#` comments aside) has five or more
// `:`-separated fields is in the pgpass format; any other file holds one password. Throws
// Error(kBadInput) naming the file and the fix when it cannot be read, its first line is
// empty, or it is in the pgpass format and group or others may access it (as libpq refuses
// such a ~/.pgpass).
PasswordFile load_password_file(const std::string& path);

// The password of `login` in `file`: its one password, else the first matching line. Throws
// Error(kBadInput) naming `shown` (the server's URL, redacted) and the file when no line
// matches.
std::string password_for(const PasswordFile& file, const PassfileLogin& login,
                         const std::string& shown);

}  // namespace cutover
