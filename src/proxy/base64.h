// Base64 (RFC 4648, standard alphabet, padded), as SCRAM and PostgreSQL's verifiers write it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cutover::proxy {

// Empty for empty input (and for over 1.5 GiB, which OpenSSL cannot take in one call).
std::string base64_encode(std::string_view bytes);

// The bytes `text` encodes, or nullopt unless it is strict base64: a multiple of 4 characters of
// the standard alphabet, '=' only as the last one or two, no white space.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace cutover::proxy
