// Flyway's SQL callbacks: which file names are callbacks, which events cutover fires, and the
// order the callbacks of one event run in.
#include "migrate/callbacks.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace cutover::migrate {
namespace {

namespace fs = std::filesystem;

TEST(CallbackNames, AreFlywayEventsWithAnOptionalDescription) {
  for (const char* name :
       {"beforeMigrate.sql", "afterMigrate.sql", "afterMigrate__last_updated.sql",
        "beforeEachMigrate__set_search_path.sql", "afterEachMigrateError.sql",
        "afterMigrateApplied.sql", "afterVersioned.sql", "beforeRepeatables.sql",
        "beforeValidate.sql", "afterInfoError.sql", "beforeClean.sql", "afterUndo.sql",
        "beforeEachMigrateStatement.sql", "createSchema.sql", "beforeConnect.sql",
        "afterMigrate.SQL"}) {
    EXPECT_TRUE(is_callback_file_name(name)) << name;
  }
  for (const char* name :
       {"V1__x.sql", "R__afterMigrate.sql", "after_migrate.sql", "aftermigrate.sql",
        "afterMigrates.sql", "afterMigrate.sql.bak", "afterMigrate", "__afterMigrate.sql"}) {
    EXPECT_FALSE(is_callback_file_name(name)) << name;
  }
}

TEST(CallbackEvents, CutoverFiresTheOnesOfItsCommands) {
  for (const char* event :
       {"beforeMigrate",     "beforeEachMigrate",  "afterEachMigrate",    "afterEachMigrateError",
        "afterVersioned",    "beforeRepeatables",  "afterMigrateApplied", "afterMigrate",
        "afterMigrateError", "beforeValidate",     "afterValidate",       "afterValidateError",
        "beforeInfo",        "afterInfo",          "afterInfoError",      "beforeBaseline",
        "afterBaseline",     "afterBaselineError", "beforeRepair",        "afterRepair",
        "afterRepairError"}) {
    EXPECT_TRUE(is_flyway_event(event)) << event;
    EXPECT_TRUE(is_supported_event(event)) << event;
  }
  for (const char* event :
       {"beforeClean", "afterClean", "afterCleanError", "beforeUndo", "afterEachUndo",
        "beforeEachMigrateStatement", "afterEachMigrateStatementError", "createSchema",
        "beforeConnect", "afterMigrateOperationFinish"}) {
    EXPECT_TRUE(is_flyway_event(event)) << event;
    EXPECT_FALSE(is_supported_event(event)) << event;
  }
  EXPECT_FALSE(is_flyway_event("afterEverything"));
}

class CallbackFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-callbacks-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }
  void write(const std::string& name, const std::string& text = "SELECT 1;\n") {
    fs::create_directories((folder_ / name).parent_path());
    std::ofstream(folder_ / name, std::ios::binary) << text;
  }
  fs::path folder_;
};

TEST_F(CallbackFolder, LoadsCallbacksInFlywaysOrder) {
  write("V1__one.sql");
  write("R__view.sql");
  write("afterMigrate__b_second.sql");
  write("sql/afterMigrate.sql");
  write("sql/deeper/afterMigrate__a_first.sql");
  write("beforeMigrate.sql", "SELECT '${flyway:filename}', '${missing}';\n");
  const auto callbacks = load_callbacks(folder_, {});
  std::vector<std::string> seen;
  for (const auto& c : callbacks)
    seen.push_back(c.event + "|" + c.description + "|" + c.script.file_name);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"afterMigrate||sql/afterMigrate.sql",
                                      "afterMigrate|a_first|sql/deeper/afterMigrate__a_first.sql",
                                      "afterMigrate|b_second|afterMigrate__b_second.sql",
                                      "beforeMigrate||beforeMigrate.sql"}));
  ASSERT_EQ(callbacks.back().script.missing_placeholders.size(), 1u);
  EXPECT_EQ(callbacks.back().script.missing_placeholders[0].name, "missing");
}

TEST_F(CallbackFolder, RefusesTwoCallbacksOfOneNameLikeFlyway) {
  write("a/afterMigrate.sql");
  write("b/afterMigrate.sql");
  try {
    load_callbacks(folder_, {});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("afterMigrate.sql"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace cutover::migrate
