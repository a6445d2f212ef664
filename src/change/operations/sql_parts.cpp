// Small pieces several operations share.
#include "change/operations/sql_parts.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/error.h"

namespace cutover::change {

std::string sql_literal(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += ChangeContext::quote(name);
  }
  return out;
}

std::optional<std::string> read_reference_action(OperationArgs& args, const std::string& field,
                                                 const std::string& where) {
  constexpr std::array<std::string_view, 5> kActions = {"NO ACTION", "RESTRICT", "CASCADE",
                                                        "SET NULL", "SET DEFAULT"};
  auto value = args.optional_string(field);
  if (!value) return std::nullopt;
  std::string action = *value;
  std::transform(action.begin(), action.end(), action.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (std::find(kActions.begin(), kActions.end(), action) == kActions.end()) {
    throw_bad_input(fmt::format("{}: references.{} is '{}'", where, field, *value),
                    "use one of NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT");
  }
  return action;
}

bool same_columns(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

void refuse_referenced_key(const ChangeContext& context, const std::string& table,
                           const std::vector<std::string>& columns, const std::string& where,
                           const std::string& what) {
  for (const auto& other : context.catalog->tables) {
    for (const auto& foreign : other.foreign_keys) {
      if (foreign.ref_table != table || !same_columns(foreign.ref_columns, columns)) continue;
      throw_bad_input(fmt::format("{}: foreign key {} of table {} references {}", where,
                                  foreign.name, other.name, what),
                      fmt::format("drop the foreign key first, in an earlier change "
                                  "(drop_constraint: {{table: {}, name: {}}})",
                                  other.name, foreign.name));
    }
  }
}

}  // namespace cutover::change
