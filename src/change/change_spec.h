// A change file as written: its name and its list of operations, before any database is seen.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::change {

struct OperationSpec {
  std::string kind;     // "add_column", "split_to_table", ...
  nlohmann::json args;  // the operation's fields, as written (an object)
  int index = 0;        // 0-based position in the file
  int line = 0;         // 1-based line where it starts in the file; 0 when unknown

  // "operation 2 (add_column, line 7)", for messages.
  std::string where() const;
};

struct ChangeSpec {
  // The change's name: also the PostgreSQL schema of the new version's views. Lower-case ASCII
  // letters, digits and `_`, starting with a letter, at most 40 characters; not `public`,
  // `cutover`, `information_schema` nor `pg_...` (the runner must also refuse the base schema's
  // own name). Defaults to the file's name without its extension when that is a valid name.
  std::string name;
  std::string file;  // the file as given, for messages
  std::vector<OperationSpec> operations;

  // The spec as stored in the state table, and back:
  // {"name", "file", "operations": [{"kind", "line", "args"}]}. from_json throws
  // Error(kOperationFailed) when `stored` does not have that shape.
  nlohmann::json to_json() const;
  static ChangeSpec from_json(const nlohmann::json& stored);
};

// Reads a change file: YAML, or JSON (which is YAML too). Its top level is a mapping with
// `operations` (a non-empty list; each item a mapping with exactly one key, the operation's
// kind, whose value is a mapping of its fields) and an optional `name`. Throws Error(kBadInput)
// naming the file and line for a file that cannot be read or parsed, an unknown top-level key,
// a bad name, or an operation that is not a one-key mapping. Operation kinds and fields are
// checked later, by the operations themselves.
//
// Values become JSON so that SQL text survives as written: a plain (unquoted) `true`/`false`
// (also `True`, `TRUE`, ...) becomes a JSON bool; `null`, `~` or nothing becomes null; every
// other scalar, quoted or not, numbers included, stays the string written (`default: 0` and
// `default: "0"` are both "0"; `1.50` stays "1.50"; `yes`/`no` are strings, not bools).
// Duplicate keys and a second YAML document are errors. Note that YAML's own quotes are not
// part of the value: an SQL string literal is written `default: "'abc'"`.
ChangeSpec parse_change_file(const std::filesystem::path& path);
ChangeSpec parse_change_text(std::string_view text, const std::string& file_name);

}  // namespace cutover::change
