// Reading the catalog of an SQLite database: tables, columns, keys, indexes, foreign keys,
// checks, triggers, views and sizes.
#include "db/sqlite/sqlite_introspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "core/error.h"
#include "db/sqlite/sqlite_ddl_text.h"
#include "db/sqlite/sqlite_quote.h"

namespace cutover::db {
namespace {

bool same_name(std::string_view a, std::string_view b) {  // SQLite names ignore ASCII case
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool same_names(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const std::string& x, const std::string& y) { return same_name(x, y); });
}

// Reads one schema; `schema_` is bound as a parameter, `qualifier_` is quoted into the
// statements that need a schema-qualified table (sqlite_schema, sqlite_stat1).
class SqliteCatalogReader {
 public:
  SqliteCatalogReader(Connection& connection, std::string schema)
      : connection_(connection),
        schema_(std::move(schema)),
        qualifier_(sqlite_quote_identifier(schema_)) {}

  Catalog read() {
    require_schema();
    object_sizes_ = read_object_sizes();
    row_estimates_ = read_row_estimates();
    Catalog catalog;
    Result tables = connection_.query(
        fmt::format("SELECT t.name, s.sql FROM pragma_table_list AS t "
                    "JOIN {}.sqlite_schema AS s ON s.name = t.name AND s.type = 'table' "
                    "WHERE t.schema = $1 AND t.type = 'table' "
                    "AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY t.name",
                    qualifier_),
        {schema_});
    for (const Row& row : tables.rows) {
      catalog.tables.push_back(read_table(row[0].text(), row[1].text()));
    }
    catalog.views = read_views();
    catalog.size_bytes = database_size();
    return catalog;
  }

 private:
  void require_schema() {
    Result found =
        connection_.query("SELECT 1 FROM pragma_database_list WHERE name = $1", {schema_});
    if (found.empty()) {
      throw_bad_input(fmt::format("SQLite database has no schema named '{}'", schema_),
                      "SQLite calls its schemas main, temp and the names of attached databases");
    }
  }

  TableInfo read_table(const std::string& name, const std::string& create_sql) {
    TableInfo table;
    table.schema = schema_;
    table.name = name;
    read_columns(table);
    read_indexes(table);
    SqliteTableDdl ddl = parse_sqlite_create_table(create_sql);
    table.checks = std::move(ddl.checks);
    read_foreign_keys(table, ddl.named_foreign_keys);
    read_triggers(table);
    table.row_estimate = row_estimates_ ? lookup(*row_estimates_, name) : -1;
    table.size_bytes = object_sizes_ ? table_size(table) : -1;
    return table;
  }

  // Hidden columns (1) belong to virtual tables; generated columns (2, 3) are real columns.
  void read_columns(TableInfo& table) {
    Result columns = connection_.query(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo($1, $2) "
        "WHERE hidden <> 1 ORDER BY cid",
        {table.name, schema_});
    std::vector<std::pair<std::int64_t, std::string>> key_columns;  // (position in key, name)
    for (const Row& row : columns.rows) {
      ColumnInfo column;
      column.name = row[0].text();
      column.type = row[1].text();
      column.default_expr = row[3].as_optional_text();
      column.nullable = row[2].as_int() == 0;
      column.ordinal = static_cast<int>(table.columns.size()) + 1;
      if (row[4].as_int() > 0) key_columns.emplace_back(row[4].as_int(), column.name);
      table.columns.push_back(std::move(column));
    }
    if (key_columns.empty()) return;
    std::sort(key_columns.begin(), key_columns.end());
    KeyInfo key;
    for (auto& entry : key_columns) key.columns.push_back(std::move(entry.second));
    table.primary_key = std::move(key);
  }

  void read_indexes(TableInfo& table) {
    Result indexes = connection_.query(
        "SELECT name, \"unique\", origin FROM pragma_index_list($1, $2) ORDER BY name",
        {table.name, schema_});
    for (const Row& row : indexes.rows) {
      IndexInfo index;
      index.name = row[0].text();
      index.unique = row[1].as_int() != 0;
      std::string origin = row[2].text();
      index.primary = origin == "pk";
      index.columns = read_index_columns(index.name);
      if (origin == "u") table.unique_keys.push_back({index.name, index.columns});
      if (index.primary && table.primary_key) table.primary_key->name = index.name;
      table.indexes.push_back(std::move(index));
    }
    mark_rowid_key_not_null(table);
  }

  // An INTEGER PRIMARY KEY is the rowid: never NULL, though SQLite reports notnull = 0.
  static void mark_rowid_key_not_null(TableInfo& table) {
    if (!table.primary_key || table.primary_key->columns.size() != 1) return;
    if (!table.primary_key->name.empty()) return;  // backed by an index, so not the rowid
    for (ColumnInfo& column : table.columns) {
      if (column.name == table.primary_key->columns[0] && same_name(column.type, "INTEGER")) {
        column.nullable = false;
      }
    }
  }

  // Key columns by name; expressions (cid -2) as written in the CREATE INDEX text.
  std::vector<std::string> read_index_columns(const std::string& index_name) {
    Result parts =
        connection_.query("SELECT seqno, cid, name FROM pragma_index_info($1, $2) ORDER BY seqno",
                          {index_name, schema_});
    std::optional<std::vector<std::string>> written;  // read only when an expression appears
    std::vector<std::string> columns;
    for (const Row& row : parts.rows) {
      std::int64_t cid = row[1].as_int();
      if (cid >= 0) {
        columns.push_back(row[2].text());
      } else if (cid == -1) {
        columns.emplace_back("rowid");
      } else {
        if (!written) written = sqlite_index_items(index_sql(index_name));
        auto seqno = static_cast<size_t>(row[0].as_int());
        columns.push_back(seqno < written->size() ? (*written)[seqno] : "<expression>");
      }
    }
    return columns;
  }

  std::string index_sql(const std::string& index_name) {
    Result sql = connection_.query(
        fmt::format("SELECT sql FROM {}.sqlite_schema WHERE type = 'index' AND name = $1",
                    qualifier_),
        {index_name});
    return sql.empty() ? std::string() : sql.rows[0][0].text();
  }

  void read_foreign_keys(TableInfo& table, const std::vector<SqliteNamedForeignKey>& named) {
    Result parts = connection_.query(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete "
        "FROM pragma_foreign_key_list($1, $2) ORDER BY id, seq",
        {table.name, schema_});
    std::optional<std::int64_t> current_id;
    bool refers_to_primary_key = false;
    for (const Row& row : parts.rows) {
      if (current_id != row[0].as_int()) {
        finish_foreign_key(table, named, refers_to_primary_key);
        current_id = row[0].as_int();
        refers_to_primary_key = false;
        table.foreign_keys.push_back({"", {}, row[1].text(), {}, row[4].text(), row[5].text()});
      }
      ForeignKeyInfo& key = table.foreign_keys.back();
      key.columns.push_back(row[2].text());
      if (row[3].is_null()) {
        refers_to_primary_key = true;  // REFERENCES parent, no columns
      } else {
        key.ref_columns.push_back(row[3].text());
      }
    }
    finish_foreign_key(table, named, refers_to_primary_key);
  }

  // Fills in what the pragma leaves out: the constraint name and implicit parent columns.
  void finish_foreign_key(TableInfo& table, const std::vector<SqliteNamedForeignKey>& named,
                          bool refers_to_primary_key) {
    if (table.foreign_keys.empty()) return;
    ForeignKeyInfo& key = table.foreign_keys.back();
    if (refers_to_primary_key && key.ref_columns.empty()) {
      key.ref_columns = primary_key_columns(key.ref_table);
    }
    for (const SqliteNamedForeignKey& candidate : named) {
      if (same_name(candidate.ref_table, key.ref_table) &&
          same_names(candidate.columns, key.columns)) {
        key.name = candidate.name;
      }
    }
  }

  std::vector<std::string> primary_key_columns(const std::string& table_name) {
    Result columns =
        connection_.query("SELECT name FROM pragma_table_info($1, $2) WHERE pk > 0 ORDER BY pk",
                          {table_name, schema_});
    std::vector<std::string> names;
    for (const Row& row : columns.rows) names.push_back(row[0].text());
    return names;
  }

  void read_triggers(TableInfo& table) {
    Result triggers =
        connection_.query(fmt::format("SELECT name, sql FROM {}.sqlite_schema "
                                      "WHERE type = 'trigger' AND tbl_name = $1 ORDER BY name",
                                      qualifier_),
                          {table.name});
    for (const Row& row : triggers.rows) {
      table.triggers.push_back(parse_sqlite_create_trigger(row[0].text(), row[1].text()));
    }
  }

  std::vector<ViewInfo> read_views() {
    Result views = connection_.query(fmt::format(
        "SELECT name, sql FROM {}.sqlite_schema WHERE type = 'view' ORDER BY name", qualifier_));
    std::vector<ViewInfo> out;
    for (const Row& row : views.rows) {
      out.push_back({schema_, row[0].text(), sqlite_view_query(row[1].text())});
    }
    return out;
  }

  // Bytes per table and index from the dbstat virtual table, which reads every page of the
  // file; nullopt when the library was built without it.
  std::optional<std::map<std::string, std::int64_t>> read_object_sizes() {
    Result sizes;
    try {
      sizes = connection_.query("SELECT name, pgsize FROM dbstat($1, 1)", {schema_});
    } catch (const Error& error) {
      if (error.sqlstate() != "42P01") throw;  // no such table: dbstat
      return std::nullopt;
    }
    std::map<std::string, std::int64_t> out;
    for (const Row& row : sizes.rows) out[row[0].text()] = row[1].as_int();
    return out;
  }

  std::int64_t table_size(const TableInfo& table) const {
    std::int64_t bytes = lookup(*object_sizes_, table.name, 0);
    for (const IndexInfo& index : table.indexes) bytes += lookup(*object_sizes_, index.name, 0);
    return bytes;
  }

  // Row counts that ANALYZE stored: the first number of each sqlite_stat1 row.
  std::optional<std::map<std::string, std::int64_t>> read_row_estimates() {
    Result present = connection_.query(
        fmt::format("SELECT 1 FROM {}.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'",
                    qualifier_));
    if (present.empty()) return std::nullopt;
    Result stats = connection_.query(fmt::format(
        "SELECT tbl, MAX(CAST(stat AS INTEGER)) FROM {}.sqlite_stat1 GROUP BY tbl", qualifier_));
    std::map<std::string, std::int64_t> out;
    for (const Row& row : stats.rows) out[row[0].text()] = row[1].as_int();
    return out;
  }

  std::int64_t database_size() {
    std::int64_t pages =
        connection_.query(fmt::format("PRAGMA {}.page_count", qualifier_)).scalar().as_int();
    std::int64_t page_size =
        connection_.query(fmt::format("PRAGMA {}.page_size", qualifier_)).scalar().as_int();
    return pages * page_size;
  }

  static std::int64_t lookup(const std::map<std::string, std::int64_t>& values,
                             const std::string& name, std::int64_t missing = -1) {
    auto it = values.find(name);
    return it == values.end() ? missing : it->second;
  }

  Connection& connection_;
  std::string schema_;
  std::string qualifier_;
  std::optional<std::map<std::string, std::int64_t>> object_sizes_;
  std::optional<std::map<std::string, std::int64_t>> row_estimates_;
};

}  // namespace

Catalog sqlite_introspect(Connection& connection, std::string_view schema) {
  return SqliteCatalogReader(connection, schema.empty() ? "main" : std::string(schema)).read();
}

}  // namespace cutover::db
