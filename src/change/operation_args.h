// Typed access to an operation's fields, with errors that name the operation, the field and the
// fix, and a check that no unknown field was given (a typo must not be silently ignored).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "change/change_spec.h"

namespace cutover::change {

// Every accessor throws Error(kBadInput) whose message names spec.where() and the field's path
// ("operation 1 (add_column, line 3): column.type is missing"; items of lists are numbered from
// 1: "columns[2].name") and whose hint says how to fix it. Text fields also accept a bool or a
// number and return it as text ("true", "0"), so `default: true` is SQL text too.
class OperationArgs {
 public:
  // Throws Error(kBadInput) when spec.args is not an object.
  explicit OperationArgs(const OperationSpec& spec);

  // A required text field; missing, null, empty, a list or a mapping are errors.
  std::string string(const std::string& field);
  // Absent: nullopt. Given: as string() (null and empty are errors, not "absent").
  std::optional<std::string> optional_string(const std::string& field);
  // Absent: nullopt. Given: a bool (true/false unquoted); anything else is an error.
  std::optional<bool> optional_bool(const std::string& field);
  // A required non-empty list of non-empty strings.
  std::vector<std::string> string_list(const std::string& field);
  // string() / string_list(), then check_identifier() on each, named by its path.
  std::string identifier(const std::string& field);
  std::vector<std::string> identifier_list(const std::string& field);
  // A required / optional nested object, itself read with OperationArgs; null is an error.
  OperationArgs object(const std::string& field);
  std::optional<OperationArgs> optional_object(const std::string& field);
  // A required non-empty list of objects (create_table's columns), one OperationArgs each.
  std::vector<OperationArgs> object_list(const std::string& field);

  // Throws Error(kBadInput) naming every field that was given and never asked for, here and in
  // the nested objects read from here (object(), optional_object(), object_list()), with the
  // fields that are known and the nearest one when it looks like a typo. Call it last.
  void reject_unknown() const;

  const OperationSpec& spec() const { return spec_; }

 private:
  OperationArgs(const OperationSpec& spec, nlohmann::json object, std::string path,
                std::shared_ptr<std::set<std::string>> read);
  // Marks `field` as known (asked for) and returns it, or nullptr when absent.
  const nlohmann::json* find(const std::string& field);
  std::string text(const std::string& field, const nlohmann::json& value) const;
  OperationArgs nested(const std::string& field, const nlohmann::json& value) const;
  void collect_unknown(const nlohmann::json& object, const std::string& path,
                       std::vector<std::string>& unknown) const;
  // A required field that is not there: named as misspelt when a field of the object is within
  // two letters of it ("colum" for "column"), else as missing, with `hint`.
  [[noreturn]] void missing(const std::string& field, const std::string& hint) const;
  [[noreturn]] void fail(const std::string& field, const std::string& problem,
                         const std::string& hint) const;

  OperationSpec spec_;
  nlohmann::json object_;
  std::string path_;  // "column." for nested objects, "columns[2]." for items of lists
  // Full paths of every field asked for, shared with the nested objects read from this one.
  std::shared_ptr<std::set<std::string>> read_;
};

// Checks an SQL identifier given in a change file (table, column, index names): ASCII letters,
// digits, `_`, not starting with a digit, at most 63 bytes, not starting with `_cutover`
// (reserved for shadow columns and triggers). Throws Error(kBadInput) naming `where` and the
// field.
void check_identifier(const std::string& name, const std::string& where, const std::string& field);

}  // namespace cutover::change
