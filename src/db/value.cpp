// A database value: NULL, an integer, a float or text, as bound to parameters and read from rows.
#include "db/value.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "core/error.h"

namespace cutover::db {

std::string Value::text() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v_)) return fmt::format("{}", *d);
  return {};
}

std::int64_t Value::as_int() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) {
    // Only a whole number inside int64's range is an integer; the cast would be UB otherwise.
    if (std::isfinite(*d) && *d == std::trunc(*d) && *d >= -9.223372036854775808e18 &&
        *d < 9.223372036854775808e18) {
      return static_cast<std::int64_t>(*d);
    }
    throw Error(ErrorCode::kOperationFailed, fmt::format("expected an integer, got {}", *d));
  }
  if (const auto* s = std::get_if<std::string>(&v_)) {
    std::int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && ptr == s->data() + s->size()) return out;
    throw Error(ErrorCode::kOperationFailed, "expected an integer, got '" + *s + "'");
  }
  throw Error(ErrorCode::kOperationFailed, "expected an integer, got NULL");
}

double Value::as_double() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v_)) {
    // from_chars: locale-independent, and it reads subnormals that std::stod calls out of range.
    double out = 0;
    auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && ptr == s->data() + s->size()) return out;
    throw Error(ErrorCode::kOperationFailed, "expected a number, got '" + *s + "'");
  }
  throw Error(ErrorCode::kOperationFailed, "expected a number, got NULL");
}

std::optional<std::string> Value::as_optional_text() const {
  if (is_null()) return std::nullopt;
  return text();
}

}  // namespace cutover::db
