// A database value: NULL, an integer, a float or text, as bound to parameters and read from rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cutover::db {

class Value {
 public:
  Value() = default;  // NULL
  Value(std::nullptr_t) {}
  Value(std::int64_t v) : v_(v) {}
  Value(int v) : v_(std::int64_t{v}) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::optional<std::string> v) {
    if (v) v_ = std::move(*v);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_text() const { return std::holds_alternative<std::string>(v_); }

  // The value as text ("" for NULL). Integers and floats are formatted in C locale.
  std::string text() const;
  // The value as an integer; parses text. Throws Error(kOperationFailed) if it is not one:
  // NULL, text that is not a whole number, a float with a fraction or outside int64.
  std::int64_t as_int() const;
  double as_double() const;
  std::optional<std::string> as_optional_text() const;

  bool operator==(const Value& other) const = default;

 private:
  std::variant<std::monostate, std::int64_t, double, std::string> v_;
};

using Row = std::vector<Value>;
using Params = std::vector<Value>;

}  // namespace cutover::db
