// Connection-string parsing and redaction.
#include "core/connection_url.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover {
namespace {

TEST(ConnectionUrl, ParsesPostgresUrl) {
  auto url = parse_connection_url("postgres://app@db.example.com:6543/shop?sslmode=require");
  EXPECT_EQ(url.scheme, Scheme::kPostgres);
  EXPECT_EQ(url.user, "app");
  EXPECT_FALSE(url.password.has_value());
  EXPECT_EQ(url.host, "db.example.com");
  EXPECT_EQ(url.port, 6543);
  EXPECT_EQ(url.database, "shop");
  EXPECT_EQ(url.options.at("sslmode"), "require");
}

TEST(ConnectionUrl, ParsesPostgresqlSchemeAndDecodesPercentEscapes) {
  auto url = parse_connection_url("postgresql://us%40er:p%3Ass@host/my%20db");
  EXPECT_EQ(url.scheme, Scheme::kPostgres);
  EXPECT_EQ(url.user, "us@er");
  EXPECT_EQ(url.password, "p:ss");
  EXPECT_EQ(url.database, "my db");
  EXPECT_FALSE(url.port.has_value());
}

TEST(ConnectionUrl, ParsesIpv6Host) {
  auto url = parse_connection_url("postgres://u@[::1]:5433/db");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 5433);
}

TEST(ConnectionUrl, ParsesEmptyAuthority) {
  auto url = parse_connection_url("postgres:///db");
  EXPECT_EQ(url.host, "");
  EXPECT_EQ(url.database, "db");
}

TEST(ConnectionUrl, ParsesKeywordString) {
  auto url =
      parse_connection_url("host=127.0.0.1 port=5432 dbname='my db' user=app password='a b'");
  EXPECT_EQ(url.scheme, Scheme::kPostgres);
  EXPECT_TRUE(url.keyword_form);
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 5432);
  EXPECT_EQ(url.database, "my db");
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.password, "a b");
}

TEST(ConnectionUrl, ParsesMariaDbAndMysqlSchemes) {
  auto a = parse_connection_url("mariadb://root@127.0.0.1:3306/app");
  auto b = parse_connection_url("mysql://root@127.0.0.1/");
  EXPECT_EQ(a.scheme, Scheme::kMariaDb);
  EXPECT_EQ(b.scheme, Scheme::kMariaDb);
  EXPECT_EQ(a.database, "app");
  EXPECT_EQ(b.database, "");
  EXPECT_EQ(a.port, 3306);
}

TEST(ConnectionUrl, ParsesSqliteForms) {
  EXPECT_EQ(parse_connection_url("sqlite:data/app.db").database, "data/app.db");
  EXPECT_EQ(parse_connection_url("sqlite:///var/lib/app.db").database, "/var/lib/app.db");
  EXPECT_EQ(parse_connection_url("sqlite::memory:").database, ":memory:");
  auto ro = parse_connection_url("sqlite:app.db?mode=ro");
  EXPECT_EQ(ro.database, "app.db");
  EXPECT_EQ(ro.options.at("mode"), "ro");
}

void expect_bad_input(const std::string& text, const std::string& needle) {
  try {
    parse_connection_url(text);
    ADD_FAILURE() << "no error for " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << text;
    EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint().empty()) << text;
    EXPECT_EQ(e.message().find("hunter2"), std::string::npos) << e.message();
  }
}

TEST(ConnectionUrl, RejectsUnknownScheme) {
  expect_bad_input("oracle://scott:hunter2@db/orcl", "unknown scheme 'oracle'");
}
TEST(ConnectionUrl, RejectsBadPort) {
  expect_bad_input("postgres://u:hunter2@h:99999/db", "bad port '99999'");
  expect_bad_input("postgres://u:hunter2@h:abc/db", "bad port 'abc'");
  expect_bad_input("mariadb://u:hunter2@h:0/db", "bad port '0'");
}
TEST(ConnectionUrl, RejectsEmptyAndGarbage) {
  expect_bad_input("", "empty connection string");
  expect_bad_input("just-a-word", "is not a connection string");
  expect_bad_input("sqlite:", "no file named");
}
TEST(ConnectionUrl, RejectsMalformedEscapesAndKeywords) {
  expect_bad_input("postgres://u:hunter2@h/d%zz", "percent-encoding");
  expect_bad_input("host=h password='hunter2", "unterminated quoted value");
  expect_bad_input("host=h dbname", "keyword 'dbname' has no value");
}

TEST(Redact, HidesUserInfoPassword) {
  EXPECT_EQ(redact("postgres://app:s3cret@db:5432/shop"), "postgres://app:***@db:5432/shop");
  EXPECT_EQ(redact("mariadb://root:p%40ss@127.0.0.1/"), "mariadb://root:***@127.0.0.1/");
  EXPECT_EQ(parse_connection_url("postgres://a:b@h/d").redacted(), "postgres://a:***@h/d");
}

TEST(Redact, HidesQueryAndKeywordPasswords) {
  EXPECT_EQ(redact("postgres://h/d?user=a&password=s3cret&sslmode=require"),
            "postgres://h/d?user=a&password=***&sslmode=require");
  EXPECT_EQ(redact("host=h password=s3cret dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(redact("host=h password='s e\\'cret' dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(redact("password=s3cret"), "password=***");
  EXPECT_EQ(redact("PASSWORD = s3cret"), "PASSWORD = ***");
}

TEST(Redact, HidesPasswordsInsideLongerText) {
  std::string text =
      "cannot connect to postgres://app:s3cret@db/shop: timeout; also tried mysql://r:xyz@h/";
  std::string out = redact(text);
  EXPECT_EQ(out.find("s3cret"), std::string::npos) << out;
  EXPECT_EQ(out.find("xyz"), std::string::npos) << out;
  EXPECT_NE(out.find("postgres://app:***@db/shop"), std::string::npos) << out;
}

TEST(Redact, HidesPasswordsWithAtSignsEscapesAndQuotes) {
  EXPECT_EQ(redact("postgres://u:p@ss@127.0.0.1:1/db"), "postgres://u:***@127.0.0.1:1/db");
  EXPECT_EQ(redact("host=h password=a\\ bcd dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(redact("x 'mariadb://r:s3c@h/' y"), "x 'mariadb://r:***@h/' y");
  EXPECT_EQ(redact("bypass=1 pass=s3cret"), "bypass=1 pass=***");
}

TEST(Redact, HandlesVeryLongTextWithoutCrashing) {
  std::string long_text(200'000, 'x');
  EXPECT_EQ(redact(long_text), long_text);
  std::string with_secret = "password=" + std::string(100'000, 's') + " tail";
  EXPECT_EQ(redact(with_secret), "password=*** tail");
}

TEST(ConnectionUrl, RejectsUnencodedAtInUserInfo) {
  expect_bad_input("postgres://u:p@hunter2@h/db", "unencoded '@'");
}

TEST(Redact, LeavesTextWithoutSecretsAlone) {
  for (const char* s : {"postgres://app@db:5432/shop", "sqlite:/tmp/a.db", "hello world",
                        "mariadb://127.0.0.1:3306/", "host=h dbname=d user=u"}) {
    EXPECT_EQ(redact(s), s);
  }
}

TEST(Redact, IsIdempotent) {
  std::string once = redact("postgres://a:b@h/d?password=c");
  EXPECT_EQ(redact(once), once);
}

}  // namespace
}  // namespace cutover
