// Flyway's checksum of a migration script, so that cutover and Flyway agree on history rows.
#include "migrate/checksum.h"

#include <zlib.h>

namespace cutover::migrate {

std::int32_t flyway_checksum(std::string_view text) {
  FlywayChecksum checksum;
  checksum.add(text);
  return checksum.value();
}

FlywayChecksum::FlywayChecksum() : crc_(crc32_z(0L, Z_NULL, 0)) {}

void FlywayChecksum::add(std::string_view piece) {
  if (piece.empty()) return;
  if (!started_) {
    // Flyway removes U+FEFF from the start of the first line only.
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (piece.starts_with(kBom)) piece.remove_prefix(kBom.size());
    started_ = true;
  }
  // Flyway feeds each line from BufferedReader.readLine() to one CRC32, so the result is the CRC
  // of the text with its line-break characters removed (an empty line adds no bytes).
  // (A plain loop: string_view::find_first_of tests each byte against the set with memchr.)
  const char* line = piece.data();
  const char* const end = piece.data() + piece.size();
  for (const char* at = line; at != end; ++at) {
    if (*at != '\n' && *at != '\r') continue;
    crc_ = crc32_z(crc_, reinterpret_cast<const Bytef*>(line), static_cast<std::size_t>(at - line));
    line = at + 1;
  }
  crc_ = crc32_z(crc_, reinterpret_cast<const Bytef*>(line), static_cast<std::size_t>(end - line));
}

std::int32_t FlywayChecksum::value() const {
  // Java's (int) cast of the unsigned value: keep the low 32 bits as two's complement.
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(crc_));
}

}  // namespace cutover::migrate
