// FNV-1a: a short hash that never changes between builds.
#include "core/stable_hash.h"

#include <fmt/format.h>

#include <cstdint>

namespace cutover {

std::string stable_short_hash(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return fmt::format("{:08x}", hash);
}

}  // namespace cutover
