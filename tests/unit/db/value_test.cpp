// Tests for db::Value: kinds, text forms, numeric conversions with their errors, equality.
#include "db/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "core/error.h"

namespace cutover::db {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinInt = std::numeric_limits<std::int64_t>::min();

// The message of the Error `convert` throws; fails the test when it throws none.
template <typename Convert>
std::string error_of(Convert convert) {
  try {
    convert();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
    return e.message();
  }
  ADD_FAILURE() << "expected cutover::Error";
  return {};
}

TEST(ValueTest, KindsOfEachConstructor) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_TRUE(Value(std::optional<std::string>()).is_null());
  EXPECT_TRUE(Value(42).is_int());
  EXPECT_TRUE(Value(std::int64_t{42}).is_int());
  EXPECT_TRUE(Value(1.5).is_double());
  EXPECT_TRUE(Value("abc").is_text());
  EXPECT_TRUE(Value(std::string("abc")).is_text());
  EXPECT_TRUE(Value(std::optional<std::string>("abc")).is_text());
  EXPECT_TRUE(Value("").is_text());

  const Value text("1");
  EXPECT_FALSE(text.is_null());
  EXPECT_FALSE(text.is_int());
  EXPECT_FALSE(text.is_double());
  const Value null;
  EXPECT_FALSE(null.is_int());
  EXPECT_FALSE(null.is_double());
  EXPECT_FALSE(null.is_text());
}

TEST(ValueTest, TextOfEachKind) {
  EXPECT_EQ(Value().text(), "");
  EXPECT_EQ(Value("h\xC3\xA9llo").text(), "h\xC3\xA9llo");
  EXPECT_EQ(Value(std::string("a\0b", 3)).text(), std::string("a\0b", 3));
  EXPECT_EQ(Value(0).text(), "0");
  EXPECT_EQ(Value(-17).text(), "-17");
  EXPECT_EQ(Value(kMaxInt).text(), "9223372036854775807");
  EXPECT_EQ(Value(kMinInt).text(), "-9223372036854775808");
}

TEST(ValueTest, TextOfDoubleIsShortestRoundTrip) {
  EXPECT_EQ(Value(1.5).text(), "1.5");
  EXPECT_EQ(Value(-2.25).text(), "-2.25");
  EXPECT_EQ(Value(0.1).text(), "0.1");
  EXPECT_EQ(Value(2.0).text(), "2");
  EXPECT_EQ(Value(1e20).text(), "1e+20");
  EXPECT_EQ(Value(1.0 / 3).text(), "0.3333333333333333");
}

TEST(ValueTest, AsIntConvertsIntsDoublesAndText) {
  EXPECT_EQ(Value(42).as_int(), 42);
  EXPECT_EQ(Value(kMinInt).as_int(), kMinInt);
  EXPECT_EQ(Value(3.0).as_int(), 3);
  EXPECT_EQ(Value(-7.0).as_int(), -7);
  EXPECT_EQ(Value("123").as_int(), 123);
  EXPECT_EQ(Value("-5").as_int(), -5);
  EXPECT_EQ(Value("0").as_int(), 0);
  EXPECT_EQ(Value("9223372036854775807").as_int(), kMaxInt);
  EXPECT_EQ(Value("-9223372036854775808").as_int(), kMinInt);
}

TEST(ValueTest, AsIntRejectsWhatIsNoInteger) {
  EXPECT_EQ(error_of([] { Value().as_int(); }), "expected an integer, got NULL");
  EXPECT_EQ(error_of([] { Value("").as_int(); }), "expected an integer, got ''");
  EXPECT_EQ(error_of([] { Value("abc").as_int(); }), "expected an integer, got 'abc'");
  EXPECT_EQ(error_of([] { Value("12a").as_int(); }), "expected an integer, got '12a'");
  EXPECT_EQ(error_of([] { Value("1.5").as_int(); }), "expected an integer, got '1.5'");
  EXPECT_EQ(error_of([] { Value(" 1").as_int(); }), "expected an integer, got ' 1'");
  EXPECT_EQ(error_of([] { Value("9223372036854775808").as_int(); }),
            "expected an integer, got '9223372036854775808'");
}

// A double beyond the int64 range or not finite has no integer value; casting it is undefined.
TEST(ValueTest, AsIntRejectsDoublesOutsideTheIntegerRange) {
  EXPECT_THROW(Value(1e30).as_int(), Error);
  EXPECT_THROW(Value(-1e30).as_int(), Error);
  EXPECT_THROW(Value(std::numeric_limits<double>::infinity()).as_int(), Error);
  EXPECT_THROW(Value(std::numeric_limits<double>::quiet_NaN()).as_int(), Error);
}

TEST(ValueTest, AsDoubleConvertsDoublesIntsAndText) {
  EXPECT_EQ(Value(1.5).as_double(), 1.5);
  EXPECT_EQ(Value(3).as_double(), 3.0);
  EXPECT_EQ(Value(-4).as_double(), -4.0);
  EXPECT_EQ(Value("2.5").as_double(), 2.5);
  EXPECT_EQ(Value("-0.25").as_double(), -0.25);
  EXPECT_EQ(Value("1e3").as_double(), 1000.0);
  EXPECT_EQ(Value("7").as_double(), 7.0);
}

// PostgreSQL prints float8 specials and subnormals this way; all are numbers.
TEST(ValueTest, AsDoubleReadsSpecials) {
  EXPECT_EQ(Value("Infinity").as_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Value("-Infinity").as_double(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(Value("NaN").as_double()));
}

TEST(ValueTest, AsDoubleReadsSubnormals) {
  auto parsed = [](const char* text) -> std::optional<double> {
    try {
      return Value(text).as_double();
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  EXPECT_EQ(parsed("1e-310"), 1e-310);
  EXPECT_EQ(parsed("4.9406564584124654e-324"), std::numeric_limits<double>::denorm_min());
}

TEST(ValueTest, AsDoubleRejectsWhatIsNoNumber) {
  EXPECT_EQ(error_of([] { Value().as_double(); }), "expected a number, got NULL");
  EXPECT_EQ(error_of([] { Value("").as_double(); }), "expected a number, got ''");
  EXPECT_EQ(error_of([] { Value("abc").as_double(); }), "expected a number, got 'abc'");
  EXPECT_EQ(error_of([] { Value("1.5x").as_double(); }), "expected a number, got '1.5x'");
  EXPECT_EQ(error_of([] { Value("1e400").as_double(); }), "expected a number, got '1e400'");
}

TEST(ValueTest, AsOptionalTextTellsNullFromEmpty) {
  EXPECT_EQ(Value().as_optional_text(), std::nullopt);
  EXPECT_EQ(Value(nullptr).as_optional_text(), std::nullopt);
  EXPECT_EQ(Value("").as_optional_text(), std::optional<std::string>(""));
  EXPECT_EQ(Value("abc").as_optional_text(), std::optional<std::string>("abc"));
  EXPECT_EQ(Value(42).as_optional_text(), std::optional<std::string>("42"));
  EXPECT_EQ(Value(1.5).as_optional_text(), std::optional<std::string>("1.5"));
}

TEST(ValueTest, EqualityComparesKindAndValue) {
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_EQ(Value(), Value(std::optional<std::string>()));
  EXPECT_EQ(Value(1), Value(std::int64_t{1}));
  EXPECT_EQ(Value(1.5), Value(1.5));
  EXPECT_EQ(Value("a"), Value(std::string("a")));
  EXPECT_EQ(Value("a"), Value(std::optional<std::string>("a")));

  EXPECT_NE(Value(1), Value(2));
  EXPECT_NE(Value(1), Value(1.0));  // an int is no float
  EXPECT_NE(Value(1), Value("1"));  // nor text
  EXPECT_NE(Value(""), Value());    // empty text is not NULL
  EXPECT_NE(Value(0), Value());     // nor is zero
  EXPECT_NE(Value("a"), Value("A"));
}

TEST(ValueTest, RowsAndParamsHoldValues) {
  const Params params = {1, "two", 3.5, nullptr};
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0].as_int(), 1);
  EXPECT_EQ(params[1].text(), "two");
  EXPECT_EQ(params[2].as_double(), 3.5);
  EXPECT_TRUE(params[3].is_null());
  const Row row = params;
  EXPECT_EQ(row, params);
}

}  // namespace
}  // namespace cutover::db
