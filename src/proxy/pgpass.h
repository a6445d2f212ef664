// Backend passwords from a file in PostgreSQL's pgpass format (host:port:database:user:password).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace cutover::proxy {

// The password of the first line of `file` that matches (each of the first four fields equal,
// or `*`; `\:` and `\\` escaped as libpq reads them), or nullopt. Throws Error(kBadInput) when
// the file cannot be read or is readable by group or others (require_secret_file()).
std::optional<std::string> find_pgpass_password(const std::filesystem::path& file,
                                                const std::string& host, int port,
                                                const std::string& database,
                                                const std::string& user);

}  // namespace cutover::proxy
