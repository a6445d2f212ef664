// Typed access to an operation's fields, and the check that every field given was read.
#include "change/operation_args.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "core/error.h"

namespace cutover::change {
namespace {

constexpr std::size_t kMaxIdentifierBytes = 63;

const char* describe(const nlohmann::json& value) {
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  if (value.is_null()) return "empty";
  return "a single value";
}

// "column." -> "`column`", "" -> "the operation": where a field goes, for hints.
std::string owner(const std::string& path) {
  if (path.empty()) return "the operation";
  return fmt::format("`{}`", path.substr(0, path.size() - 1));
}

// Levenshtein distance, for "did you mean".
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

OperationArgs::OperationArgs(const OperationSpec& spec)
    : OperationArgs(spec, spec.args, "", std::make_shared<std::set<std::string>>()) {}

OperationArgs::OperationArgs(const OperationSpec& spec, nlohmann::json object, std::string path,
                             std::shared_ptr<std::set<std::string>> read)
    : spec_(spec), object_(std::move(object)), path_(std::move(path)), read_(std::move(read)) {
  if (!object_.is_object()) {
    throw_bad_input(
        fmt::format("{}: its fields are {}, not a mapping", spec_.where(), describe(object_)),
        "write the operation as `- kind: {field: value, ...}`");
  }
}

const nlohmann::json* OperationArgs::find(const std::string& field) {
  read_->insert(path_ + field);
  const auto it = object_.find(field);
  return it == object_.end() ? nullptr : &*it;
}

void OperationArgs::fail(const std::string& field, const std::string& problem,
                         const std::string& hint) const {
  throw_bad_input(fmt::format("{}: {}{} {}", spec_.where(), path_, field, problem), hint);
}

void OperationArgs::missing(const std::string& field, const std::string& hint) const {
  if (object_.is_object()) {
    for (const auto& [key, value] : object_.items()) {
      // Not a field read already, and near: within two letters, and half the name's length.
      const std::size_t near = std::min<std::size_t>(2, field.size() / 2);
      if (key != field && !read_->contains(path_ + key) && distance(key, field) <= near) {
        fail(key, fmt::format("is not a field: did you mean {}?", field),
             fmt::format("write `{}: ...`", field));
      }
    }
  }
  fail(field, "is missing", hint);
}

std::string OperationArgs::text(const std::string& field, const nlohmann::json& value) const {
  std::string result;
  if (value.is_string()) {
    result = value.get<std::string>();
  } else if (value.is_boolean() || value.is_number()) {
    result = value.dump();
  } else if (value.is_null()) {
    fail(field, "has no value", "give it a value, or remove the field if it is optional");
  } else {
    fail(field, fmt::format("is {}, not a single value", describe(value)),
         "write one value; quote it if it contains `: ` or ` #`, e.g. \"a > 0\"");
  }
  if (result.empty()) {
    fail(field, "is empty",
         "give it a value, or remove the field if it is optional (an SQL empty string is "
         "written \"''\")");
  }
  return result;
}

OperationArgs OperationArgs::nested(const std::string& field, const nlohmann::json& value) const {
  if (!value.is_object()) {
    fail(field, fmt::format("is {}, not a mapping", describe(value)),
         fmt::format("write its fields as a mapping: `{}: {{name: value, ...}}`", field));
  }
  return OperationArgs(spec_, value, path_ + field + ".", read_);
}

std::string OperationArgs::string(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) {
    missing(field, fmt::format("add `{}: ...` to {}", field, owner(path_)));
  }
  return text(field, *value);
}

std::optional<std::string> OperationArgs::optional_string(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) return std::nullopt;
  return text(field, *value);
}

std::optional<bool> OperationArgs::optional_bool(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    fail(field, "must be true or false",
         "write true or false, without quotes (yes, no, on and off are text here)");
  }
  return value->get<bool>();
}

std::vector<std::string> OperationArgs::string_list(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) {
    missing(field, fmt::format("add `{}: [a, b]` to {}", field, owner(path_)));
  }
  if (!value->is_array() || value->empty()) {
    fail(
        field,
        value->is_array() ? "is an empty list" : fmt::format("is {}, not a list", describe(*value)),
        fmt::format("write a list of one or more names: `{}: [a, b]`", field));
  }
  std::vector<std::string> result;
  for (const nlohmann::json& item : *value) {
    result.push_back(text(fmt::format("{}[{}]", field, result.size() + 1), item));
  }
  return result;
}

std::string OperationArgs::identifier(const std::string& field) {
  std::string name = string(field);
  check_identifier(name, spec_.where(), path_ + field);
  return name;
}

std::vector<std::string> OperationArgs::identifier_list(const std::string& field) {
  std::vector<std::string> names = string_list(field);
  for (std::size_t i = 0; i < names.size(); ++i) {
    check_identifier(names[i], spec_.where(), fmt::format("{}{}[{}]", path_, field, i + 1));
  }
  return names;
}

OperationArgs OperationArgs::object(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) {
    missing(field, fmt::format("add `{}: {{...}}` to {}", field, owner(path_)));
  }
  return nested(field, *value);
}

std::optional<OperationArgs> OperationArgs::optional_object(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) return std::nullopt;
  return nested(field, *value);
}

std::vector<OperationArgs> OperationArgs::object_list(const std::string& field) {
  const nlohmann::json* value = find(field);
  if (value == nullptr) {
    missing(field, fmt::format("add `{}: [{{...}}, ...]` to {}", field, owner(path_)));
  }
  if (!value->is_array() || value->empty()) {
    fail(
        field,
        value->is_array() ? "is an empty list" : fmt::format("is {}, not a list", describe(*value)),
        fmt::format("write a list of one or more mappings: `{}: [{{...}}, ...]`", field));
  }
  std::vector<OperationArgs> result;
  for (const nlohmann::json& item : *value) {
    result.push_back(nested(fmt::format("{}[{}]", field, result.size() + 1), item));
  }
  return result;
}

void OperationArgs::collect_unknown(const nlohmann::json& object, const std::string& path,
                                    std::vector<std::string>& unknown) const {
  for (const auto& [key, value] : object.items()) {
    const std::string full = path + key;
    if (!read_->contains(full)) {
      unknown.push_back(full);
    } else if (value.is_object()) {  // read with object(): its fields must be known too
      collect_unknown(value, full + ".", unknown);
    } else if (value.is_array()) {  // items read with object_list()
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i].is_object()) {
          collect_unknown(value[i], fmt::format("{}[{}].", full, i + 1), unknown);
        }
      }
    }
  }
}

void OperationArgs::reject_unknown() const {
  std::vector<std::string> unknown;
  collect_unknown(object_, path_, unknown);
  if (unknown.empty()) return;

  // Per object holding an unknown field: the fields known there, and the nearest one.
  std::map<std::string, std::vector<std::string>> known;  // "column." -> {"name", "type"}
  std::vector<std::string> guesses;
  for (const std::string& field : unknown) {
    const std::size_t cut = field.find_last_of('.');
    const std::string parent = cut == std::string::npos ? "" : field.substr(0, cut + 1);
    const std::string name = field.substr(parent.size());
    std::vector<std::string>& names = known[parent];
    if (names.empty()) {
      for (const std::string& read : *read_) {
        const std::string rest =
            read.substr(0, parent.size()) == parent ? read.substr(parent.size()) : std::string();
        if (!rest.empty() && rest.find_first_of(".[") == std::string::npos) names.push_back(rest);
      }
    }
    const auto nearest = std::min_element(names.begin(), names.end(), [&](auto& a, auto& b) {
      return distance(name, a) < distance(name, b);
    });
    if (nearest != names.end() && distance(name, *nearest) <= 2) {
      guesses.push_back(fmt::format("`{}{}` for `{}`", parent, *nearest, field));
    }
  }

  std::vector<std::string> hints;
  for (const auto& [parent, names] : known) {
    if (names.empty()) {
      hints.push_back(fmt::format("{} takes no fields", owner(parent)));
    } else {
      hints.push_back(fmt::format("{} takes: {}", owner(parent), fmt::join(names, ", ")));
    }
  }
  throw_bad_input(
      fmt::format("{}: unknown field{} {}", spec_.where(), unknown.size() > 1 ? "s" : "",
                  fmt::join(unknown, ", ")),
      fmt::format("{}{}",
                  guesses.empty() ? "" : fmt::format("did you mean {}? ", fmt::join(guesses, ", ")),
                  fmt::join(hints, "; ")));
}

void check_identifier(const std::string& name, const std::string& where, const std::string& field) {
  const auto valid_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  const char* problem = nullptr;
  if (name.empty()) {
    problem = "is empty";
  } else if (name.size() > kMaxIdentifierBytes) {
    problem = "is longer than 63 bytes";
  } else if (!std::all_of(name.begin(), name.end(), valid_char) ||
             (name[0] >= '0' && name[0] <= '9')) {
    problem = "is not a valid name";
  } else if (name.rfind("_cutover", 0) == 0) {
    problem = "starts with _cutover, which is reserved for cutover's own columns and triggers";
  }
  if (problem == nullptr) return;
  const std::string quoted = name.empty() ? std::string() : fmt::format(" '{}'", name);
  throw_bad_input(fmt::format("{}: {}{} {}", where, field, quoted, problem),
                  "use ASCII letters, digits and _, not starting with a digit or _cutover, at "
                  "most 63 bytes");
}

}  // namespace cutover::change
