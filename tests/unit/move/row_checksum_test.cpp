// The checksum of COPY streams: stable, order-independent, sensitive to every row, and
// blind to the binary format's header and trailer.
#include "move/row_checksum.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace cutover::move {
namespace {

// The binary COPY header with an extension area of `extension` bytes.
std::string binary_header(std::string extension = "") {
  std::string out("PGCOPY\n\377\r\n\0", 11);
  out += std::string("\0\0\0\0", 4);  // flags
  out += std::string("\0\0\0", 3) + static_cast<char>(extension.size());
  return out + extension;
}

const std::string kTrailer("\xff\xff", 2);

TableSum binary_sum(const std::vector<std::string>& messages) {
  RowChecksum checksum(true);
  for (const auto& m : messages) checksum.add_message(m);
  return checksum.sum();
}

TEST(RowChecksum, TheHashNeverChangesBetweenBuilds) {
  // Stored in the state store and compared by a later run, maybe of another binary: a change
  // of these values breaks every move verified before it.
  EXPECT_EQ(row_hash(""), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(row_hash("a"), 0x2776a46269e0d5dbULL);
  EXPECT_EQ(row_hash("one row of a table, longer than a word"), 0xb3390519f7f3ac82ULL);
}

TEST(RowChecksum, TheHashSeesEveryByteAndTheLength) {
  EXPECT_NE(row_hash("abcdefgh1"), row_hash("abcdefgh2"));
  EXPECT_NE(row_hash("abcdefgh"), row_hash("abcdefgi"));
  EXPECT_NE(row_hash(std::string("a\0", 2)), row_hash("a"));
  EXPECT_NE(row_hash("ab"), row_hash("ba"));
}

TEST(RowChecksum, RowOrderDoesNotMatterButEveryRowDoes) {
  std::string header = binary_header();
  auto in_order = binary_sum({header + "row 1", "row 2", "row 3", kTrailer});
  auto reversed = binary_sum({header + "row 3", "row 2", "row 1", kTrailer});
  EXPECT_EQ(in_order, reversed);
  EXPECT_EQ(in_order.rows, 3);
  auto altered = binary_sum({header + "row 1", "row 2", "row 4", kTrailer});
  EXPECT_EQ(altered.rows, 3);
  EXPECT_NE(altered.checksum, in_order.checksum);
  auto missing = binary_sum({header + "row 1", "row 2", kTrailer});
  EXPECT_NE(missing, in_order);
}

TEST(RowChecksum, TheHeaderAndItsExtensionAreNotARow) {
  auto plain = binary_sum({binary_header() + "row 1", "row 2", kTrailer});
  auto extended = binary_sum({binary_header("ext") + "row 1", "row 2", kTrailer});
  EXPECT_EQ(plain, extended);
  EXPECT_EQ(plain.rows, 2);
  EXPECT_EQ(binary_sum({binary_header() + kTrailer}).rows, 0);
  EXPECT_EQ(binary_sum({binary_header(), kTrailer}).rows, 0);
}

TEST(RowChecksum, PartsAddUpToTheWholeTable) {
  RowChecksum whole(true), first(true), second(true);
  std::string header = binary_header();
  for (const auto& m : {header + "a", std::string("b"), std::string("c"), kTrailer}) {
    whole.add_message(m);
  }
  for (const auto& m : {header + "a", kTrailer}) first.add_message(m);
  for (const auto& m : {header + "c", std::string("b"), kTrailer}) second.add_message(m);
  RowChecksum both(true);
  both.add(first);
  both.add(second);
  EXPECT_EQ(both.sum(), whole.sum());
}

TEST(RowChecksum, TextRowsHaveNoTrailerAndTheirSumIsMarked) {
  RowChecksum text(false);
  text.add_message("1\tone\n");
  text.add_message("\xff\xff");  // a row of text like any other, not a trailer
  EXPECT_EQ(text.rows(), 2);
  EXPECT_TRUE(is_copy_checksum(text.sum()));
  EXPECT_FALSE(is_copy_checksum(TableSum{2, "123456789"}));
}

TEST(RowChecksum, ABinaryStreamWithoutItsHeaderIsAnError) {
  RowChecksum checksum(true);
  EXPECT_THROW(checksum.add_message("not a header at all"), Error);
  RowChecksum cut(true);
  EXPECT_THROW(cut.add_message(binary_header().substr(0, 15)), Error);
  RowChecksum short_extension(true);
  std::string header = binary_header("extension");
  EXPECT_THROW(short_extension.add_message(header.substr(0, header.size() - 2)), Error);
}

}  // namespace
}  // namespace cutover::move
