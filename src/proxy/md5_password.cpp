// PostgreSQL's md5 password authentication.
#include "proxy/md5_password.h"

#include "proxy/auth_crypto.h"

namespace cutover::proxy {
namespace {

constexpr std::string_view kPrefix = "md5";

std::string concat(std::string_view a, std::string_view b) {
  std::string out(a);
  out.append(b);
  return out;
}

}  // namespace

std::string md5_password_hash(std::string_view password, std::string_view user) {
  std::string secret = concat(password, user);
  std::string hash = concat(kPrefix, md5_hex(secret));
  wipe(secret);
  return hash;
}

bool is_md5_password_hash(std::string_view text) {
  if (text.size() != 35 || !text.starts_with(kPrefix)) return false;
  for (char c : text.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string md5_response(std::string_view password, std::string_view user, std::string_view salt) {
  std::string hash = md5_password_hash(password, user);
  std::string response = md5_response_from_hash(hash, salt);
  wipe(hash);
  return response;
}

std::string md5_response_from_hash(std::string_view md5_hash, std::string_view salt) {
  if (!is_md5_password_hash(md5_hash)) return {};
  return concat(kPrefix, md5_hex(concat(md5_hash.substr(kPrefix.size()), salt)));
}

bool check_md5_response_with_password(std::string_view response, std::string_view password,
                                      std::string_view user, std::string_view salt) {
  const std::string expected = md5_response(password, user, salt);
  return !expected.empty() && equal_in_constant_time(response, expected);
}

bool check_md5_response_with_hash(std::string_view response, std::string_view md5_hash,
                                  std::string_view salt) {
  const std::string expected = md5_response_from_hash(md5_hash, salt);
  return !expected.empty() && equal_in_constant_time(response, expected);
}

}  // namespace cutover::proxy
