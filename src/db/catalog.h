// The shape of a database as introspection reports it: tables with their columns, keys,
// indexes, references, checks and triggers; views; sequences; sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cutover::db {

struct ColumnInfo {
  std::string name;
  std::string type;  // as the server spells it: "integer", "varchar(100)", "int(11)", "TEXT"
  std::optional<std::string> default_expr;  // SQL expression text; nullopt when none
  bool nullable = true;
  int ordinal = 0;  // 1-based position
};

// PostgreSQL: the constraint that one is a copy of. A partition has a copy of each constraint
// of its partitioned table, and a table whose foreign key references a partitioned table has a
// copy of that key for each partition; the server drops a copy only with its original.
struct ConstraintOrigin {
  std::string table;  // the original's table
  std::string name;   // the original; empty when the constraint is no copy
};

struct KeyInfo {  // a primary or unique key
  std::string name;
  std::vector<std::string> columns;
  ConstraintOrigin copy_of;
};

struct IndexInfo {
  std::string name;
  std::vector<std::string> columns;  // expressions appear as their text
  bool unique = false;
  bool primary = false;
  bool valid = true;  // false for a PostgreSQL index left INVALID by a failed CONCURRENTLY build
  // PostgreSQL: the whole CREATE INDEX statement (pg_get_indexdef); empty elsewhere.
  std::string definition;
  bool fulltext = false;  // MariaDB: a FULLTEXT index
  // PostgreSQL: the partitioned table's index this partition's index is attached to (schema-
  // qualified when in another schema), which PostgreSQL drops it with; empty for none.
  std::string copy_of;
};

struct ForeignKeyInfo {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_table;
  std::vector<std::string> ref_columns;
  std::string on_update;  // "NO ACTION", "CASCADE", ...
  std::string on_delete;
  ConstraintOrigin copy_of;
};

struct CheckInfo {
  std::string name;
  std::string expression;
  ConstraintOrigin copy_of;
};

struct TriggerInfo {
  std::string name;
  std::string timing;  // "BEFORE", "AFTER", "INSTEAD OF"
  std::string events;  // "INSERT", "UPDATE", "DELETE", or several joined by " OR "
};

struct TableInfo {
  std::string schema;  // PostgreSQL schema, MariaDB database, "main" for SQLite
  std::string name;
  std::vector<ColumnInfo> columns;
  std::optional<KeyInfo> primary_key;
  std::vector<KeyInfo> unique_keys;  // unique constraints (not the primary key)
  std::vector<IndexInfo> indexes;    // every index, including those backing keys
  std::vector<ForeignKeyInfo> foreign_keys;
  std::vector<CheckInfo> checks;
  std::vector<TriggerInfo> triggers;
  std::int64_t row_estimate = 0;  // from statistics; -1 when unknown
  std::int64_t size_bytes = 0;    // table plus indexes; -1 when unknown

  const ColumnInfo* find_column(const std::string& column) const;
};

struct ViewInfo {
  std::string schema;
  std::string name;
  std::string definition;
  bool materialized = false;  // a PostgreSQL materialized view
};

struct SequenceInfo {
  std::string schema;
  std::string name;
};

struct Catalog {
  std::vector<TableInfo> tables;  // sorted by name
  std::vector<ViewInfo> views;
  std::vector<SequenceInfo> sequences;
  std::int64_t size_bytes = 0;  // the whole database (all schemas); -1 when unknown

  const TableInfo* find_table(const std::string& name) const;
  const ViewInfo* find_view(const std::string& name) const;
  // The index `name` (PostgreSQL: names are unique in a schema), with its table in `owner`.
  const IndexInfo* find_index(const std::string& name, const TableInfo** owner = nullptr) const;
  // What constraint `name` of `table` is a copy of; empty when it is none or is not here.
  ConstraintOrigin copy_of(const std::string& table, const std::string& name) const;
  // The first original of `copy`, following copies of copies (partitions of partitions) as far
  // as this catalog sees (an original in another schema ends the walk).
  ConstraintOrigin first_original(ConstraintOrigin copy) const;
};

}  // namespace cutover::db
