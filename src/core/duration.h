// Durations as operators write them on a command line: "30s", "500ms", "2m", "1h", "1.5s".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace cutover {

// Parses a duration; a bare number means seconds. Throws Error(kBadInput) naming `option` and
// the text, with the accepted forms as the hint, for anything else or a negative value.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view option);

// "1.5s", "250ms", "2m30s" for display.
std::string format_duration_ms(std::chrono::milliseconds duration);

}  // namespace cutover
