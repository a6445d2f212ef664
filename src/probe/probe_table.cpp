// The probe's own table and the statements its readers, writers and verifier run on it.
#include "probe/probe_table.h"

#include "core/error.h"
#include "db/error_kind.h"

namespace cutover::probe {

ProbeTable::ProbeTable(db::Connection& connection, std::string name)
    : connection_(connection),
      name_(std::move(name)),
      quoted_(connection.quote_identifier(name_)) {}

void ProbeTable::ensure_exists() {
  // A surrogate key, not (run_id, writer, seq): a write replayed twice (by a faulty copy or
  // switch) must be stored twice so that verification can report it. Galera and replication
  // still get the primary key they need.
  std::string id_column, run_id_type;
  switch (connection_.server().flavor) {
    case db::Flavor::kPostgres:
      id_column = "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
      run_id_type = "text";
      break;
    case db::Flavor::kMariaDb:
    case db::Flavor::kMySql:
      id_column = "id BIGINT AUTO_INCREMENT PRIMARY KEY";
      run_id_type = "VARCHAR(40)";
      break;
    case db::Flavor::kSqlite:
      id_column = "id INTEGER PRIMARY KEY";
      run_id_type = "TEXT";
      break;
  }
  run_tolerating_races("CREATE TABLE IF NOT EXISTS " + quoted_ + " (" + id_column + ", run_id " +
                       run_id_type +
                       " NOT NULL, writer INTEGER NOT NULL, seq BIGINT NOT NULL, "
                       "client_us BIGINT NOT NULL)");
  // A view's table has the index already. On Galera the statement would reach every node
  // before it fails, and each would log "WSREP: Ignoring error" for it, as for a divergence.
  const db::Flavor flavor = connection_.server().flavor;
  if ((flavor == db::Flavor::kMariaDb || flavor == db::Flavor::kMySql) &&
      !connection_
           .query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                  "TABLE_NAME = $1 AND TABLE_TYPE = 'VIEW'",
                  {name_})
           .empty()) {
    return;
  }
  std::string index = connection_.quote_identifier(name_ + "_write_id");
  std::string if_not_exists = flavor == db::Flavor::kMySql ? "" : "IF NOT EXISTS ";
  run_tolerating_races("CREATE INDEX " + if_not_exists + index + " ON " + quoted_ +
                       " (run_id, writer, seq)");
}

void ProbeTable::run_tolerating_races(const std::string& ddl) {
  try {
    connection_.execute(ddl);
  } catch (const Error& e) {
    // PostgreSQL: two concurrent CREATE ... IF NOT EXISTS may collide on the catalog's unique
    // index; the other probe created it, which is all we need. 42809: the name is a view (a
    // probe of the new version of a `cutover change` sees its table through one), whose table
    // has the index already; MariaDB says so with error 1347 ("... is not of type 'BASE
    // TABLE'": the change's database holds views).
    constexpr int kMariaDbWrongObject = 1347;
    const bool is_view = e.sqlstate() == "42809" ||
                         (connection_.server().flavor == db::Flavor::kMariaDb &&
                          e.vendor_code() == kMariaDbWrongObject);
    if (!db::is_concurrent_creation(connection_.server().flavor, e) && !is_view) throw;
  }
}

std::string ProbeTable::insert_sql() const {
  return "INSERT INTO " + quoted_ + " (run_id, writer, seq, client_us) VALUES ($1, $2, $3, $4)";
}

std::string ProbeTable::point_read_sql() const {
  return "SELECT seq, client_us FROM " + quoted_ +
         " WHERE run_id = $1 AND writer = $2 AND seq = $3";
}

std::string ProbeTable::range_read_sql() const {
  return "SELECT seq, client_us FROM " + quoted_ +
         " WHERE run_id = $1 AND writer = $2 ORDER BY seq DESC LIMIT 10";
}

std::string ProbeTable::verify_sql() const {
  return "SELECT writer, seq, count(*) FROM " + quoted_ +
         " WHERE run_id = $1 GROUP BY writer, seq ORDER BY writer, seq";
}

}  // namespace cutover::probe
