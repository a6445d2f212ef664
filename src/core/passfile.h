// Password files in the pgpass format (host:port:database:user:password), read as libpq reads
// ~/.pgpass: one password per server and account, from one file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

// One line of a passfile. A field that is nullopt was `*` and matches anything.
struct PassfileEntry {
  std::optional<std::string> host, port, database, user;
  std::string password;
};

// What a connection is matched on: its host ("localhost" for a local socket), port (as
// decimal text), database (empty when none) and user.
struct PassfileLogin {
  std::string host, port, database, user;
};

// The entries of `text`, or nullopt when it is not in the format: some line that is neither
// blank nor a comment (`#...`) has fewer than five `:`-separated fields, or no line is an
// entry. `\` escapes the next character (`\:`, `\\`, `\*` for a literal star); fields after
// the fifth are ignored, as libpq does. Never throws.
std::optional<std::vector<PassfileEntry>> parse_passfile(std::string_view text);

// The password of the first entry that matches `login` (first match wins); nullopt when none.
std::optional<std::string> find_passfile_password(const std::vector<PassfileEntry>& entries,
                                                  const PassfileLogin& login);

}  // namespace cutover
