// Loading a folder of migrations: order, checksums, options, skipped files and every error.
#include "migrate/migration_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "migrate/checksum.h"

namespace cutover::migrate {
namespace {

namespace fs = std::filesystem;

// A fresh folder under the system temp directory, removed with the fixture.
class MigrationSource : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-migrate-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }

  void write(const std::string& name, const std::string& text = "SELECT 1;\n") {
    std::ofstream(folder_ / name, std::ios::binary) << text;
  }

  // load_migrations(folder_) must throw Error(kBadInput) whose message holds every part.
  void expect_bad_input(std::initializer_list<std::string_view> parts) {
    try {
      load_migrations(folder_);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      for (auto part : parts) EXPECT_NE(e.message().find(part), std::string::npos) << e.message();
      EXPECT_FALSE(e.hint().empty());
    }
  }

  std::vector<std::string> loaded_names() {
    std::vector<std::string> names;
    for (const auto& script : load_migrations(folder_)) names.push_back(script.file_name);
    return names;
  }

  fs::path folder_;
};

// Flyway (SqlMigrationResolver) checksums a repeatable script after placeholder replacement and
// a versioned one before: a changed value applies a repeatable script again.
TEST_F(MigrationSource, ChecksumsARepeatableScriptAfterPlaceholderReplacement) {
  const std::string text = "GRANT SELECT ON t TO ${owner};\n";
  write("R__grants.sql", text);
  write("V1__grants.sql", text);
  const auto as_app = load_migrations(folder_, {{"owner", "app"}});
  ASSERT_EQ(as_app.size(), 2u);
  // Independently: CRC-32 of "GRANT SELECT ON t TO app;" (line breaks dropped), from Python's
  // zlib.crc32, as a signed 32-bit integer.
  EXPECT_EQ(as_app[1].checksum, 563160239);
  EXPECT_EQ(as_app[1].checksum, flyway_checksum("GRANT SELECT ON t TO app;\n"));
  EXPECT_EQ(as_app[0].checksum, 490594437);  // versioned: the raw text's
  EXPECT_EQ(as_app[0].checksum, flyway_checksum(text));
  EXPECT_EQ(as_app[1].text.view(), text);  // the text itself stays raw
  const auto as_ops = load_migrations(folder_, {{"owner", "ops"}});
  EXPECT_EQ(as_ops[1].checksum, -362610593);
  EXPECT_EQ(as_ops[0].checksum, as_app[0].checksum);
}

TEST_F(MigrationSource, RecordsPlaceholdersWithoutValueInsteadOfThrowing) {
  write("R__a.sql", "SELECT '${x}';\nSELECT '${flyway:filename}';\n");
  const auto scripts = load_migrations(folder_, {});
  ASSERT_EQ(scripts.size(), 1u);
  ASSERT_EQ(scripts[0].missing_placeholders.size(), 1u);
  EXPECT_EQ(scripts[0].missing_placeholders[0].name, "x");
  EXPECT_EQ(scripts[0].checksum, flyway_checksum(scripts[0].text.view()));
}

TEST_F(MigrationSource, SkipsFlywayCallbacksInAnyFolder) {
  write("V1__one.sql");
  fs::create_directories(folder_ / "callbacks");
  write("afterMigrate.sql");
  write("callbacks/afterMigrate__last_updated.sql");
  write("callbacks/beforeEachMigrate__set_path.sql");
  write("beforeClean.sql");
  EXPECT_EQ(loaded_names(), std::vector<std::string>{"V1__one.sql"});
}

TEST_F(MigrationSource, EmptyFolderHasNoMigrations) {
  EXPECT_TRUE(load_migrations(folder_).empty());
}

TEST_F(MigrationSource, OrdersVersionedByVersionThenRepeatableByDescription) {
  for (const char* name : {"R__views.sql", "V1.10__ten.sql", "V2__two.sql", "V1.9__nine.sql",
                           "R__functions.sql", "V1__one.sql", "V1_1__one_one.sql"}) {
    write(name);
  }
  EXPECT_EQ(loaded_names(),
            (std::vector<std::string>{"V1__one.sql", "V1_1__one_one.sql", "V1.9__nine.sql",
                                      "V1.10__ten.sql", "V2__two.sql", "R__functions.sql",
                                      "R__views.sql"}));
}

TEST_F(MigrationSource, FillsEveryField) {
  const std::string text =
      "-- cutover: no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (c);\r\n";
  write("V3_1__add_index.sql", text);
  write("R__refresh_views.sql", "SELECT 1;");
  const auto scripts = load_migrations(folder_);
  ASSERT_EQ(scripts.size(), 2u);

  const MigrationScript& versioned = scripts[0];
  EXPECT_EQ(versioned.kind, MigrationKind::kVersioned);
  EXPECT_EQ(versioned.version->to_string(), "3.1");
  EXPECT_EQ(versioned.description, "add index");
  EXPECT_EQ(versioned.file_name, "V3_1__add_index.sql");
  EXPECT_EQ(versioned.path, folder_ / "V3_1__add_index.sql");
  EXPECT_EQ(versioned.text.view(), text);  // raw bytes: CRLF kept
  EXPECT_EQ(versioned.checksum, flyway_checksum(text));
  EXPECT_TRUE(versioned.options.no_transaction);

  const MigrationScript& repeatable = scripts[1];
  EXPECT_EQ(repeatable.kind, MigrationKind::kRepeatable);
  EXPECT_FALSE(repeatable.version);
  EXPECT_EQ(repeatable.description, "refresh views");
  EXPECT_EQ(repeatable.checksum, 78787420);  // Java's value for "SELECT 1;" (checksum_test.cpp)
  EXPECT_FALSE(repeatable.options.no_transaction);
}

TEST_F(MigrationSource, SkipsOtherFilesAndHiddenFilesAndFolders) {
  write("V1__init.sql");
  write("README.md", "# notes");
  write("V2__draft.sql.bak");
  write(".#V3__lock.sql");
  fs::create_directory(folder_ / "V4__folder.sql");
  fs::create_directory(folder_ / ".git");
  std::ofstream(folder_ / ".git" / "V6__hidden.sql") << "SELECT 1;";
  EXPECT_EQ(loaded_names(), std::vector<std::string>{"V1__init.sql"});
}

TEST_F(MigrationSource, ReadsSubfoldersAsFlywayDoesNamingFilesByTheirPathBelowTheFolder) {
  write("V1__init.sql");
  fs::create_directories(folder_ / "2024" / "q2");
  std::ofstream(folder_ / "2024" / "V5__nested.sql") << "SELECT 1;";
  std::ofstream(folder_ / "2024" / "q2" / "V3__deeper.sql") << "SELECT 1;";
  EXPECT_EQ(loaded_names(), (std::vector<std::string>{"V1__init.sql", "2024/q2/V3__deeper.sql",
                                                      "2024/V5__nested.sql"}));
  std::ofstream(folder_ / "2024" / "V1.0__again.sql") << "SELECT 2;";
  expect_bad_input({"V1__init.sql", "2024/V1.0__again.sql"});
}

TEST_F(MigrationSource, ReadsEmptyFiles) {
  write("V1__empty.sql", "");
  const auto scripts = load_migrations(folder_);
  ASSERT_EQ(scripts.size(), 1u);
  EXPECT_EQ(scripts[0].text.view(), "");
  EXPECT_EQ(scripts[0].checksum, 0);
}

TEST_F(MigrationSource, RejectsTheSameVersionTwiceNamingBothFiles) {
  write("V1__a.sql");
  write("V1.0__b.sql");
  write("V2__c.sql");
  expect_bad_input({"V1__a.sql", "V1.0__b.sql", "same version"});
}

TEST_F(MigrationSource, RejectsTheSameRepeatableDescriptionTwiceNamingBothFiles) {
  write("R__refresh_views.sql");
  write("R__refresh views.sql");
  expect_bad_input({"R__refresh_views.sql", "R__refresh views.sql", "same description"});
}

TEST_F(MigrationSource, RejectsABadFileName) {
  write("V1__ok.sql");
  write("V2_oops.sql");
  expect_bad_input({"V2_oops.sql"});
}

TEST_F(MigrationSource, RejectsTextThatIsNotUtf8NamingFileAndLine) {
  write("V1__latin1.sql", "SELECT 1;\nSELECT 'Z\xFCrich';\n");
  expect_bad_input({"V1__latin1.sql:2", "UTF-8"});
}

TEST_F(MigrationSource, RejectsOverlongAndSurrogateUtf8) {
  write("V1__overlong.sql", "SELECT '\xC0\xAF';");
  expect_bad_input({"V1__overlong.sql:1"});
  fs::remove(folder_ / "V1__overlong.sql");
  write("V1__surrogate.sql", "SELECT '\xED\xA0\x80';");
  expect_bad_input({"V1__surrogate.sql:1"});
  fs::remove(folder_ / "V1__surrogate.sql");
  write("V1__truncated.sql", "SELECT '\xE6\x9D");
  expect_bad_input({"V1__truncated.sql:1"});
}

TEST_F(MigrationSource, RejectsABadOptionNamingFileAndLine) {
  write("V1__x.sql", "-- cutover: no-transactions\nSELECT 1;");
  expect_bad_input({"V1__x.sql:1", "no-transactions"});
}

TEST_F(MigrationSource, NamesAMissingFolder) {
  const fs::path missing = folder_ / "nope";
  try {
    load_migrations(missing);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find(missing.string()), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("folder"), std::string::npos) << e.hint();
  }
}

TEST_F(MigrationSource, NamesAPathThatIsAFile) {
  write("V1__x.sql");
  try {
    load_migrations(folder_ / "V1__x.sql");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("V1__x.sql"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace cutover::migrate
