// A migration version as Flyway reads it: `1`, `1.1`, `2_3`, `2024.01.15.1200`.
#include "migrate/version.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace cutover::migrate {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "007" -> "7", "000" -> "0": the form in which equal numbers have equal text.
std::string without_leading_zeros(std::string_view digits) {
  const auto first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

// Numbers of any length: the longer is larger, equal lengths compare digit by digit.
std::strong_ordering compare_numbers(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

}  // namespace

Version Version::parse(std::string_view text) {
  std::string dotted(text);
  std::replace(dotted.begin(), dotted.end(), '_', '.');
  std::vector<std::string> parts;
  std::string_view rest = dotted;
  while (true) {
    const auto dot = rest.find('.');
    const std::string_view part = rest.substr(0, dot);
    if (!all_digits(part)) {
      throw_bad_input(fmt::format("bad migration version '{}'", text),
                      "a version is numbers separated by '.' or '_', such as 1, 1.2, 2_1 or "
                      "2024.01.15.1200");
    }
    parts.push_back(without_leading_zeros(part));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  while (parts.size() > 1 && parts.back() == "0") parts.pop_back();
  return Version(std::move(dotted), std::move(parts));
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  // A missing part counts as 0; trailing zeros are already gone, so the shorter list is smaller
  // when all shared parts are equal.
  const size_t shared = std::min(a.parts_.size(), b.parts_.size());
  for (size_t i = 0; i < shared; ++i) {
    if (const auto order = compare_numbers(a.parts_[i], b.parts_[i]); order != 0) return order;
  }
  return a.parts_.size() <=> b.parts_.size();
}

}  // namespace cutover::migrate
