// What a SQLite move reads and writes on its files.
#include "move/sqlite_facts.h"

#include <fmt/format.h>

#include <cstdint>

#include "core/error.h"

namespace cutover::move {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void mix(std::uint64_t& hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
}

}  // namespace

std::vector<std::string> sqlite_tables(db::Connection& database) {
  std::vector<std::string> out;
  for (const auto& row : database
                             .query("SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                                    "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND "
                                    "upper(sql) NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")
                             .rows) {
    out.push_back(row[0].text());
  }
  return out;
}

std::vector<FreezeTrigger> freeze_trigger_statements(db::Connection& database,
                                                     const std::string& move_id) {
  std::vector<FreezeTrigger> out;
  for (const auto& table : sqlite_tables(database)) {
    for (const char* op : {"INSERT", "UPDATE", "DELETE"}) {
      FreezeTrigger t;
      t.name = fmt::format("{}{}_{}", kFreezeTriggerPrefix, op, table);
      for (auto& c : t.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      t.create = fmt::format(
          "CREATE TRIGGER IF NOT EXISTS {} BEFORE {} ON {} BEGIN SELECT RAISE(ABORT, 'cutover "
          "move {}: this "
          "database is frozen while it moves; writes are refused'); END",
          database.quote_identifier(t.name), op, database.quote_identifier(table), move_id);
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string prove_sqlite_freeze(db::Connection& database) {
  for (const auto& table : sqlite_tables(database)) {
    std::string quoted = database.quote_identifier(table);
    // WITHOUT ROWID tables have no rowid to pick a row by.
    bool has_rowid = true;
    try {
      if (database.query("SELECT rowid FROM " + quoted + " LIMIT 1").rows.empty()) continue;
    } catch (const Error&) {
      has_rowid = false;
    }
    if (!has_rowid) continue;
    database.begin();
    try {
      database.execute("DELETE FROM " + quoted + " WHERE rowid IN (SELECT rowid FROM " + quoted +
                       " LIMIT 1)");
    } catch (const Error& e) {
      database.rollback();
      // Refused by a freeze trigger, not by a lock or a constraint of the application's.
      if (e.message().find("frozen while it moves") == std::string::npos) throw;
      return fmt::format("a DELETE on {} was refused", table);
    }
    database.rollback();
    throw Error(
        ErrorCode::kOperationFailed,
        fmt::format("the freeze does not hold: a DELETE on {} succeeded (rolled back)", table),
        "cutover move abort, then report this");
  }
  return "no table has a row to try a write on";
}

TableSum sqlite_table_sum(db::Connection& database, const std::string& table) {
  TableSum sum;
  std::uint64_t total = 0;
  database.query_stream(
      "SELECT * FROM " + database.quote_identifier(table), {}, [&](const db::Row& row) {
        std::uint64_t hash = kFnvOffset;
        for (const auto& v : row) {
          mix(hash, v.is_null() ? std::string_view("\x01N") : std::string_view("\x02"));
          if (!v.is_null()) mix(hash, v.text());
          mix(hash, "\x1f");
        }
        total += hash;  // wraps: a sum modulo 2^64
        ++sum.rows;
        return true;
      });
  sum.checksum = std::to_string(total);
  return sum;
}

std::string sqlite_schema_text(db::Connection& database) {
  std::string text;
  for (const auto& row :
       database
           .query(fmt::format("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE NOT "
                              "(type = 'trigger' AND name LIKE '{}%') ORDER BY type, name",
                              kFreezeTriggerPrefix))
           .rows) {
    text +=
        fmt::format("{} {} {}\n{}\n", row[0].text(), row[1].text(), row[2].text(), row[3].text());
  }
  for (const char* pragma : {"user_version", "application_id"}) {
    text += fmt::format("{} {}\n", pragma,
                        database.query(fmt::format("PRAGMA {}", pragma)).rows.at(0)[0].text());
  }
  return text;
}

}  // namespace cutover::move
