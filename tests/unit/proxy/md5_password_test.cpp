// md5 password authentication: known values, responses from a password or a stored hash, and
// checking them.
#include "proxy/md5_password.h"

#include <gtest/gtest.h>

#include <string>

namespace cutover::proxy {
namespace {

using namespace std::string_literals;

// Computed in the shell:
//   h=$(printf '%s' 'pencilapp' | md5sum | cut -d' ' -f1); echo "md5$h"
//   printf 'md5%s\n' $(printf '%s\x01\x02\x03\x04' "$h" | md5sum | cut -d' ' -f1)
//   printf 'md5%s\n' $(printf '%s\xde\xad\xbe\xef' "$h" | md5sum | cut -d' ' -f1)
// and the hash also by libpq: PQencryptPasswordConn(conn, "pencil", "app", "md5").
constexpr std::string_view kHash = "md506d701b4dd9f7cbb00816251a451b978";
constexpr std::string_view kResponse01020304 = "md54bfca4ca571b8df74c2fc2247888d96f";
constexpr std::string_view kResponseDeadBeef = "md5cabef63be7057b36d7d944b6bafe7ffb";

TEST(Md5Password, KnownValues) {
  EXPECT_EQ(md5_password_hash("pencil", "app"), kHash);
  EXPECT_EQ(md5_response("pencil", "app", "\x01\x02\x03\x04"s), kResponse01020304);
  EXPECT_EQ(md5_response("pencil", "app", "\xde\xad\xbe\xef"s), kResponseDeadBeef);
  EXPECT_EQ(md5_response_from_hash(kHash, "\xde\xad\xbe\xef"s), kResponseDeadBeef);
}

TEST(Md5Password, CheckAgainstAPasswordOrAStoredHash) {
  const std::string salt = "\x01\x02\x03\x04"s;
  EXPECT_TRUE(check_md5_response_with_password(kResponse01020304, "pencil", "app", salt));
  EXPECT_TRUE(check_md5_response_with_hash(kResponse01020304, kHash, salt));
  EXPECT_FALSE(check_md5_response_with_password(kResponse01020304, "pencil", "app2", salt));
  EXPECT_FALSE(check_md5_response_with_password(kResponse01020304, "Pencil", "app", salt));
  EXPECT_FALSE(check_md5_response_with_password(kResponseDeadBeef, "pencil", "app", salt));
  EXPECT_FALSE(check_md5_response_with_hash(kResponseDeadBeef, kHash, salt));
  EXPECT_FALSE(check_md5_response_with_hash("", kHash, salt));
  EXPECT_FALSE(check_md5_response_with_hash(std::string(kResponse01020304) + "0", kHash, salt));
  // A stored value that is no md5 hash accepts nothing, not even an empty response.
  EXPECT_FALSE(check_md5_response_with_hash("", "pencil", salt));
  EXPECT_FALSE(check_md5_response_with_hash(kResponse01020304, "pencil", salt));
  EXPECT_EQ(md5_response_from_hash("pencil", salt), "");
}

TEST(Md5Password, HashFormIsPostgresTest) {
  EXPECT_TRUE(is_md5_password_hash(kHash));
  EXPECT_FALSE(is_md5_password_hash("md506D701B4DD9F7CBB00816251A451B978"));
  EXPECT_FALSE(is_md5_password_hash("md506d701b4dd9f7cbb00816251a451b97"));
  EXPECT_FALSE(is_md5_password_hash("md506d701b4dd9f7cbb00816251a451b9789"));
  EXPECT_FALSE(is_md5_password_hash("xyz06d701b4dd9f7cbb00816251a451b978"));
  EXPECT_FALSE(is_md5_password_hash("md506d701b4dd9f7cbb00816251a451b97g"));
  EXPECT_FALSE(is_md5_password_hash(""));
}

}  // namespace
}  // namespace cutover::proxy
