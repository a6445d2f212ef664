// The schema history table, in Flyway's exact layout, so that Flyway and cutover read and write
// each other's history: one row per applied migration, baseline or repair-visible failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "migrate/version.h"

namespace cutover::migrate {

// The values of the `type` column that cutover writes. Flyway writes others too (`JDBC`,
// `SCHEMA`, `DELETE`, ...); they are read back as they are.
inline constexpr std::string_view kHistoryTypeSql = "SQL";
inline constexpr std::string_view kHistoryTypeBaseline = "BASELINE";

inline constexpr std::string_view kDefaultHistoryTable = "cutover_schema_history";
inline constexpr std::string_view kFlywayHistoryTable = "flyway_schema_history";

// One row of the history table.
struct HistoryRow {
  std::int32_t installed_rank = 0;     // 1, 2, ...: the order rows were written in
  std::optional<std::string> version;  // as written, e.g. "1.0"; nullopt for repeatables
  std::string description;
  std::string type{kHistoryTypeSql};
  std::string script;                    // the file name, e.g. "V1__create_users.sql"
  std::optional<std::int32_t> checksum;  // Flyway's checksum; nullopt for a baseline
  std::string installed_by;
  std::string installed_on;  // as the database prints its timestamp; set by the database
  std::int32_t execution_time_ms = 0;
  bool success = true;

  bool operator==(const HistoryRow&) const = default;
};

// The history table `name` in the connection's current schema (PostgreSQL), database
// (MariaDB) or main database (SQLite). Borrows the connection, which must outlive it. Every
// method runs on that connection and throws cutover::Error when the database refuses.
class HistoryTable {
 public:
  // Throws Error(kBadInput) naming `name` when it is not a plain identifier: ASCII letters,
  // digits and `_`, not starting with a digit, at most 57 characters (so that the names derived
  // from it, `<name>_s_idx` and `<name>_lease`, fit PostgreSQL's 63-byte limit).
  HistoryTable(db::Connection& connection, std::string name = std::string(kDefaultHistoryTable));

  const std::string& name() const { return name_; }

  // Whether the table exists.
  bool exists();

  // When this is cutover's default table and it does not exist yet, but Flyway's history
  // (flyway_schema_history) does, in the current schema or any other (PostgreSQL), in the
  // database (MariaDB) or in the file (SQLite): throws Error(kBadInput) naming where it is and
  // the --history-table flag (and search_path) that adopts it, so that nothing is applied twice.
  // Returns otherwise. Creates nothing. ensure_exists() calls it before creating the table.
  // With --history-table flyway_schema_history on PostgreSQL, the same when that table is
  // missing from the connection's schema but in another one (flyway.schemas=app): the
  // search_path, not a new history, is what adopts it. And with flyway_schema_history (a
  // Flyway project's default) missing where cutover's default table is: the same, naming it.
  void refuse_unadopted_flyway_history();

  // Throws Error(kBadInput) when the existing table is no history table cutover can write: a
  // column of Flyway's layout is missing, or one it does not write must be given (Flyway 4's
  // version_rank). Call only when exists().
  void check_columns();

  // MariaDB/MySQL: throws Error(kBadInput) naming the first of `scripts` (file names as the
  // `script` column records them) that the column's character set (the database's default
  // while the table does not exist) cannot store, and the character set, so that such a file is
  // refused before anything runs rather than after its statements committed. Other databases
  // store any UTF-8 text: returns.
  void check_can_record(const std::vector<std::string>& scripts);

  // Creates the table with Flyway's columns, primary key `<name>_pk` on installed_rank and
  // index `<name>_s_idx` on success, unless it exists. Safe when many processes call it at
  // once, on any node of a Galera cluster: exactly one creates it and the others return once
  // it exists. Must be called outside a transaction (MariaDB commits any open transaction on
  // DDL). When the table exists already, checks that it has Flyway's columns and throws
  // Error(kBadInput) naming the table when it does not.
  void ensure_exists();

  // Every row, by ascending installed_rank. Booleans are read the way each database returns
  // them (t/f, 1/0). Throws Error(kBadInput) naming the table when a value is out of range.
  std::vector<HistoryRow> read();

  // Inserts `row` with installed_rank = max + 1 (1 for the first row) and installed_on set by
  // the database clock; returns the rank given. `row.installed_rank` and `row.installed_on` are
  // ignored. The description and script are shortened as Flyway does (to 200 and 1000
  // characters, ending in "...").
  // The caller runs this inside its own transaction, together with the lease check that makes
  // it the only writer (see docs/migrate-design.md): max + 1 is only unique under that guard.
  // Two unguarded writers would collide on the primary key, never write the same rank twice.
  std::int32_t append(const HistoryRow& row);

  // Appends Flyway's baseline marker: type BASELINE, `description` as description and script,
  // no checksum, execution time 0, success. `installed_by` defaults to the database user.
  // Same transaction rule as append().
  std::int32_t append_baseline(const Version& version, std::string_view description,
                               std::optional<std::string> installed_by = std::nullopt);

  // Deletes the rows of failed migrations (success false), as Flyway's repair does; returns
  // how many were deleted.
  std::int64_t remove_failed();

  // Repair: records a new checksum or description for the row `installed_rank`. Throw
  // Error(kOperationFailed) naming the table and rank when no such row exists.
  void update_checksum(std::int32_t installed_rank, std::optional<std::int32_t> checksum);
  void update_description(std::int32_t installed_rank, std::string_view description);

  // The user Flyway would record in installed_by: the database user ("" on SQLite).
  std::string default_installed_by() const;

 private:
  void refuse_flyway_history_elsewhere();
  std::string quoted() const;
  std::string column_list() const;
  void create_postgres();
  void create_mariadb();
  void create_sqlite();
  std::string script_charset();
  void update_one(std::string_view column, const db::Value& value, std::int32_t installed_rank);

  db::Connection& conn_;
  std::string name_;
};

}  // namespace cutover::migrate
