// Durations as operators write them.
#include "core/duration.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(parse_duration("30s", "--d"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("30", "--d"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("500ms", "--d"), milliseconds(500));
  EXPECT_EQ(parse_duration("1.5s", "--d"), milliseconds(1'500));
  EXPECT_EQ(parse_duration("2m", "--d"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h", "--d"), milliseconds(3'600'000));
}

TEST(Duration, RejectsGarbageNamingTheOption) {
  // The last two overflowed a deadline (now + duration) before they were refused.
  for (const char* bad : {"", "s", "-1s", "10 s", "10x", "1.2.3s", "2562048h", "99999999999h"}) {
    try {
      parse_duration(bad, "--duration");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_NE(e.message().find("--duration"), std::string::npos);
    }
  }
}

TEST(Duration, Formats) {
  EXPECT_EQ(format_duration_ms(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration_ms(milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_duration_ms(milliseconds(150'000)), "2m30s");
}

}  // namespace
}  // namespace cutover
