// Migration file names (Flyway's V/R forms) and `-- cutover:` header options.
#include "migrate/migration_file.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover::migrate {
namespace {

// Runs `call`, expecting Error(kBadInput) whose message contains every one of `parts`.
template <typename Call>
void expect_bad_input(Call call, std::initializer_list<std::string_view> parts) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one naming " << *parts.begin();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    for (auto part : parts) EXPECT_NE(e.message().find(part), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint().empty());
  }
}

TEST(MigrationFileName, ReadsVersioned) {
  const auto name = parse_migration_file_name("V1_1__add_user_email.sql");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->kind, MigrationKind::kVersioned);
  EXPECT_EQ(name->version->to_string(), "1.1");
  EXPECT_EQ(name->description, "add user email");

  const auto dated = parse_migration_file_name("V2024.01.15.1200__Backfill.sql");
  ASSERT_TRUE(dated);
  EXPECT_EQ(dated->version->to_string(), "2024.01.15.1200");
  EXPECT_EQ(dated->description, "Backfill");
}

TEST(MigrationFileName, ReadsRepeatable) {
  const auto name = parse_migration_file_name("R__refresh_views.sql");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->kind, MigrationKind::kRepeatable);
  EXPECT_FALSE(name->version);
  EXPECT_EQ(name->description, "refresh views");
}

TEST(MigrationFileName, SplitsAtTheFirstDoubleUnderscore) {
  const auto name = parse_migration_file_name("V3__a__b.sql");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->version->to_string(), "3");
  EXPECT_EQ(name->description, "a  b");
}

TEST(MigrationFileName, AcceptsTheSuffixInAnyCase) {
  EXPECT_TRUE(parse_migration_file_name("V1__x.SQL"));
  EXPECT_TRUE(parse_migration_file_name("R__x.Sql"));
}

TEST(MigrationFileName, IgnoresFilesThatAreNotSql) {
  for (const char* name : {"README.md", "V1__init.sql.bak", "V1__init.txt", "sql", ".sql~", ""}) {
    EXPECT_FALSE(parse_migration_file_name(name)) << name;
  }
}

TEST(MigrationFileName, RejectsBadSqlNamesNamingTheFileAndTheForms) {
  for (const char* bad :
       {"V1_init.sql", "v1__x.sql", "V__x.sql", "V1.x__y.sql", "V1..2__y.sql", "init.sql",
        "U1__undo.sql", "R1__x.sql", "r__x.sql", "V1__.sql", "R__.sql", ".sql", "V-1__x.sql"}) {
    SCOPED_TRACE(bad);
    expect_bad_input([&] { parse_migration_file_name(bad); }, {bad});
  }
  try {
    parse_migration_file_name("V1_init.sql");
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("V<version>__<description>.sql"), std::string::npos);
    EXPECT_NE(e.hint().find("R__<description>.sql"), std::string::npos);
  }
}

// An undo file's refusal says what it is: the general hint invited renaming it into a V file.
TEST(MigrationFileName, AnUndoFileIsRefusedAsOne) {
  try {
    parse_migration_file_name("U4__order_notes.sql");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("'U4__order_notes.sql' is a Flyway undo migration"),
              std::string::npos)
        << e.message();
    EXPECT_NE(e.hint().find("roll forward with a new V file"), std::string::npos) << e.hint();
    EXPECT_EQ(e.hint().find("V<version>__<description>.sql"), std::string::npos) << e.hint();
  }
}

TEST(MigrationOptions, DefaultsWithoutHeader) {
  EXPECT_FALSE(parse_migration_options("V1__x.sql", "").no_transaction);
  EXPECT_FALSE(parse_migration_options("V1__x.sql", "CREATE TABLE t (id int);\n").no_transaction);
}

TEST(MigrationOptions, ReadsNoTransactionFromTheHeader) {
  EXPECT_TRUE(parse_migration_options("V1__x.sql", "-- cutover: no-transaction\nCREATE INDEX;")
                  .no_transaction);
  // Blank lines, other comments, CRLF, a BOM and loose spacing are all part of the header.
  EXPECT_TRUE(parse_migration_options("V1__x.sql",
                                      "\xEF\xBB\xBF-- Adds an index.\r\n\r\n"
                                      "  --cutover:   no-transaction  \r\n"
                                      "CREATE INDEX CONCURRENTLY i ON t (c);\r\n")
                  .no_transaction);
}

TEST(MigrationOptions, IgnoresOptionLinesAfterTheFirstStatement) {
  EXPECT_FALSE(parse_migration_options("V1__x.sql", "SELECT 1;\n-- cutover: no-transaction\n")
                   .no_transaction);
  EXPECT_FALSE(
      parse_migration_options("V1__x.sql", "SELECT 1;\n-- cutover: bogus\n").no_transaction);
}

TEST(MigrationOptions, RejectsUnknownOrMalformedOptionsNamingFileAndLine) {
  expect_bad_input([] { parse_migration_options("V2__x.sql", "-- a\n\n-- cutover: fast\n"); },
                   {"V2__x.sql:3", "'fast'"});
  expect_bad_input(
      [] { parse_migration_options("V2__x.sql", "-- cutover: timeout=5s\nSELECT 1;"); },
      {"V2__x.sql:1", "'timeout'"});
  expect_bad_input([] { parse_migration_options("V2__x.sql", "-- cutover:\n"); },
                   {"V2__x.sql:1", "names no option"});
  expect_bad_input([] { parse_migration_options("V2__x.sql", "-- cutover: no-transaction=yes\n"); },
                   {"V2__x.sql:1", "no-transaction", "no value"});
}

// Issue 9: Flyway's in-script configuration.
TEST(MigrationOptions, ReadsFlywayExecuteInTransactionFromTheHeader) {
  EXPECT_TRUE(
      parse_migration_options("V1__x.sql", "-- flyway:executeInTransaction=false\nCREATE INDEX;")
          .no_transaction);
  EXPECT_TRUE(
      parse_migration_options("V1__x.sql", "-- an index\n--flyway:executeInTransaction = FALSE\nX;")
          .no_transaction);
  EXPECT_TRUE(
      parse_migration_options("V1__x.sql", "\xEF\xBB\xBF-- flyway:executeInTransaction=false\nX;")
          .no_transaction);
  EXPECT_FALSE(parse_migration_options("V1__x.sql", "-- flyway:executeInTransaction=true\nX;")
                   .no_transaction);
  EXPECT_FALSE(parse_migration_options("V1__x.sql", "X;\n-- flyway:executeInTransaction=false\n")
                   .no_transaction);
  EXPECT_TRUE(parse_migration_options("V1__x.sql", "-- flyway:executeInTransaction=true\nX;")
                  .warnings.empty());
}

TEST(MigrationOptions, NamesOtherFlywayScriptSettingsInWarnings) {
  const MigrationOptions options = parse_migration_options(
      "V1__x.sql", "-- flyway:placeholderReplacement=false\n-- flyway:encoding=UTF-8\nX;");
  EXPECT_FALSE(options.no_transaction);
  ASSERT_EQ(options.warnings.size(), 2u);
  EXPECT_NE(options.warnings[0].find("V1__x.sql: Flyway script setting 'placeholderReplacement'"),
            std::string::npos)
      << options.warnings[0];
  EXPECT_NE(options.warnings[1].find("'encoding'"), std::string::npos) << options.warnings[1];
}

TEST(MigrationOptions, RejectsAnExecuteInTransactionThatIsNoBoolean) {
  expect_bad_input(
      [] { parse_migration_options("V3__x.sql", "-- a\n-- flyway:executeInTransaction=no\n"); },
      {"V3__x.sql:2", "executeInTransaction"});
}

}  // namespace
}  // namespace cutover::migrate
