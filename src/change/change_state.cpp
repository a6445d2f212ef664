// Where a change stands, stored in the target database itself.
#include "change/change_state.h"

#include <fmt/format.h>

#include "core/error.h"

namespace cutover::change {
namespace {

constexpr const char* kPhaseNames[] = {"starting",     "backfilling", "started",
                                       "completing",   "rolling_back", "completed"};

}  // namespace

const char* phase_name(ChangePhase phase) { return kPhaseNames[static_cast<int>(phase)]; }

ChangePhase parse_phase(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kPhaseNames)); ++i) {
    if (name == kPhaseNames[i]) return static_cast<ChangePhase>(i);
  }
  throw Error(ErrorCode::kOperationFailed,
              fmt::format("the change state table holds an unknown phase '{}'", name),
              "was it written by a newer cutover? use that version");
}

// PostgreSQL keeps it in a schema of its own; SQLite and MariaDB (whose schemas are databases,
// shared by the server's other databases) in a table of the database itself.
ChangeState::ChangeState(db::Connection& connection)
    : table_(connection.server().flavor == db::Flavor::kPostgres ? "\"cutover\".\"changes\""
                                                                 : "\"_cutover_changes\""),
      connection_(connection) {}

void ChangeState::ensure_table() {
  const db::Flavor flavor = connection_.server().flavor;
  const bool sqlite = flavor == db::Flavor::kSqlite;
  const bool postgres = flavor == db::Flavor::kPostgres;
  if (postgres) connection_.execute("CREATE SCHEMA IF NOT EXISTS \"cutover\"");
  const char* id = sqlite     ? "INTEGER PRIMARY KEY"
                   : postgres ? "BIGSERIAL PRIMARY KEY"
                              : "BIGINT AUTO_INCREMENT PRIMARY KEY";
  const char* time = sqlite ? "TEXT" : postgres ? "TIMESTAMPTZ" : "TIMESTAMP";
  const char* text = postgres || sqlite ? "TEXT" : "MEDIUMTEXT";
  // `active` is 1 while the change is not completed, NULL after: unique, so one at a time.
  connection_.execute(fmt::format(
      "CREATE TABLE IF NOT EXISTS {0} ("
      "id {1}, name VARCHAR(100) NOT NULL, phase VARCHAR(20) NOT NULL, "
      "base_schema VARCHAR(100) NOT NULL, spec {3} NOT NULL, backfill {3} NOT NULL, "
      "last_error {3}, active SMALLINT UNIQUE, "
      "started_at {2} NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at {2} NOT NULL DEFAULT "
      "CURRENT_TIMESTAMP)",
      table_, id, time, text));
}

std::optional<ChangeRecord> ChangeState::active() {
  const db::Flavor flavor = connection_.server().flavor;
  const char* exists_sql =
      flavor == db::Flavor::kSqlite
          ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cutover_changes'"
      : flavor == db::Flavor::kPostgres
          ? "SELECT 1 WHERE to_regclass('\"cutover\".\"changes\"') IS NOT NULL"
          : "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
            "TABLE_NAME = '_cutover_changes'";
  if (connection_.query(exists_sql).empty()) return std::nullopt;
  const char* text = flavor == db::Flavor::kPostgres || flavor == db::Flavor::kSqlite ? "TEXT"
                                                                                     : "CHAR";
  auto result = connection_.query(
      fmt::format("SELECT name, phase, base_schema, spec, backfill, CAST(started_at AS {1}), "
                  "CAST(updated_at AS {1}), last_error FROM {0} WHERE active = 1",
                  table_, text));
  if (result.empty()) return std::nullopt;
  const db::Row& row = result.rows[0];
  ChangeRecord record;
  record.name = row[0].text();
  record.phase = parse_phase(row[1].text());
  record.base_schema = row[2].text();
  record.spec = ChangeSpec::from_json(nlohmann::json::parse(row[3].text()));
  for (const auto& progress : nlohmann::json::parse(row[4].text())) {
    record.backfill.push_back(BackfillProgress::from_json(progress));
  }
  record.started_at = row[5].text();
  record.updated_at = row[6].text();
  record.last_error = row[7].is_null() ? "" : row[7].text();
  return record;
}

void ChangeState::begin(const ChangeRecord& record) {
  ensure_table();
  try {
    connection_.execute(
        fmt::format("INSERT INTO {} (name, phase, base_schema, spec, backfill, active) "
                    "VALUES ($1, $2, $3, $4, '[]', 1)",
                    table_),
        {record.name, phase_name(record.phase), record.base_schema,
         record.spec.to_json().dump()});
  } catch (const Error& e) {
    if (e.db_failure() != DbFailure::kStatement) throw;
    auto other = active();
    if (!other) throw;
    throw Error(ErrorCode::kConflict,
                fmt::format("change {} is active ({}): one change at a time", other->name,
                            phase_name(other->phase)),
                fmt::format("complete it (cutover change complete) or roll it back (cutover "
                            "change rollback) before starting {}",
                            record.name));
  }
}

void ChangeState::set_phase(const std::string& name, ChangePhase phase) {
  connection_.execute(fmt::format("UPDATE {} SET phase = $2, last_error = NULL, updated_at = "
                                  "CURRENT_TIMESTAMP WHERE name = $1 AND active = 1",
                                  table_),
                      {name, phase_name(phase)});
}

void ChangeState::save_backfill(const std::string& name,
                                const std::vector<BackfillProgress>& backfill) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& progress : backfill) list.push_back(progress.to_json());
  connection_.execute(fmt::format("UPDATE {} SET backfill = $2, updated_at = CURRENT_TIMESTAMP "
                                  "WHERE name = $1 AND active = 1",
                                  table_),
                      {name, list.dump()});
}

void ChangeState::set_error(const std::string& name, const std::string& error) {
  connection_.execute(
      fmt::format("UPDATE {} SET last_error = $2 WHERE name = $1 AND active = 1", table_),
      {name, error.empty() ? db::Value() : db::Value(error)});
}

void ChangeState::mark_completed(const std::string& name) {
  connection_.execute(fmt::format("UPDATE {} SET phase = $2, active = NULL, updated_at = "
                                  "CURRENT_TIMESTAMP WHERE name = $1 AND active = 1",
                                  table_),
                      {name, phase_name(ChangePhase::kCompleted)});
}

void ChangeState::forget(const std::string& name) {
  connection_.execute(fmt::format("DELETE FROM {} WHERE name = $1 AND active = 1", table_),
                      {name});
}

}  // namespace cutover::change
