// The catalog of one MariaDB/MySQL database, read from information_schema.
#include "db/mariadb/mariadb_introspect.h"

#include <algorithm>
#include <map>

namespace cutover::db::mariadb {
namespace {

using TableMap = std::map<std::string, TableInfo>;

std::int64_t int_or_unknown(const Value& value) { return value.is_null() ? -1 : value.as_int(); }

// Fills tables, views, sequences and the database size from information_schema.TABLES.
void read_objects(Connection& connection, const std::string& database, TableMap& tables,
                  Catalog& catalog) {
  Result result = connection.query(
      "SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH "
      "FROM information_schema.TABLES WHERE TABLE_SCHEMA = $1",
      {database});
  for (const Row& row : result.rows) {
    const std::string name = row[0].text();
    const std::string type = row[1].text();
    if (!row[3].is_null()) catalog.size_bytes += row[3].as_int();
    if (type == "BASE TABLE" || type == "SYSTEM VERSIONED") {
      TableInfo& table = tables[name];
      table.schema = database;
      table.name = name;
      table.row_estimate = int_or_unknown(row[2]);
      table.size_bytes = int_or_unknown(row[3]);
    } else if (type == "SEQUENCE") {
      catalog.sequences.push_back({database, name});
    }
  }
  Result views = connection.query(
      "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
      "WHERE TABLE_SCHEMA = $1",
      {database});
  for (const Row& row : views.rows)
    catalog.views.push_back({database, row[0].text(), row[1].text()});
}

// MariaDB reports defaults as SQL text already ('abc', NULL for DEFAULT NULL, current_timestamp());
// MySQL reports the bare literal and marks expressions with DEFAULT_GENERATED.
std::optional<std::string> default_expression(const Value& column_default, const Value& extra,
                                              Flavor flavor) {
  if (column_default.is_null()) return std::nullopt;
  std::string text = column_default.text();
  if (flavor == Flavor::kMariaDb) {
    if (text == "NULL") return std::nullopt;  // DEFAULT NULL is no default at all
    return text;
  }
  if (extra.text().find("DEFAULT_GENERATED") != std::string::npos) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

void read_columns(Connection& connection, const std::string& database, Flavor flavor,
                  TableMap& tables) {
  Result result = connection.query(
      "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_DEFAULT, IS_NULLABLE, "
      "ORDINAL_POSITION, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = $1 "
      "ORDER BY TABLE_NAME, ORDINAL_POSITION",
      {database});
  for (const Row& row : result.rows) {
    auto table = tables.find(row[0].text());
    if (table == tables.end()) continue;  // a view's column
    table->second.columns.push_back({row[1].text(), row[2].text(),
                                     default_expression(row[3], row[6], flavor),
                                     row[4].text() == "YES", static_cast<int>(row[5].as_int())});
  }
}

void read_keys(Connection& connection, const std::string& database, TableMap& tables) {
  Result result = connection.query(
      "SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, k.COLUMN_NAME "
      "FROM information_schema.TABLE_CONSTRAINTS tc "
      "JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA "
      "AND k.TABLE_NAME = tc.TABLE_NAME AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME "
      "WHERE tc.TABLE_SCHEMA = $1 AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE') "
      "ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME, k.ORDINAL_POSITION",
      {database});
  for (const Row& row : result.rows) {
    auto table = tables.find(row[0].text());
    if (table == tables.end()) continue;
    TableInfo& info = table->second;
    const std::string name = row[1].text();
    if (row[2].text() == "PRIMARY KEY") {
      if (!info.primary_key) info.primary_key = KeyInfo{name, {}};
      info.primary_key->columns.push_back(row[3].text());
    } else {
      if (info.unique_keys.empty() || info.unique_keys.back().name != name) {
        info.unique_keys.push_back({name, {}});
      }
      info.unique_keys.back().columns.push_back(row[3].text());
    }
  }
}

void read_indexes(Connection& connection, const std::string& database, TableMap& tables) {
  Result result = connection.query(
      "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE "
      "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = $1 "
      "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
      {database});
  for (const Row& row : result.rows) {
    auto table = tables.find(row[0].text());
    if (table == tables.end()) continue;
    std::vector<IndexInfo>& indexes = table->second.indexes;
    const std::string name = row[1].text();
    if (indexes.empty() || indexes.back().name != name) {
      indexes.push_back({name, {}, row[2].as_int() == 0, name == "PRIMARY", true});
      indexes.back().fulltext = row[5].text() == "FULLTEXT";
    }
    // MySQL 8 functional index parts have no column name.
    std::string column = row[3].is_null() ? "(expression)" : row[3].text();
    if (!row[4].is_null()) column += "(" + row[4].text() + ")";
    indexes.back().columns.push_back(std::move(column));
  }
}

void read_foreign_keys(Connection& connection, const std::string& database, TableMap& tables) {
  Result result = connection.query(
      "SELECT rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
      "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, rc.UPDATE_RULE, rc.DELETE_RULE "
      "FROM information_schema.REFERENTIAL_CONSTRAINTS rc "
      "JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA "
      "AND k.TABLE_NAME = rc.TABLE_NAME AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME "
      "WHERE rc.CONSTRAINT_SCHEMA = $1 "
      "ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION",
      {database});
  for (const Row& row : result.rows) {
    auto table = tables.find(row[0].text());
    if (table == tables.end()) continue;
    std::vector<ForeignKeyInfo>& keys = table->second.foreign_keys;
    const std::string name = row[1].text();
    if (keys.empty() || keys.back().name != name) {
      // A reference into another database keeps its database name: other_db.table.
      std::string ref_table = row[4].text();
      if (row[3].text() != database) ref_table = row[3].text() + "." + ref_table;
      keys.push_back({name, {}, std::move(ref_table), {}, row[6].text(), row[7].text()});
    }
    keys.back().columns.push_back(row[2].text());
    keys.back().ref_columns.push_back(row[5].text());
  }
}

// MariaDB's CHECK_CONSTRAINTS names the table (check names are unique per table only);
// MySQL's does not, but its check names are unique per database.
void read_checks(Connection& connection, const std::string& database, Flavor flavor,
                 TableMap& tables) {
  const char* mariadb_sql =
      "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
      "WHERE CONSTRAINT_SCHEMA = $1 ORDER BY TABLE_NAME, CONSTRAINT_NAME";
  const char* mysql_sql =
      "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE "
      "FROM information_schema.TABLE_CONSTRAINTS tc "
      "JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA "
      "AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME "
      "WHERE tc.TABLE_SCHEMA = $1 AND tc.CONSTRAINT_TYPE = 'CHECK' "
      "ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME";
  Result result =
      connection.query(flavor == Flavor::kMariaDb ? mariadb_sql : mysql_sql, {database});
  for (const Row& row : result.rows) {
    auto table = tables.find(row[0].text());
    if (table == tables.end()) continue;
    table->second.checks.push_back({row[1].text(), row[2].text()});
  }
}

void read_triggers(Connection& connection, const std::string& database, TableMap& tables) {
  // By EVENT_OBJECT_SCHEMA MariaDB opens this database's tables only; by TRIGGER_SCHEMA, every
  // database's, where on Galera another database's DDL can abort the read (1213).
  Result result = connection.query(
      "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION "
      "FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = $1 "
      "ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME",
      {database});
  for (const Row& row : result.rows) {
    auto table = tables.find(row[0].text());
    if (table == tables.end()) continue;
    table->second.triggers.push_back({row[1].text(), row[2].text(), row[3].text()});
  }
}

}  // namespace

Catalog introspect_database(Connection& connection, Flavor flavor, const std::string& database) {
  Catalog catalog;
  TableMap tables;  // ordered by name
  read_objects(connection, database, tables, catalog);
  read_columns(connection, database, flavor, tables);
  read_keys(connection, database, tables);
  read_indexes(connection, database, tables);
  read_foreign_keys(connection, database, tables);
  read_checks(connection, database, flavor, tables);
  read_triggers(connection, database, tables);
  for (auto& [name, table] : tables) catalog.tables.push_back(std::move(table));
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(catalog.views.begin(), catalog.views.end(), by_name);
  std::sort(catalog.sequences.begin(), catalog.sequences.end(), by_name);
  return catalog;
}

}  // namespace cutover::db::mariadb
