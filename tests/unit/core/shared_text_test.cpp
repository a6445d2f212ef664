// SharedText: owned strings and mapped files, shared by copies, pages released without loss.
#include "core/shared_text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

namespace cutover {
namespace {

namespace fs = std::filesystem;

class SharedTextFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-text-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(folder_ / name, std::ios::binary) << text;
    return folder_ / name;
  }

  fs::path folder_;
};

TEST_F(SharedTextFile, AMappedFileReadsAsItsBytesAndStaysTheSameAfterRelease) {
  std::string text;
  for (int i = 0; i < 300000; ++i) text += "line " + std::to_string(i) + "\n";  // about 3 MB
  const SharedText mapped = SharedText::map_file(write("big.sql", text));
  ASSERT_EQ(mapped.view(), text);
  mapped.release(mapped.view());
  EXPECT_EQ(mapped.view(), text);  // released pages are read again from the file
  std::size_t pieces = 0, bytes = 0;
  mapped.for_each_piece(
      [&](std::string_view piece) {
        ++pieces;
        bytes += piece.size();
        EXPECT_EQ(piece.back(), '\n');  // whole lines
      },
      1 << 20);
  EXPECT_EQ(bytes, text.size());
  EXPECT_EQ(pieces, (text.size() >> 20) + 1);  // each at least 1 MB, the last one the rest
}

TEST_F(SharedTextFile, CopiesAndSuffixesShareTheMapping) {
  const SharedText mapped = SharedText::map_file(write("a.sql", "\xEF\xBB\xBFSELECT 1;"));
  const SharedText rest = mapped.without_prefix(3);
  EXPECT_EQ(rest.view(), "SELECT 1;");
  EXPECT_EQ(rest.view().data(), mapped.view().data() + 3);
  const SharedText copy = rest;
  EXPECT_EQ(copy.view().data(), rest.view().data());
}

TEST_F(SharedTextFile, AnEmptyFileIsAnEmptyTextAndAMissingOneThrows) {
  EXPECT_TRUE(SharedText::map_file(write("empty.sql", "")).empty());
  EXPECT_THROW(SharedText::map_file(folder_ / "missing.sql"), std::system_error);
  EXPECT_THROW(SharedText::map_file(folder_), std::system_error);  // a folder
}

TEST(SharedText, AnOwnedStringIgnoresRelease) {
  const SharedText owned(std::string(100000, 'x'));
  owned.release(owned.view());
  EXPECT_EQ(owned.view(), std::string(100000, 'x'));
  owned.release("not its bytes");
  EXPECT_EQ(owned.size(), 100000U);
}

}  // namespace
}  // namespace cutover
