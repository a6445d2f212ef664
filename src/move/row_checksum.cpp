// The checksum of a table as COPY sends it.
#include "move/row_checksum.h"

#include <fmt/format.h>

#include <cstring>

#include "core/error.h"

namespace cutover::move {
namespace {

constexpr std::uint64_t kMultiplier1 = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kMultiplier2 = 0xbf58476d1ce4e5b9ULL;
constexpr std::uint64_t kMultiplier3 = 0x94d049bb133111ebULL;

std::uint64_t rotate_left(std::uint64_t x, int bits) { return (x << bits) | (x >> (64 - bits)); }

// Little-endian whatever the machine, so that a stored checksum means the same everywhere.
std::uint64_t load_word(const unsigned char* p, std::size_t n) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < n; ++i) word |= std::uint64_t{p[i]} << (8 * i);
  return word;
}

// "PGCOPY\n\377\r\n\0", then 32-bit flags and a 32-bit header extension length.
constexpr std::string_view kBinarySignature("PGCOPY\n\377\r\n\0", 11);
constexpr std::string_view kBinaryTrailer("\xff\xff", 2);

std::uint32_t big_endian_32(std::string_view bytes) {
  std::uint32_t out = 0;
  for (std::size_t i = 0; i < 4; ++i) out = out << 8 | static_cast<unsigned char>(bytes[i]);
  return out;
}

}  // namespace

std::uint64_t row_hash(std::string_view bytes) {
  // Eight bytes at a time, each word multiplied in and the state rotated and multiplied (both
  // invertible, so two rows that differ in one word differ in the state), then the finalizer
  // of splitmix64 to spread every input bit over the result.
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  std::uint64_t h = kMultiplier1 ^ (n * kMultiplier2);
  for (; n >= 8; n -= 8, p += 8) {
    h = rotate_left(h ^ (load_word(p, 8) * kMultiplier2), 31) * kMultiplier1;
  }
  if (n > 0) h = rotate_left(h ^ (load_word(p, n) * kMultiplier2), 31) * kMultiplier1;
  h ^= h >> 30;
  h *= kMultiplier2;
  h ^= h >> 27;
  h *= kMultiplier3;
  h ^= h >> 31;
  return h;
}

void RowChecksum::add_message(std::string_view message) {
  if (binary_ && !header_read_) {
    if (message.size() < kBinarySignature.size() + 8 ||
        message.substr(0, kBinarySignature.size()) != kBinarySignature) {
      throw Error(ErrorCode::kOperationFailed, "a binary COPY stream did not start with its header");
    }
    std::size_t extension = big_endian_32(message.substr(kBinarySignature.size() + 4));
    std::size_t header = kBinarySignature.size() + 8 + extension;
    if (message.size() < header) {
      throw Error(ErrorCode::kOperationFailed, "a binary COPY stream's header is cut short");
    }
    message.remove_prefix(header);
    header_read_ = true;
    if (message.empty()) return;
  }
  if (binary_ && message == kBinaryTrailer) return;
  ++rows_;
  add_to_total(row_hash(message), 0);
}

void RowChecksum::add(const RowChecksum& part) {
  rows_ += part.rows_;
  add_to_total(part.low_, part.high_);
}

void RowChecksum::add_to_total(std::uint64_t low, std::uint64_t high) {
  low_ += low;
  high_ += high + (low_ < low ? 1 : 0);
}

TableSum RowChecksum::sum() const {
  return {rows_, fmt::format("copy:{:016x}{:016x}", high_, low_)};
}

bool is_copy_checksum(const TableSum& sum) { return sum.checksum.starts_with("copy:"); }

TableSum copied_table_sum(db::Connection& database, const TableToCopy& table) {
  RowChecksum checksum(table.binary);
  std::int64_t rows = database.postgres_copy().copy_out(
      copy_out_statement(table), [&](std::string_view message) { checksum.add_message(message); });
  if (rows != checksum.rows()) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("reading {}: COPY counted {} rows and sent {}", table.name, rows,
                            checksum.rows()));
  }
  return checksum.sum();
}

}  // namespace cutover::move
