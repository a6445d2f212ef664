// What a connection is talking to: product, version, and topology facts that change behaviour.
#pragma once

#include <string>

namespace cutover::db {

enum class Flavor { kPostgres, kMariaDb, kMySql, kSqlite };

struct ServerInfo {
  Flavor flavor = Flavor::kSqlite;
  std::string version;     // as the server prints it, e.g. "15.20", "10.11.19-MariaDB", "3.40.1"
  int version_number = 0;  // comparable: 150020, 101119, 3040001
  std::string database;    // current database (PostgreSQL, MariaDB) or file path (SQLite)
  std::string user;        // current user; empty for SQLite
  bool galera = false;     // MariaDB with wsrep_on
  int galera_cluster_size = 0;
  std::string galera_node;  // wsrep_node_name
  bool behind_pooler = false;  // PostgreSQL reached through PgBouncer or another pooler
  bool read_only = false;      // the session cannot write (hot standby, read_only, read-only file)
};

const char* flavor_name(Flavor flavor);

}  // namespace cutover::db
