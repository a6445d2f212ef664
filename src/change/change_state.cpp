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

ChangeState::ChangeState(db::Connection& connection)
    : table_(connection.server().flavor == db::Flavor::kSqlite ? "\"_cutover_changes\""
                                                               : "\"cutover\".\"changes\""),
      connection_(connection) {}

void ChangeState::ensure_table() {
  bool sqlite = connection_.server().flavor == db::Flavor::kSqlite;
  if (!sqlite) connection_.execute("CREATE SCHEMA IF NOT EXISTS \"cutover\"");
  // `active` is 1 while the change is not completed, NULL after: unique, so one at a time.
  connection_.execute(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      "id {}, name VARCHAR(100) NOT NULL, phase VARCHAR(20) NOT NULL, "
      "base_schema VARCHAR(100) NOT NULL, spec TEXT NOT NULL, backfill TEXT NOT NULL, "
      "last_error TEXT, active SMALLINT UNIQUE, "
      "started_at {} NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at {} NOT NULL DEFAULT "
      "CURRENT_TIMESTAMP)",
      table_, sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY",
      sqlite ? "TEXT" : "TIMESTAMPTZ", sqlite ? "TEXT" : "TIMESTAMPTZ"));
}

std::optional<ChangeRecord> ChangeState::active() {
  const bool sqlite = connection_.server().flavor == db::Flavor::kSqlite;
  const db::Result exists = connection_.query(
      sqlite ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cutover_changes'"
             : "SELECT 1 WHERE to_regclass('\"cutover\".\"changes\"') IS NOT NULL");
  if (exists.empty()) return std::nullopt;
  auto result = connection_.query(
      fmt::format("SELECT name, phase, base_schema, spec, backfill, CAST(started_at AS TEXT), "
                  "CAST(updated_at AS TEXT), last_error FROM {} WHERE active = 1",
                  table_));
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
      {name, error});
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
