// create_table: a new table, made at start in the base schema, for the new version only.
//
//   - create_table:
//       name: addresses
//       columns:
//         - {name: id, type: serial, primary_key: true}
//         - {name: user_id, type: integer, nullable: false,
//            references: {table: users, column: id, on_delete: CASCADE}}
//         - {name: line_1, type: "varchar(100)", default: "''", check: "line_1 <> ''"}
//         - {name: code, type: text, unique: true}
//
// Column fields: name and type (required); nullable (default true, false for a primary key),
// default (SQL expression), primary_key (several columns make a composite key), unique, check
// (SQL expression), references {table, column (a primary or unique key of that table, or of
// this one), optional on_delete / on_update: NO ACTION, RESTRICT, CASCADE, SET NULL,
// SET DEFAULT}. The old version does not know the table and ignores it; the new one
// sees it in its version schema. Complete has nothing to do; rollback drops it.
//
// SQLite too: there, serial types (serial, bigserial, smallserial, serial2/4/8) become INTEGER,
// so that a single-column INTEGER PRIMARY KEY numbers its rows as serial does, and defaults are
// written in parentheses, as SQLite wants for expressions.
//
// MariaDB too: serial types become INT, BIGINT or SMALLINT AUTO_INCREMENT, defaults are
// written in parentheses, and references become the table's FOREIGN KEY clauses (MariaDB
// ignores REFERENCES written on a column).
//
// The table must not exist when the change starts: a table of that name is the user's, and
// rollback would drop it. (A start that crashed after creating it resumes without validating
// again, and its CREATE TABLE IF NOT EXISTS finds the table made the first time.)
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "change/operations/sql_parts.h"
#include "core/error.h"

namespace cutover::change {
namespace {

struct Reference {
  std::string table;
  std::string column;
  std::optional<std::string> on_delete;
  std::optional<std::string> on_update;
};

struct ColumnDefinition {
  std::string name;
  std::string type;
  bool nullable = true;
  std::optional<std::string> default_expr;
  bool primary_key = false;
  bool unique = false;
  std::optional<std::string> check;
  std::optional<Reference> references;
};

// Whether `column` alone is the primary key or a unique key (constraint or valid unique index)
// of `table`: what a foreign key may reference.
bool is_unique_key(const db::TableInfo& table, const std::string& column) {
  const std::vector<std::string> key = {column};
  if (table.primary_key && table.primary_key->columns == key) return true;
  for (const auto& unique : table.unique_keys) {
    if (unique.columns == key) return true;
  }
  for (const auto& index : table.indexes) {
    if (index.unique && index.valid && index.columns == key) return true;
  }
  return false;
}

bool is_serial(const std::string& type) {
  std::string lower = type;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* serial :
       {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}) {
    if (lower == serial) return true;
  }
  return false;
}

class CreateTable : public Operation {
 public:
  explicit CreateTable(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    name_ = args.identifier("name");
    for (OperationArgs& item : args.object_list("columns")) {
      ColumnDefinition column;
      column.name = item.identifier("name");
      column.type = item.string("type");
      std::optional<bool> nullable = item.optional_bool("nullable");
      column.default_expr = item.optional_string("default");
      column.primary_key = item.optional_bool("primary_key").value_or(false);
      if (column.primary_key && nullable.value_or(false)) {
        throw_bad_input(
            fmt::format("{}: column {} is a primary key and nullable", where(), column.name),
            "a primary key is never NULL: remove `nullable: true` from it");
      }
      column.nullable = nullable.value_or(!column.primary_key);
      column.unique = item.optional_bool("unique").value_or(false);
      column.check = item.optional_string("check");
      if (auto ref = item.optional_object("references")) {
        Reference reference;
        reference.table = ref->identifier("table");
        reference.column = ref->identifier("column");
        reference.on_delete = read_reference_action(*ref, "on_delete", where());
        reference.on_update = read_reference_action(*ref, "on_update", where());
        column.references = std::move(reference);
      }
      columns_.push_back(std::move(column));
    }
    args.reject_unknown();
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (columns_[i].name == columns_[j].name) {
          throw_bad_input(fmt::format("{}: column {} is declared twice", where(), columns_[i].name),
                          "give each column of the table its own name");
        }
      }
    }
  }

  bool supports(db::Flavor) const override { return true; }

  void validate(const ChangeContext& context) const override {
    if (context.catalog->find_table(name_)) {
      throw_bad_input(
          fmt::format("{}: table {} exists already in {}", where(), name_, context.base_schema),
          "choose another name, or drop the table first (drop_table in an earlier "
          "change): rolling this change back would drop it");
    }
    for (const auto& view : context.catalog->views) {
      if (view.name == name_) {
        throw_bad_input(
            fmt::format("{}: {} is a view of {} already", where(), name_, context.base_schema),
            "choose another name for the table");
      }
    }
    if (context.flavor == db::Flavor::kPostgres) {
      for (const auto& sequence : context.catalog->sequences) {
        if (sequence.name == name_) {
          throw_bad_input(fmt::format("{}: {} is a sequence of {} already", where(), name_,
                                      context.base_schema),
                          "choose another name for the table");
        }
      }
    }
    for (const auto& column : columns_) {
      if (!column.references) continue;
      const Reference& ref = *column.references;
      if (ref.table == name_) {
        auto target = std::find_if(columns_.begin(), columns_.end(),
                                   [&](const ColumnDefinition& c) { return c.name == ref.column; });
        if (target == columns_.end()) {
          throw_bad_input(fmt::format("{}: column {} references {}.{}, which is not declared",
                                      where(), column.name, ref.table, ref.column),
                          "reference a column the table declares");
        }
        if (!(target->primary_key && key_columns() == 1) && !target->unique) {
          throw_bad_input(fmt::format("{}: column {} references {}.{}, which is neither the "
                                      "primary key nor unique",
                                      where(), column.name, ref.table, ref.column),
                          "reference the table's primary key, or declare the column unique");
        }
        continue;
      }
      const db::TableInfo& table = context.require_table(ref.table, where());
      context.require_column(table, ref.column, where());
      if (!is_unique_key(table, ref.column)) {
        throw_bad_input(
            fmt::format("{}: column {} references {}.{}, which is neither the primary key nor a "
                        "unique key of {}",
                        where(), column.name, ref.table, ref.column, ref.table),
            "a foreign key references a primary key or unique key: reference one, or make one "
            "first (add_constraint with unique, in an earlier change)");
      }
    }
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    for (const ColumnDefinition& column : columns_) {
      if (context.flavor != db::Flavor::kMariaDb) {
        preflight.probes.push_back(probe_type(column.type));
      } else if (!is_serial(column.type)) {  // (an AUTO_INCREMENT column alone is refused)
        preflight.probes.push_back(probe_mariadb_type(column.type));
      }
    }
    return preflight;
  }

  std::vector<std::string> created_tables() const override { return {name_}; }

  std::vector<Step> expand(const ChangeContext& context) const override {
    const bool postgres = context.flavor == db::Flavor::kPostgres;
    const bool mariadb = context.flavor == db::Flavor::kMariaDb;
    std::vector<std::string> parts, foreign_keys;
    for (const auto& column : columns_) {
      std::string part = context.quote(column.name) + " " + column_type(context, column);
      if (column.primary_key && key_columns() == 1) part += " PRIMARY KEY";
      if (!column.nullable && !column.primary_key) part += " NOT NULL";
      if (column.default_expr) {
        part += postgres ? " DEFAULT " + *column.default_expr
                         : " DEFAULT (" + *column.default_expr + ")";
      }
      if (column.unique) part += " UNIQUE";
      if (column.check) part += " CHECK (" + *column.check + ")";
      if (column.references) {
        const Reference& ref = *column.references;
        std::string reference =
            fmt::format("REFERENCES {} ({})", context.table(ref.table), context.quote(ref.column));
        if (ref.on_delete) reference += " ON DELETE " + *ref.on_delete;
        if (ref.on_update) reference += " ON UPDATE " + *ref.on_update;
        if (mariadb) {
          foreign_keys.push_back(
              fmt::format("FOREIGN KEY ({}) {}", context.quote(column.name), reference));
        } else {
          part += " " + reference;
        }
      }
      parts.push_back(std::move(part));
    }
    if (key_columns() > 1) {
      std::vector<std::string> keys;
      for (const auto& column : columns_) {
        if (column.primary_key) keys.push_back(context.quote(column.name));
      }
      parts.push_back(fmt::format("PRIMARY KEY ({})", fmt::join(keys, ", ")));
    }
    parts.insert(parts.end(), foreign_keys.begin(), foreign_keys.end());
    return {{.what = fmt::format("create table {}", name_),
             .sql = fmt::format("CREATE TABLE IF NOT EXISTS {} (\n  {}\n)", context.table(name_),
                                fmt::join(parts, ",\n  "))}};
  }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    // The shape is read from the catalog after expand, so the table is there already; made
    // here again all the same, so that the new version sees exactly the declared columns.
    shape.remove(name_);
    VersionTable table{name_, name_, {}};
    for (const auto& column : columns_) table.columns.push_back({column.name, column.name});
    shape.tables.push_back(std::move(table));
  }

  std::vector<Step> contract(const ChangeContext&) const override { return {}; }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    return {{.what = fmt::format("drop table {}", name_),
             .sql = fmt::format("DROP TABLE IF EXISTS {}", context.table(name_))}};
  }

 private:
  // The column's type as the database takes it: serial types are PostgreSQL's.
  static std::string column_type(const ChangeContext& context, const ColumnDefinition& column) {
    if (!is_serial(column.type)) return column.type;
    if (context.flavor == db::Flavor::kSqlite) return "INTEGER";
    if (context.flavor != db::Flavor::kMariaDb) return column.type;
    std::string lower = column.type;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "bigserial" || lower == "serial8") return "BIGINT AUTO_INCREMENT";
    if (lower == "smallserial" || lower == "serial2") return "SMALLINT AUTO_INCREMENT";
    return "INT AUTO_INCREMENT";
  }

  std::size_t key_columns() const {
    return std::count_if(columns_.begin(), columns_.end(),
                         [](const ColumnDefinition& c) { return c.primary_key; });
  }

  std::string name_;
  std::vector<ColumnDefinition> columns_;
};

}  // namespace

std::unique_ptr<Operation> make_create_table(const OperationSpec& spec) {
  return std::make_unique<CreateTable>(spec);
}

}  // namespace cutover::change
