// Flyway's checksum of a migration script, so that cutover and Flyway agree on history rows.
#include "migrate/checksum.h"

#include <zlib.h>

namespace cutover::migrate {
namespace {

uLong crc32_update(uLong crc, std::string_view bytes) {
  return crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
}

}  // namespace

std::int32_t flyway_checksum(std::string_view text) {
  // Flyway removes U+FEFF from the start of the first line only.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  // Flyway feeds each line from BufferedReader.readLine() to one CRC32, so the result is the CRC
  // of the text with its line-break characters removed (an empty line adds no bytes).
  uLong crc = crc32_z(0L, Z_NULL, 0);
  while (!text.empty()) {
    const auto line_end = text.find_first_of("\r\n");
    crc = crc32_update(crc, text.substr(0, line_end));
    if (line_end == std::string_view::npos) break;
    text.remove_prefix(line_end + 1);
  }
  // Java's (int) cast of the unsigned value: keep the low 32 bits as two's complement.
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(crc));
}

}  // namespace cutover::migrate
