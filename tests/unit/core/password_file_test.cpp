// --password-file: one password for every server, or pgpass lines matched per server.
#include "core/password_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;

class PasswordFileTest : public testing::Test {
 protected:
  std::string write(const std::string& text, mode_t mode) {
    std::ofstream(path_) << text;
    chmod(path_.c_str(), mode);
    return path_;
  }
  void TearDown() override { fs::remove(path_); }

  std::string path_ =
      (fs::temp_directory_path() / ("cutover-pwfile-" + std::to_string(getpid()))).string();
};

const PassfileLogin kRoot{"127.0.0.1", "3306", "", "root"};

TEST_F(PasswordFileTest, OneLineIsOnePasswordForEveryServerWhateverItsMode) {
  auto file = load_password_file(write("s3cret:with:colons\nignored\n", 0644));
  EXPECT_EQ(password_for(file, kRoot, "mariadb://root@127.0.0.1:3306/"), "s3cret:with:colons");
  EXPECT_EQ(password_for(file, {"other", "1", "", "u"}, "x"), "s3cret:with:colons");
}

TEST_F(PasswordFileTest, PgpassLinesAreMatchedPerServer) {
  auto file = load_password_file(
      write("127.0.0.1:3306:*:root:first\n127.0.0.1:3307:*:root:second\n", 0600));
  EXPECT_EQ(password_for(file, kRoot, "a"), "first");
  EXPECT_EQ(password_for(file, {"127.0.0.1", "3307", "shop", "root"}, "b"), "second");
}

TEST_F(PasswordFileTest, NoMatchingLineNamesTheServerAndTheLineToAdd) {
  auto file = load_password_file(write("127.0.0.1:3306:*:root:first\n", 0600));
  try {
    password_for(file, {"127.0.0.1", "3399", "", "root"}, "mariadb://root@127.0.0.1:3399/");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("mariadb://root@127.0.0.1:3399/"), std::string::npos);
    EXPECT_NE(e.message().find(path_), std::string::npos);
    EXPECT_EQ(e.message().find("first"), std::string::npos);
    EXPECT_NE(e.hint().find("127.0.0.1:3399:*:root:PASSWORD"), std::string::npos);
  }
}

TEST_F(PasswordFileTest, PgpassLinesThatOthersMayReadAreRefused) {
  for (mode_t mode : {0640u, 0604u, 0660u, 0601u}) {
    try {
      load_password_file(write("*:*:*:root:pw\n", mode));
      ADD_FAILURE() << std::oct << mode;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_NE(e.message().find(path_), std::string::npos);
      EXPECT_EQ(e.hint(), "chmod 600 " + path_);
    }
  }
  EXPECT_NO_THROW(load_password_file(write("*:*:*:root:pw\n", 0400)));
}

TEST_F(PasswordFileTest, AnEmptyFirstLineOrAMissingFileIsBadInput) {
  EXPECT_THROW(load_password_file(write("\nsecond\n", 0600)), Error);
  fs::remove(path_);
  EXPECT_THROW(load_password_file(path_), Error);
}

}  // namespace
}  // namespace cutover
