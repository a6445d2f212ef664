// What a MariaDB move reads off its servers: a database's tables, sequences and properties,
// the accounts that read_only cannot stop, and each table's count and checksum.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "db/connection.h"
#include "move/table_verify.h"

namespace cutover::move {

// The databases a MariaDB server keeps for itself, never moved nor counted as others'.
inline constexpr const char* kMariadbSystemDatabases =
    "('mysql', 'information_schema', 'performance_schema', 'sys')";

struct MariadbTable {
  std::string name;                  // unquoted, as the key of the move's facts
  std::vector<std::string> columns;  // its stored columns, unquoted (generated ones aside)
  // What the copy selects, one per column: the column, or for FLOAT its exact value as DOUBLE
  // (the text protocol rounds a FLOAT to 6 digits).
  std::vector<std::string> select_list;
  std::int64_t estimated_rows = 0;  // information_schema's estimate
  std::int64_t bytes = 0;           // data_length
};

// The base tables of `database` (sequences aside), largest first.
std::vector<MariadbTable> mariadb_tables(db::Connection& server, const std::string& database);

// What a move of `database` cannot copy faithfully: system-versioned tables (their history),
// each named with the reason. Checked by create, and by data before the freeze.
std::vector<std::string> mariadb_uncopyable_tables(db::Connection& server,
                                                   const std::string& database);

// The routines (SQL SECURITY DEFINER, whose body may write) and enabled events of `database`
// that run as an account read_only does not stop, "PROCEDURE p (definer root@localhost)": the
// application writes through them during the freeze, whatever --allow-unfrozen says.
std::vector<std::string> mariadb_writers_past_read_only(db::Connection& server,
                                                        const std::string& database);

// Every object of `database` (tables, views, sequences, routines, triggers, events): a count
// and a few names, to tell an empty database from one in use.
std::pair<std::int64_t, std::vector<std::string>> mariadb_contents(db::Connection& server,
                                                                   const std::string& database);

bool mariadb_database_exists(db::Connection& server, const std::string& database);

// "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci": what CREATE DATABASE needs to match it.
std::string mariadb_database_options(db::Connection& server, const std::string& database);

// The accounts ("'user'@'host'") that can write while read_only is on: READ_ONLY ADMIN, and
// before 10.11 SUPER too; those in `allowed` aside.
std::vector<std::string> mariadb_unfreezable_accounts(db::Connection& server,
                                                      const std::vector<std::string>& allowed);

// 'user'@'host' as information_schema writes grantees, from a definer's user@host (or
// CURRENT_USER()).
std::string grantee_of_definer(const std::string& definer);

// Every account of the server, "'user'@'host'" as information_schema writes grantees, and
// its roles ("'role'@''") where mysql.user can be read.
std::vector<std::string> mariadb_accounts(db::Connection& server);

// "table -> next AUTO_INCREMENT value" and "sequence -> next value" of `database`.
std::vector<std::pair<std::string, std::int64_t>> mariadb_counters(db::Connection& server,
                                                                   const std::string& database);
// Sets each table's AUTO_INCREMENT and each sequence's next value on `target` (connected to
// the target database) to `counters`.
void set_mariadb_counters(db::Connection& target,
                          const std::vector<std::pair<std::string, std::int64_t>>& counters);

// The count and checksum of `table` in the connection's current database: the sum of a 64-bit
// hash (CRC32 and CRC32C) of the CRC32s of each row's columns (NULL apart from ''), so any size
// of value counts and no row order changes it.
TableSum mariadb_table_sum(db::Connection& database, const std::string& table);

}  // namespace cutover::move
