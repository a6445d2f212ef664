// The probe's own table and the statements its readers, writers and verifier run on it.
#include "probe/probe_table.h"

#include "core/error.h"

namespace cutover::probe {

ProbeTable::ProbeTable(db::Connection& connection, std::string name)
    : connection_(connection),
      name_(std::move(name)),
      quoted_(connection.quote_identifier(name_)) {}

void ProbeTable::ensure_exists() {
  std::string run_id_type =
      connection_.server().flavor == db::Flavor::kPostgres ? "text" : "VARCHAR(40)";
  std::string ddl = "CREATE TABLE IF NOT EXISTS " + quoted_ + " (run_id " + run_id_type +
                    " NOT NULL, writer INTEGER NOT NULL, seq BIGINT NOT NULL, "
                    "client_us BIGINT NOT NULL, PRIMARY KEY (run_id, writer, seq))";
  try {
    connection_.execute(ddl);
  } catch (const Error& e) {
    // PostgreSQL: two concurrent CREATE TABLE IF NOT EXISTS may collide on the catalog's
    // unique index; the other probe created it, which is all we need.
    if (e.sqlstate() != "23505" && e.sqlstate() != "42P07") throw;
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
