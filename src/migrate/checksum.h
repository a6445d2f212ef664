// Flyway's checksum of a migration script, so that cutover and Flyway agree on history rows.
#pragma once

#include <cstdint>
#include <string_view>

namespace cutover::migrate {

// The checksum Flyway's ChecksumCalculator gives `text` (the raw UTF-8 file, before placeholder
// replacement): CRC-32 of every line's bytes in order, line breaks (\n, \r\n, \r) left out, a
// UTF-8 byte order mark at the very start dropped, returned as a signed 32-bit integer the way
// Java's `(int) crc32.getValue()` does. Line endings and blank lines therefore do not change it.
// The bytes are hashed as given; callers check that the text is valid UTF-8 (Flyway refuses
// files it cannot decode).
std::int32_t flyway_checksum(std::string_view text);

// flyway_checksum() of a text given in pieces: after add(a), add(b), value() is
// flyway_checksum(a + b), in time linear in the pieces, whatever their number. A byte order
// mark is dropped when the first non-empty piece starts with all of it.
class FlywayChecksum {
 public:
  FlywayChecksum();
  void add(std::string_view piece);
  std::int32_t value() const;

 private:
  unsigned long crc_;  // zlib's running CRC-32 of the bytes so far, line breaks left out
  bool started_ = false;
};

}  // namespace cutover::migrate
