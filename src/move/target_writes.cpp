// Whether a target database has received writes since finalize: its statistics, its checksums.
#include "move/target_writes.h"

#include <fmt/format.h>

#include <map>

#include "move/row_checksum.h"
#include "move/table_copy.h"
#include "move/table_verify.h"

namespace cutover::move {

nlohmann::json write_counters(db::Connection& database) {
  database.execute("SELECT pg_stat_clear_snapshot()");
  nlohmann::json out = nlohmann::json::object();
  for (const auto& row :
       database
           .query("SELECT quote_ident(schemaname) || '.' || quote_ident(relname), "
                  "n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")
           .rows) {
    out[row[0].text()] = row[1].as_int();
  }
  return out;
}

std::vector<std::string> tables_written_since(db::Connection& database,
                                              const nlohmann::json& before) {
  std::vector<std::string> out;
  nlohmann::json now = write_counters(database);
  for (const auto& [table, count] : now.items()) {
    std::int64_t was = before.contains(table) ? before[table].get<std::int64_t>() : 0;
    std::int64_t is = count.get<std::int64_t>();
    if (is > was) out.push_back(fmt::format("{} ({} rows)", table, is - was));
  }
  return out;
}

std::vector<std::string> tables_changed_since(db::Connection& database, const nlohmann::json& sums,
                                              ProgressReporter& progress) {
  std::vector<std::string> out;
  prepare_checksum_session(database);
  std::map<std::string, TableToCopy> tables;
  for (auto& t : tables_to_copy(database)) tables.emplace(t.name, std::move(t));
  std::int64_t done = 0;
  for (const auto& [table, verified] : sums.items()) {
    TableSum was = TableSum::from_json(verified);
    auto now = tables.find(table);
    progress.update(++done);
    if (now == tables.end()) {
      out.push_back(fmt::format("{} (dropped since finalize)", table));
      continue;
    }
    // A sum verified by an older cutover was computed by the server (table_sum).
    TableSum is = is_copy_checksum(was) ? copied_table_sum(database, now->second)
                                        : table_sum(database, table);
    if (is.rows != was.rows) {
      out.push_back(fmt::format("{} ({} rows, {} at finalize)", table, is.rows, was.rows));
    } else if (is.checksum != was.checksum) {
      out.push_back(fmt::format("{} (rows changed since finalize)", table));
    }
  }
  progress.finish();
  return out;
}

}  // namespace cutover::move
