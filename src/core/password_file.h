// --password-file: a password read from the first line of a file, never from a command line.
#pragma once

#include <string>

namespace cutover {

// The first line of the file at `path` (a trailing '\r' removed). Throws Error(kBadInput)
// naming the file when it cannot be read or its first line is empty.
std::string read_password_file(const std::string& path);

}  // namespace cutover
