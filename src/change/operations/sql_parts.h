// Small pieces several operations share: SQL literals, referential actions, and the check that
// no foreign key depends on a key about to go.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "change/change_context.h"
#include "change/operation_args.h"

namespace cutover::change {

// An SQL string literal: 'it''s'.
std::string sql_literal(std::string_view text);

// Quoted names, comma-separated: "a", "b".
std::string quoted_list(const std::vector<std::string>& names);

// A foreign key's optional `on_delete` / `on_update` field of `args`, upper-cased; Error
// (kBadInput) naming `where` unless it is NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT.
std::optional<std::string> read_reference_action(OperationArgs& args, const std::string& field,
                                                 const std::string& where);

// Whether `a` and `b` hold the same columns, in any order.
bool same_columns(std::vector<std::string> a, std::vector<std::string> b);

// Throws Error(kBadInput) naming `where` and the foreign key when one references `columns` of
// `table` (`what` names the key or index about to be dropped), with the fix: drop that foreign
// key first, in an earlier change.
void refuse_referenced_key(const ChangeContext& context, const std::string& table,
                           const std::vector<std::string>& columns, const std::string& where,
                           const std::string& what);

}  // namespace cutover::change
