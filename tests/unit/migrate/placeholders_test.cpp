// `${name}` placeholders: replacement, missing values, and `--placeholder` arguments.
#include "migrate/placeholders.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>

#include "core/error.h"

namespace cutover::migrate {
namespace {

using std::string_literals::operator""s;

std::string replace(std::string_view text, const Placeholders& values = {}) {
  return replace_placeholders(text, values, "V1__x.sql");
}

TEST(Placeholders, ReplacesEveryOccurrence) {
  const Placeholders values = {{"schema", "app"}, {"owner", "app_owner"}, {"empty", ""}};
  EXPECT_EQ(
      replace("CREATE TABLE ${schema}.t ();\nALTER TABLE ${schema}.t OWNER TO ${owner};", values),
      "CREATE TABLE app.t ();\nALTER TABLE app.t OWNER TO app_owner;");
  EXPECT_EQ(replace("a${empty}b", values), "ab");
  EXPECT_EQ(replace("${schema}${schema}", values), "appapp");
}

TEST(Placeholders, InsertsValuesVerbatimWithoutRescanning) {
  EXPECT_EQ(replace("x=${a}", {{"a", "${b}"}}), "x=${b}");
}

TEST(Placeholders, LeavesTextThatIsNoPlaceholderAlone) {
  for (const char* text : {"", "SELECT 1;", "$1 and $$body$$", "${}", "${ unclosed", "${a\n}",
                           "${a\r\n}", "{x}", "$ {x}"}) {
    EXPECT_EQ(replace(text), text) << text;
  }
}

TEST(Placeholders, NamesFileLineAndPlaceholderWhenAValueIsMissing) {
  try {
    replace("SELECT 1;\nSELECT 2;\nSELECT '${tenant}';\n", {{"other", "x"}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("V1__x.sql:3"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("${tenant}"), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("--placeholder tenant="), std::string::npos) << e.hint();
  }
}

TEST(Placeholders, RefusesFlywayBuiltInsClearly) {
  try {
    replace("CREATE SCHEMA ${flyway:defaultSchema};");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("${flyway:defaultSchema}"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("built-in"), std::string::npos) << e.message();
  }
}

TEST(Placeholders, FillsFlywayFilenameWithTheFilesOwnName) {
  EXPECT_EQ(replace_placeholders("-- ${flyway:filename}", {}, "sub/R__views.sql"),
            "-- R__views.sql");
  EXPECT_EQ(replace_placeholders("-- ${flyway:filename}", {}, "afterMigrate.sql"),
            "-- afterMigrate.sql");
  EXPECT_EQ(replace_placeholders("-- ${flyway:filename}", {{"flyway:filename", "x"}}, "a.sql"),
            "-- x");
}

TEST(Placeholders, FindsEveryMissingPlaceholderWithItsLine) {
  const auto missing = find_missing_placeholders(
      "SELECT '${a}', '${known}';\n\nSELECT '${b}' || '${a}';\n", {{"known", "k"}}, "V2__x.sql");
  ASSERT_EQ(missing.size(), 3u);
  EXPECT_EQ(missing[0].name, "a");
  EXPECT_EQ(missing[0].line, 1);
  EXPECT_EQ(missing[1].name, "b");
  EXPECT_EQ(missing[1].line, 3);
  EXPECT_EQ(missing[2].name, "a");
  EXPECT_EQ(missing[2].line, 3);
  EXPECT_EQ(missing[2].file_name, "V2__x.sql");
}

TEST(Placeholders, NamesEveryMissingPlaceholderOfEveryFileInOneMessage) {
  try {
    throw_missing_placeholders(
        {{"V1__a.sql", 2, "owner"}, {"R__b.sql", 5, "tenant"}, {"R__b.sql", 7, "owner"}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    for (const char* part : {"V1__a.sql:2", "${owner}", "R__b.sql:5", "${tenant}", "R__b.sql:7"}) {
      EXPECT_NE(e.message().find(part), std::string::npos) << part << "\n" << e.message();
    }
    EXPECT_NE(e.hint().find("--placeholder owner=<value>"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("--placeholder tenant=<value>"), std::string::npos) << e.hint();
  }
}

TEST(Placeholders, FormatsFlywayTimestampLikeFlyway) {
  // Flyway: new SimpleDateFormat("yyyy-MM-dd HH:mm:ss").format(new Date()), in local time.
  const char* saved = getenv("TZ");
  const std::string old = saved ? saved : "";
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(flyway_timestamp(std::chrono::system_clock::from_time_t(1764772805)),
            "2025-12-03 14:40:05");
  if (saved) {
    setenv("TZ", old.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST(PlaceholderAssignment, SplitsAtTheFirstEquals) {
  EXPECT_EQ(parse_placeholder_assignment("schema=app"), std::make_pair("schema"s, "app"s));
  EXPECT_EQ(parse_placeholder_assignment("expr=a=b"), std::make_pair("expr"s, "a=b"s));
  EXPECT_EQ(parse_placeholder_assignment("empty="), std::make_pair("empty"s, ""s));
  EXPECT_EQ(parse_placeholder_assignment("my.app-name_2=x"),
            std::make_pair("my.app-name_2"s, "x"s));
  // Flyway's built-ins are not filled in by cutover, but may be given like any other.
  EXPECT_EQ(parse_placeholder_assignment("flyway:user=app"),
            std::make_pair("flyway:user"s, "app"s));
  EXPECT_EQ(
      replace_placeholders("GRANT ALL TO ${flyway:user};", {{"flyway:user", "app"}}, "V1.sql"),
      "GRANT ALL TO app;");
}

TEST(PlaceholderAssignment, RejectsBadArgumentsNamingThem) {
  for (const char* bad : {"", "schema", "=app", "a b=c", "a}=b", "${a}=b"}) {
    try {
      parse_placeholder_assignment(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_NE(e.message().find(std::string("'") + bad + "'"), std::string::npos) << e.message();
      EXPECT_FALSE(e.hint().empty());
    }
  }
}

}  // namespace
}  // namespace cutover::migrate
