// The primitives under password authentication, against published vectors: base64 (RFC 4648),
// SHA-256, HMAC-SHA-256 (RFC 4231), PBKDF2-HMAC-SHA-256 (RFC 7914), MD5.
#include "proxy/auth_crypto.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/base64.h"

namespace cutover::proxy {
namespace {

using namespace std::string_literals;

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += kHex[static_cast<unsigned char>(c) >> 4];
    out += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

TEST(ProxyBase64, Rfc4648Vectors) {
  for (auto [plain, encoded] : {std::pair{"", ""}, std::pair{"f", "Zg=="}, std::pair{"fo", "Zm8="},
                                std::pair{"foo", "Zm9v"}, std::pair{"foob", "Zm9vYg=="},
                                std::pair{"fooba", "Zm9vYmE="}, std::pair{"foobar", "Zm9vYmFy"}}) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain) << encoded;
  }
}

TEST(ProxyBase64, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t size = 0; size <= all.size(); size += 37) {
    const std::string part = all.substr(all.size() - size);
    EXPECT_EQ(base64_decode(base64_encode(part)), part) << size;
  }
}

TEST(ProxyBase64, OnlyStrictBase64Decodes) {
  for (const char* text : {"Zg=", "Zg=a", "Z===", "====", "=Zm9", "Zm=v", "Zm9v\n", " Zm9", "Zm9*",
                           "Zm9v Zm9v", "Zm9-", "Zm9_"}) {
    EXPECT_EQ(base64_decode(text), std::nullopt) << text;
  }
  EXPECT_EQ(base64_decode("AA=="), "\0"s);
}

TEST(ProxyAuthCrypto, DigestsAndKeysMatchPublishedVectors) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231, test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 7914 section 11 (the first 32 of its 64 bytes).
  EXPECT_EQ(hex(pbkdf2_sha256("passwd", "salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  EXPECT_EQ(pbkdf2_sha256("passwd", "salt", 0), "");
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(ProxyAuthCrypto, RandomBytesAndComparison) {
  const std::optional<std::string> a = random_bytes(16), b = random_bytes(16);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 16u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abcd"));
  EXPECT_TRUE(equal_in_constant_time("", ""));
  std::string secret = "hunter2";
  wipe(secret);
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace cutover::proxy
