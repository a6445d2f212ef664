// What an operation knows about the change it belongs to and the database it runs on.
#pragma once

#include <string>
#include <string_view>

#include "db/catalog.h"
#include "db/server_info.h"

namespace cutover::change {

struct ChangeContext {
  db::Flavor flavor = db::Flavor::kPostgres;
  std::string change;       // the change's name; on PostgreSQL also the version schema
  std::string base_schema;  // PostgreSQL: the schema of the tables ("public"); SQLite: "main"
  // The base schema as it is now. After a crashed start it may already hold what start added
  // (shadow columns, new tables): operations must accept that.
  const db::Catalog* catalog = nullptr;
  // MariaDB: operations that MariaDB does only by copying the table (a check constraint) are
  // allowed (--allow-copy-alter) rather than refused.
  bool allow_copy_alter = false;
  bool galera = false;  // MariaDB as a Galera cluster
  int server_version = 0;  // db::ServerInfo::version_number; 0 when not known

  // "name" (double quotes: PostgreSQL and SQLite alike).
  static std::string quote(std::string_view name);
  // "public"."users" on PostgreSQL, "users" on SQLite.
  std::string table(std::string_view name) const;
  // The version schema's view of a table: "split_addresses"."users" (PostgreSQL only).
  std::string view(std::string_view name) const;
  // The shadow column that stands for `column` until complete: "_cutover_email".
  static std::string shadow(std::string_view column);
  // The name of the triggers and trigger functions of operation `index` on `table`:
  // _cutover_<change>_<index>_<table>, shortened with a hash when longer than 63 bytes.
  std::string trigger_name(int index, std::string_view table) const;

  // The table, or Error(kBadInput) naming `where` and the missing table with the fix.
  const db::TableInfo& require_table(std::string_view name, const std::string& where) const;
  // The column of `table`, or Error(kBadInput) naming `where`, table and column.
  const db::ColumnInfo& require_column(const db::TableInfo& table, std::string_view column,
                                       const std::string& where) const;
};

}  // namespace cutover::change
