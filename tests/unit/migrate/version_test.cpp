// Migration versions: Flyway's parsing, numeric ordering and equality.
#include "migrate/version.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover::migrate {
namespace {

Version v(std::string_view text) { return Version::parse(text); }

TEST(Version, ComparesPartsAsNumbers) {
  EXPECT_LT(v("1.9"), v("1.10"));
  EXPECT_LT(v("2"), v("10"));
  EXPECT_LT(v("1"), v("1.1"));
  EXPECT_LT(v("1.0.0"), v("1.0.1"));
  EXPECT_GT(v("2024.01.15.1200"), v("2024.1.15.959"));
  EXPECT_LT(v("0"), v("0.0.1"));
}

TEST(Version, IgnoresLeadingZerosAndTrailingZeroParts) {
  EXPECT_EQ(v("1"), v("1.0"));
  EXPECT_EQ(v("1"), v("1.0.0"));
  EXPECT_EQ(v("01.002"), v("1.2"));
  EXPECT_EQ(v("0"), v("0.0"));
  EXPECT_EQ(v("1.0.2"), v("1.0.2.0"));
  EXPECT_NE(v("1.0.2"), v("1.2"));
  EXPECT_EQ(v("1") <=> v("1.0.0"), std::strong_ordering::equal);
}

TEST(Version, ReadsUnderscoreAsDot) {
  EXPECT_EQ(v("2_3"), v("2.3"));
  EXPECT_EQ(v("2_3").to_string(), "2.3");
  EXPECT_EQ(v("2024_01.15").to_string(), "2024.01.15");
}

TEST(Version, PrintsTheTextAsWritten) {
  // Flyway stores this text in its history table, so it is kept, leading zeros and all.
  EXPECT_EQ(v("1.0").to_string(), "1.0");
  EXPECT_EQ(v("007").to_string(), "007");
}

TEST(Version, ComparesNumbersLongerThanAnyInteger) {
  const std::string huge = "123456789012345678901234567890";
  EXPECT_LT(v(huge), v(huge + "0"));
  EXPECT_LT(v("99999999999999999999999999999"), v(huge));
  EXPECT_LT(v(huge + ".1"), v(huge + ".2"));
  EXPECT_EQ(v("000" + huge), v(huge));
}

TEST(Version, RejectsBadTextNamingIt) {
  for (const char* bad : {"", ".", "1.", ".1", "1..2", "1__2", "1.x", "a", "1-2", " 1", "1 ", "+1",
                          "-1", "1.2b", "1,2", "\xD9\xA1"}) {
    try {
      Version::parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_NE(e.message().find(std::string("'") + bad + "'"), std::string::npos) << e.message();
      EXPECT_FALSE(e.hint().empty());
    }
  }
}

TEST(Version, SortsLikeFlyway) {
  std::vector<Version> versions = {v("1.10"), v("1.2"), v("10"), v("1.1.1"), v("2"), v("1.1")};
  std::sort(versions.begin(), versions.end());
  std::vector<std::string> texts;
  for (const auto& version : versions) texts.push_back(version.to_string());
  EXPECT_EQ(texts, (std::vector<std::string>{"1.1", "1.1.1", "1.2", "1.10", "2", "10"}));
}

}  // namespace
}  // namespace cutover::migrate
