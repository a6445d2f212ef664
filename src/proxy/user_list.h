// The users the proxy lets in: PgBouncer's userlist.txt format, one `"name" "verifier"` a line.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace cutover::proxy {

// name -> verifier: "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" or "md5<32 hex>",
// as pg_authid.rolpassword holds them (`cutover proxy passwd NAME` prints one).
using UserList = std::map<std::string, std::string>;

// Reads the file. Blank lines and lines starting with ';' or '#' are skipped; `""` inside a
// quoted field is a quote. Throws Error(kBadInput) naming the file and line for a line that is
// not two quoted fields, a plaintext password (the proxy stores none), a file readable by group
// or others, or a file that cannot be read.
UserList load_user_list(const std::filesystem::path& file);

}  // namespace cutover::proxy
