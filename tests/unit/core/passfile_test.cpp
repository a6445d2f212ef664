// Password files in the pgpass format, read as libpq reads ~/.pgpass.
#include "core/passfile.h"

#include <gtest/gtest.h>

namespace cutover {
namespace {

std::optional<std::string> password(const std::string& text, PassfileLogin login) {
  auto entries = parse_passfile(text);
  if (!entries) return "(not a passfile)";
  return find_passfile_password(*entries, login);
}

const PassfileLogin kShop{"db1.example", "3306", "shop", "root"};

TEST(Passfile, TheFirstMatchingLineWins) {
  std::string text =
      "# two servers, root on each\n"
      "db2.example:3306:*:root:second\n"
      "\n"
      "db1.example:3306:shop:root:first\n"
      "db1.example:3306:*:root:later\n";
  EXPECT_EQ(password(text, kShop), "first");
  EXPECT_EQ(password(text, {"db1.example", "3306", "crm", "root"}), "later");
  EXPECT_EQ(password(text, {"db2.example", "3306", "", "root"}), "second");
}

TEST(Passfile, EachFieldMustMatchUnlessItIsAStar) {
  std::string text = "db1.example:3306:shop:root:pw\n";
  EXPECT_EQ(password(text, kShop), "pw");
  EXPECT_EQ(password(text, {"db1.example", "3307", "shop", "root"}), std::nullopt);
  EXPECT_EQ(password(text, {"db1.example", "3306", "shop", "app"}), std::nullopt);
  EXPECT_EQ(password(text, {"DB1.example", "3306", "shop", "root"}), std::nullopt);
  EXPECT_EQ(password(text, {"db1.example", "3306", "", "root"}), std::nullopt);
  EXPECT_EQ(password("*:*:*:*:any\n", {"h", "1", "", "u"}), "any");
}

TEST(Passfile, BackslashEscapesColonsBackslashesAndStars) {
  EXPECT_EQ(password("\\:\\:1:3306:*:root:p\\:w\\\\d\n", {"::1", "3306", "", "root"}), "p:w\\d");
  // An escaped star is a literal star, not a wildcard.
  EXPECT_EQ(password("h:3306:\\*:root:pw\n", kShop), std::nullopt);
  EXPECT_EQ(password("h:3306:\\*:root:pw\n", {"h", "3306", "*", "root"}), "pw");
}

TEST(Passfile, FieldsAfterThePasswordAreIgnoredAndCrlfIsOneLineEnd) {
  EXPECT_EQ(password("db1.example:3306:shop:root:pw:extra\r\n", kShop), "pw");
  EXPECT_EQ(password("db1.example:3306:shop:root:\n", kShop), "");
}

TEST(Passfile, TextThatIsNotInTheFormatIsNotAPassfile) {
  EXPECT_EQ(parse_passfile("just-a-password\n"), std::nullopt);
  EXPECT_EQ(parse_passfile("a:b:c:d\n"), std::nullopt);  // a password with colons
  EXPECT_EQ(parse_passfile("h:1:d:u:pw\nsecond line\n"), std::nullopt);
  EXPECT_EQ(parse_passfile("# only a comment\n\n"), std::nullopt);
  EXPECT_EQ(parse_passfile(""), std::nullopt);
  EXPECT_EQ(parse_passfile("a\\:b:c:d:e\n"), std::nullopt);  // four fields, one escaped colon
}

}  // namespace
}  // namespace cutover
