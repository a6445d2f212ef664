// PostgreSQL's md5 password authentication: the stored hash, the response a client sends to an
// AuthenticationMD5Password, and checking one.
#pragma once

#include <string>
#include <string_view>

namespace cutover::proxy {

// What pg_authid.rolpassword holds for md5: "md5" + md5hex(password + user), 35 characters.
std::string md5_password_hash(std::string_view password, std::string_view user);

// Whether `text` has the form of such a hash ("md5" and 32 lowercase hex digits), the test
// PostgreSQL applies to tell a stored hash from a plaintext password.
bool is_md5_password_hash(std::string_view text);

// The PasswordMessage a client answers AuthenticationMD5Password(salt) with:
// "md5" + md5hex(md5hex(password + user) + salt).
std::string md5_response(std::string_view password, std::string_view user, std::string_view salt);
// The same from the stored hash alone: "md5" + md5hex(hash without "md5" + salt). Lets the proxy
// log in to a server for a user whose hash it holds but not the password. Empty when `md5_hash`
// does not pass is_md5_password_hash().
std::string md5_response_from_hash(std::string_view md5_hash, std::string_view salt);

// Whether `response` is the right answer for `salt`, compared in constant time: against the
// plaintext password, or against the stored hash (is_md5_password_hash() form; anything else
// accepts no response).
bool check_md5_response_with_password(std::string_view response, std::string_view password,
                                      std::string_view user, std::string_view salt);
bool check_md5_response_with_hash(std::string_view response, std::string_view md5_hash,
                                  std::string_view salt);

}  // namespace cutover::proxy
