// Durations as operators write them on a command line.
#include "core/duration.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <string>

#include "core/error.h"

namespace cutover {

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view option) {
  auto fail = [&]() -> std::chrono::milliseconds {
    throw_bad_input(fmt::format("{}: '{}' is not a duration", option, text),
                    "write a number with a unit: 500ms, 30s, 2m, 1h (a bare number is seconds)");
  };
  size_t unit_start = 0;
  while (unit_start < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_start])) || text[unit_start] == '.')) {
    ++unit_start;
  }
  if (unit_start == 0) return fail();
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(std::string(text.substr(0, unit_start)), &used);
    if (used != unit_start) return fail();
  } catch (const std::exception&) {
    return fail();
  }
  std::string_view unit = text.substr(unit_start);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "m" || unit == "min") {
    ms_per_unit = 60'000;
  } else if (unit == "h") {
    ms_per_unit = 3'600'000;
  } else {
    return fail();
  }
  // Ten years at most: longer is a typo, and a deadline of now + that must not overflow.
  constexpr double kLongestMs = 10 * 365.25 * 86'400'000;
  if (value * ms_per_unit > kLongestMs) {
    throw_bad_input(fmt::format("{}: '{}' is longer than ten years", option, text),
                    "write a shorter duration: 500ms, 30s, 2m, 1h");
  }
  return std::chrono::milliseconds(std::llround(value * ms_per_unit));
}

std::string format_duration_ms(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000);
  return fmt::format("{}m{:02}s", ms / 60'000, (ms / 1000) % 60);
}

}  // namespace cutover
