// The pure helpers of a move's preflight: locale names as the C library matches them, sizes.
#include "move/preflight.h"

#include <gtest/gtest.h>

namespace cutover::move {
namespace {

TEST(NormalizeLocale, TheCodesetIgnoresCaseAndHyphens) {
  EXPECT_EQ(normalize_locale("C.UTF-8"), "C.utf8");
  EXPECT_EQ(normalize_locale("en_US.UTF-8"), normalize_locale("en_US.utf8"));
  EXPECT_EQ(normalize_locale("de_DE.ISO-8859-15@euro"), "de_DE.iso885915@euro");
  EXPECT_EQ(normalize_locale("C"), "C");
  EXPECT_EQ(normalize_locale("POSIX"), "POSIX");
  EXPECT_NE(normalize_locale("en_US.UTF-8"), normalize_locale("en_GB.UTF-8"));
}

TEST(HumanSize, UsesPowersOf1024) {
  EXPECT_EQ(human_size(0), "0 B");
  EXPECT_EQ(human_size(1023), "1023 B");
  EXPECT_EQ(human_size(1536), "1.5 kB");
  EXPECT_EQ(human_size(7806311), "7.4 MB");
  EXPECT_EQ(human_size(std::int64_t{3} << 40), "3.0 TB");
}

TEST(CheckStatus, HasStableNames) {
  EXPECT_STREQ(check_status_name(CheckStatus::kPassed), "passed");
  EXPECT_STREQ(check_status_name(CheckStatus::kWarning), "warning");
  EXPECT_STREQ(check_status_name(CheckStatus::kFailed), "failed");
  EXPECT_STREQ(check_status_name(CheckStatus::kSkipped), "skipped");
  PreflightReport report;
  report.checks = {{"roles", CheckStatus::kWarning, "", ""},
                   {"extensions", CheckStatus::kFailed, "", ""},
                   {"extensions", CheckStatus::kFailed, "", ""},
                   {"keys", CheckStatus::kPassed, "", ""}};
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.failed_names(), std::vector<std::string>{"extensions"});
}

}  // namespace
}  // namespace cutover::move
