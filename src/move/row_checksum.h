// The checksum of a table as COPY sends it: the rows counted and a hash of each row's bytes
// summed, computed by cutover on the stream itself. The copy sums what it reads from the
// frozen source; the verification reads the target back the same way and compares. That spares
// a second read of the source and the servers' conversion of every row to text.
#pragma once

#include <cstdint>
#include <string_view>

#include "db/connection.h"
#include "move/table_copy.h"
#include "move/table_verify.h"

namespace cutover::move {

// A 64-bit hash of `bytes` that every build computes alike (it is stored in the state store
// and compared by a later run, maybe of another binary).
std::uint64_t row_hash(std::string_view bytes);

class RowChecksum {
 public:
  explicit RowChecksum(bool binary) : binary_(binary) {}

  // One CopyData message of a COPY ... TO STDOUT: PostgreSQL sends one row per message; in
  // binary format the first message also carries the file header and the last is the trailer.
  // Throws Error when a binary stream does not start with the header.
  void add_message(std::string_view message);
  // Another part of the same table (a ctid range).
  void add(const RowChecksum& part);

  std::int64_t rows() const { return rows_; }
  // As stored and compared: "copy:" and the sum in hex (a server-side sum is a decimal).
  TableSum sum() const;

 private:
  bool binary_;
  bool header_read_ = false;
  std::int64_t rows_ = 0;
  // The sum of the rows' hashes in 128 bits (two words), which no row count can make wrap.
  std::uint64_t low_ = 0, high_ = 0;

  void add_to_total(std::uint64_t low, std::uint64_t high);
};

// Whether `sum` was made by a RowChecksum (not by table_sum()).
bool is_copy_checksum(const TableSum& sum);

// Reads `table` with COPY in its format on `database` (a session prepared with
// prepare_checksum_session) and returns its count and checksum.
TableSum copied_table_sum(db::Connection& database, const TableToCopy& table);

}  // namespace cutover::move
