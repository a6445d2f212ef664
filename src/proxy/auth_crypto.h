// The OpenSSL primitives password authentication is built from, as string-in, string-out calls.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cutover::proxy {

// Digests and keys are raw bytes. Each call returns an empty string only if OpenSSL fails,
// which it does only when out of memory; callers compare sizes before using a result.
std::string sha256(std::string_view data);                             // 32 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 bytes
// PBKDF2-HMAC-SHA-256 with a 32-byte output: SCRAM-SHA-256's Hi(). `iterations` must be >= 1.
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations);
// MD5 as 32 lowercase hex digits, the form PostgreSQL's md5 authentication hashes again.
std::string md5_hex(std::string_view data);

// `count` bytes from OpenSSL's CSPRNG, or nullopt if it could not supply them.
std::optional<std::string> random_bytes(std::size_t count);

// Whether a and b hold the same bytes, in time that depends only on their length.
bool equal_in_constant_time(std::string_view a, std::string_view b);

// Overwrites a secret's bytes (in a way the compiler keeps) and empties it.
void wipe(std::string& secret);

}  // namespace cutover::proxy
