// The move state store: a private SQLite file, moves and their events, conflicts between moves,
// and no password anywhere in it.
#include "move/move_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "core/error.h"

namespace cutover::move {
namespace {

namespace fs = std::filesystem;

const std::string kSecret = "Pl3ase-N0t-Stored";

class MoveStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cutover-move-store-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static MovePlan plan(const std::string& source, const std::string& target_name = "") {
    MovePlan p;
    p.target = parse_connection_url("postgres://admin:" + kSecret + "@new-db:5432/postgres");
    std::string arg = source + (target_name.empty() ? "" : "=" + target_name);
    p.databases.push_back(parse_mapping(arg));
    return p;
  }

  fs::path dir_;
};

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(MoveStoreTest, CreatesAPrivateFileInPrivateFolders) {
  fs::path file = dir_ / "state" / "cutover" / "moves.db";
  fs::create_directories(dir_);
  MoveStore store = MoveStore::open(file.string());
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(dir_ / "state" / "cutover"), 0700u);
  EXPECT_EQ(mode_of(dir_ / "state"), 0700u);
  EXPECT_TRUE(store.list().empty());
  EXPECT_FALSE(store.latest());
}

TEST_F(MoveStoreTest, NarrowsAnExistingFileToOwnerOnly) {
  fs::create_directories(dir_);
  fs::path file = dir_ / "moves.db";
  { std::ofstream(file).flush(); }
  ::chmod(file.c_str(), 0644);
  MoveStore::open(file.string());
  EXPECT_EQ(mode_of(file), 0600u);
}

TEST_F(MoveStoreTest, OpenExistingDoesNotCreateTheFile) {
  fs::path file = dir_ / "moves.db";
  EXPECT_FALSE(MoveStore::open_existing(file.string()));
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(MoveStoreTest, SavesFindsListsAndAdvancesMoves) {
  MoveStore store = MoveStore::open((dir_ / "moves.db").string());
  auto first = store.create(plan("postgres://app@old-1/shop", "shop_eu"), "created: one");
  auto second = store.create(plan("postgres://app@old-2/crm"), "created: two");
  EXPECT_TRUE(std::regex_match(first.id, std::regex("mv-[0-9a-f]{8}"))) << first.id;
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(first.step, MoveStep::kCreated);
  ASSERT_EQ(first.events.size(), 1u);
  EXPECT_EQ(first.events[0].what, "created: one");
  EXPECT_EQ(first.events[0].step, "created");
  EXPECT_TRUE(
      std::regex_match(first.created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first.created_at;

  EXPECT_EQ(store.latest()->id, second.id);
  auto all = store.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, first.id);
  EXPECT_EQ(all[0].plan.databases.at(0).target_name, "shop_eu");
  EXPECT_FALSE(store.find("mv-00000000"));

  auto aborted = store.advance(first.id, MoveStep::kCreated, MoveStep::kAborted, "aborted");
  EXPECT_EQ(aborted.step, MoveStep::kAborted);
  ASSERT_EQ(aborted.events.size(), 2u);
  EXPECT_EQ(aborted.events[1].step, "aborted");
  try {
    store.advance(first.id, MoveStep::kCreated, MoveStep::kAborted, "again");
    FAIL() << "advanced from a step the move is not at";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  // Another process sees what this one saved.
  MoveStore other = MoveStore::open((dir_ / "moves.db").string());
  EXPECT_EQ(other.find(first.id)->step, MoveStep::kAborted);
}

TEST_F(MoveStoreTest, ADatabaseBelongsToOneMoveUntilThatMoveIsAborted) {
  MoveStore store = MoveStore::open((dir_ / "moves.db").string());
  auto holder = store.create(plan("postgres://app@old-1/shop", "shop_eu"), "created");
  // The same source, under another spelling of the same port.
  auto same_source = plan("postgres://other@old-1:5432/shop", "shop_us");
  auto conflict = store.find_conflict(same_source);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->move_id, holder.id);
  EXPECT_EQ(conflict->role, "source");
  EXPECT_EQ(conflict->database, "old-1:5432/shop");
  try {
    store.create(same_source, "created");
    FAIL() << "a second move took a held database";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(e.message().find(holder.id), std::string::npos) << e.message();
  }
  // Another source moving into the held target name.
  auto same_target = plan("postgres://app@old-9/billing", "shop_eu");
  ASSERT_TRUE(store.find_conflict(same_target));
  EXPECT_EQ(store.find_conflict(same_target)->role, "target");
  // The held target database as the source of another move.
  ASSERT_TRUE(store.find_conflict(plan("postgres://admin@new-db/shop_eu", "x")));
  EXPECT_FALSE(store.find_conflict(plan("postgres://app@old-1/crm")));
  EXPECT_EQ(store.list().size(), 1u);

  store.advance(holder.id, MoveStep::kCreated, MoveStep::kAborted, "aborted");
  EXPECT_FALSE(store.find_conflict(same_source));
  EXPECT_NO_THROW(store.create(same_source, "created"));
}

TEST_F(MoveStoreTest, TheStepLockIsExclusiveAndStatusSeesItHeld) {
  MoveStore store = MoveStore::open((dir_ / "moves.db").string());
  auto move = store.create(plan("postgres://app@old-1/shop"), "created");
  std::string folder = store.work_folder(move.id);
  EXPECT_FALSE(StepLock::held(folder));
  {
    StepLock lock(folder, move.id);
    EXPECT_TRUE(StepLock::held(folder));
    try {
      StepLock second(folder, move.id);
      ADD_FAILURE() << "two steps of one move held the lock at once";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConflict) << e.message();
    }
  }
  EXPECT_FALSE(StepLock::held(folder)) << "let go when the step ends";
}

TEST_F(MoveStoreTest, NoPasswordIsEverStored) {
  fs::path file = dir_ / "moves.db";
  {
    MoveStore store = MoveStore::open(file.string());
    auto p = plan("postgres://app:" + kSecret + "@old-1/shop?password=" + kSecret, "eu");
    auto record = store.create(p, "created");
    EXPECT_EQ(record.plan.target.password, std::nullopt);
    EXPECT_EQ(record.plan.databases[0].source.password, std::nullopt);
    store.advance(record.id, MoveStep::kCreated, MoveStep::kAborted, "aborted");
  }
  for (const auto& entry : fs::directory_iterator(dir_)) {
    std::string content = bytes_of(entry.path());
    EXPECT_EQ(content.find(kSecret), std::string::npos) << entry.path();
    EXPECT_NE(content.find("old-1"), std::string::npos) << entry.path();
  }
}

TEST_F(MoveStoreTest, DefaultPathFollowsXdgStateHomeThenHome) {
  const char* old_xdg = std::getenv("XDG_STATE_HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "";
  ::setenv("XDG_STATE_HOME", "/srv/state", 1);
  EXPECT_EQ(MoveStore::default_path(), "/srv/state/cutover/moves.db");
  ::unsetenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  if (home != nullptr) {
    EXPECT_EQ(MoveStore::default_path(), std::string(home) + "/.local/state/cutover/moves.db");
  }
  if (old_xdg) ::setenv("XDG_STATE_HOME", saved_xdg.c_str(), 1);
}

}  // namespace
}  // namespace cutover::move
