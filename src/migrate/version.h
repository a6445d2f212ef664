// A migration version as Flyway reads it: `1`, `1.1`, `2_3`, `2024.01.15.1200`.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cutover::migrate {

// Numeric parts separated by `.` or `_` (Flyway reads `_` as `.`). Parts compare as numbers of
// any length, so 1.10 > 1.9; leading zeros and trailing zero parts do not count, so
// 1 == 1.0 == 01.0.0.
class Version {
 public:
  // Parses `text`. Throws Error(kBadInput) naming the text when it is empty, has an empty part
  // (`1..2`, `.1`, `1.`) or a part that is not all ASCII digits.
  static Version parse(std::string_view text);

  // The text as written with every `_` turned into `.`: what Flyway shows and stores in its
  // history table (`2_3` -> "2.3", `1.0` stays "1.0"). Equal versions may print differently.
  const std::string& to_string() const { return text_; }

  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return a.parts_ == b.parts_; }

 private:
  Version(std::string text, std::vector<std::string> parts)
      : text_(std::move(text)), parts_(std::move(parts)) {}

  std::string text_;
  std::vector<std::string> parts_;  // digits without leading zeros; no trailing "0" parts
};

}  // namespace cutover::migrate
