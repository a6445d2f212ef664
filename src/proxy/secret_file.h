// Files the proxy reads secrets from (users' verifiers, backend passwords): regular files that
// only their owner can read.
#pragma once

#include <filesystem>
#include <string>

namespace cutover::proxy {

// Throws Error(kBadInput) naming `what` (e.g. "the users file") and `path` when it is missing,
// not a regular file, or readable or writable by group or others, with the fix as the hint.
void require_secret_file(const std::filesystem::path& path, const std::string& what,
                         const std::string& config_key);

}  // namespace cutover::proxy
