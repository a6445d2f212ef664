// Helpers for the wire tests: big-endian integers and whole messages written by hand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cutover::proxy::test {

inline std::string be32(std::uint32_t value) {
  return {static_cast<char>(value >> 24 & 0xff), static_cast<char>(value >> 16 & 0xff),
          static_cast<char>(value >> 8 & 0xff), static_cast<char>(value & 0xff)};
}

inline std::string be16(std::uint16_t value) {
  return {static_cast<char>(value >> 8 & 0xff), static_cast<char>(value & 0xff)};
}

// A typed message: type byte, length word (4 + payload), payload.
inline std::string typed(char type, std::string_view payload) {
  std::string out(1, type);
  out += be32(static_cast<std::uint32_t>(payload.size() + 4));
  out += payload;
  return out;
}

// An untyped startup-phase packet: length word (4 + payload), payload (starting with the code).
inline std::string untyped(std::string_view payload) {
  return be32(static_cast<std::uint32_t>(payload.size() + 4)) + std::string(payload);
}

}  // namespace cutover::proxy::test
