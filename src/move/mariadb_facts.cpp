// What a MariaDB move reads off its servers, all of it from information_schema.
#include "move/mariadb_facts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace cutover::move {
namespace {

std::string quoted(db::Connection& c, const std::string& name) { return c.quote_identifier(name); }

// Whether a routine's body may write: one of the words of a write or of a call that could
// (a word inside a string or a comment counts too, which errs on the safe side).
bool may_write(const std::string& body) {
  std::string text;
  for (char c : body) {
    text += std::isalnum(static_cast<unsigned char>(c)) || c == '_'
                ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                : ' ';
  }
  text = " " + text + " ";
  for (const char* word : {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER",
                           "TRUNCATE", "LOAD", "CALL", "EXECUTE", "RENAME", "GRANT", "REVOKE"}) {
    if (text.find(std::string(" ") + word + " ") != std::string::npos) return true;
  }
  return false;
}

// A column as the copy and the checksum read it: FLOAT through DOUBLE, which the text protocol
// writes exactly (a FLOAT's own text has 6 digits).
std::string exact_value(db::Connection& c, const std::string& column, const std::string& type) {
  return type == "float" ? fmt::format("CAST({} AS DOUBLE)", quoted(c, column)) : quoted(c, column);
}

}  // namespace

std::string grantee_of_definer(const std::string& definer) {
  auto at = definer.rfind('@');
  if (at == std::string::npos) return definer;
  return fmt::format("'{}'@'{}'", definer.substr(0, at), definer.substr(at + 1));
}

std::vector<MariadbTable> mariadb_tables(db::Connection& server, const std::string& database) {
  std::vector<MariadbTable> tables;
  auto rows = server.query(
      "SELECT t.table_name, coalesce(t.table_rows, 0), coalesce(t.data_length, 0), "
      "c.column_name, c.data_type FROM information_schema.tables t "
      "JOIN information_schema.columns c "
      "ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
      "WHERE t.table_schema = $1 AND t.table_type = 'BASE TABLE' "
      "AND c.extra NOT LIKE '%GENERATED%' "
      "ORDER BY t.data_length DESC, t.table_name, c.ordinal_position",
      {database});
  for (const auto& row : rows.rows) {
    if (tables.empty() || tables.back().name != row[0].text()) {
      tables.push_back({row[0].text(), {}, {}, row[1].as_int(), row[2].as_int()});
    }
    tables.back().columns.push_back(row[3].text());
    tables.back().select_list.push_back(exact_value(server, row[3].text(), row[4].text()));
  }
  return tables;
}

std::vector<std::string> mariadb_uncopyable_tables(db::Connection& server,
                                                   const std::string& database) {
  std::vector<std::string> out;
  for (const auto& row : server
                             .query("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = $1 AND table_type = 'SYSTEM VERSIONED' "
                                    "ORDER BY table_name",
                                    {database})
                             .rows) {
    out.push_back(row[0].text() + " (WITH SYSTEM VERSIONING: its history is not copied)");
  }
  return out;
}

std::vector<std::string> mariadb_writers_past_read_only(db::Connection& server,
                                                        const std::string& database) {
  auto bypassing = mariadb_unfreezable_accounts(server, {});
  std::vector<std::string> out;
  for (const auto& row :
       server
           .query("SELECT concat(routine_type, ' ', routine_name), definer, routine_definition "
                  "FROM information_schema.routines "
                  "WHERE routine_schema = $1 AND security_type = 'DEFINER' "
                  "UNION ALL SELECT concat('EVENT ', event_name), definer, 'UPDATE' "
                  "FROM information_schema.events WHERE event_schema = $1 AND status = 'ENABLED' "
                  "ORDER BY 1",
                  {database})
           .rows) {
    if (!may_write(row[2].text())) continue;
    std::string definer = row[1].text();
    if (std::find(bypassing.begin(), bypassing.end(), grantee_of_definer(definer)) !=
        bypassing.end()) {
      out.push_back(fmt::format("{} (definer {})", row[0].text(), definer));
    }
  }
  return out;
}

std::pair<std::int64_t, std::vector<std::string>> mariadb_contents(db::Connection& server,
                                                                   const std::string& database) {
  auto rows = server.query(
      "SELECT name FROM ("
      " SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1"
      " UNION ALL SELECT routine_name FROM information_schema.routines WHERE routine_schema = $1"
      " UNION ALL SELECT trigger_name FROM information_schema.triggers"
      "  WHERE trigger_schema = $1"
      " UNION ALL SELECT event_name FROM information_schema.events WHERE event_schema = $1"
      ") o ORDER BY name",
      {database});
  std::vector<std::string> sample;
  for (const auto& row : rows.rows) {
    if (sample.size() < 5) sample.push_back(row[0].text());
  }
  return {static_cast<std::int64_t>(rows.rows.size()), sample};
}

bool mariadb_database_exists(db::Connection& server, const std::string& database) {
  return !server
              .query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", {database})
              .rows.empty();
}

std::string mariadb_database_options(db::Connection& server, const std::string& database) {
  auto row = server
                 .query(
                     "SELECT default_character_set_name, default_collation_name "
                     "FROM information_schema.schemata WHERE schema_name = $1",
                     {database})
                 .rows.at(0);
  return fmt::format("CHARACTER SET {} COLLATE {}", row[0].text(), row[1].text());
}

std::vector<std::string> mariadb_unfreezable_accounts(db::Connection& server,
                                                      const std::vector<std::string>& allowed) {
  // From 10.11 on, SUPER no longer includes READ_ONLY ADMIN.
  std::string privileges = server.server().version_number >= 101100
                               ? "('READ_ONLY ADMIN')"
                               : "('READ_ONLY ADMIN', 'SUPER')";
  auto rows =
      server.query(fmt::format("SELECT DISTINCT grantee FROM "
                               "information_schema.user_privileges "
                               "WHERE privilege_type IN {} ORDER BY grantee",
                               privileges));
  std::vector<std::string> out;
  for (const auto& row : rows.rows) {
    std::string grantee = row[0].text();  // 'user'@'host'
    std::string user = grantee.substr(1, grantee.find("'@'") - 1);
    bool allowed_here = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
      return a == user || a == grantee;
    });
    if (!allowed_here) out.push_back(grantee);
  }
  return out;
}

std::vector<std::string> mariadb_accounts(db::Connection& server) {
  std::vector<std::string> out;
  for (const auto& row :
       server.query("SELECT DISTINCT grantee FROM information_schema.user_privileges").rows) {
    out.push_back(row[0].text());
  }
  // Roles ('auditor'@'') are in mysql.user only, which not every account may read.
  try {
    for (const auto& row : server.query("SELECT user FROM mysql.user WHERE is_role = 'Y'").rows) {
      out.push_back(fmt::format("'{}'@''", row[0].text()));
    }
  } catch (const Error&) {
  }
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> mariadb_counters(db::Connection& server,
                                                                   const std::string& database) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& row : server
                             .query("SELECT table_name, auto_increment FROM "
                                    "information_schema.tables WHERE table_schema = $1 "
                                    "AND table_type = 'BASE TABLE' AND auto_increment IS NOT NULL "
                                    "ORDER BY table_name",
                                    {database})
                             .rows) {
    out.emplace_back(row[0].text(), row[1].as_int());
  }
  for (const auto& row : server
                             .query("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = $1 AND table_type = 'SEQUENCE' "
                                    "ORDER BY table_name",
                                    {database})
                             .rows) {
    std::string name = row[0].text();
    auto next = server.query(fmt::format("SELECT next_not_cached_value FROM {}.{}",
                                         quoted(server, database), quoted(server, name)));
    out.emplace_back("sequence " + name, next.rows.at(0)[0].as_int());
  }
  return out;
}

void set_mariadb_counters(db::Connection& target,
                          const std::vector<std::pair<std::string, std::int64_t>>& counters) {
  constexpr std::string_view kSequence = "sequence ";
  for (const auto& [name, value] : counters) {
    if (name.starts_with(kSequence)) {
      // SETVAL(s, n, 0): n is the next value NEXT VALUE FOR gives.
      target.query(fmt::format("SELECT SETVAL({}, {}, 0)",
                               quoted(target, name.substr(kSequence.size())), value));
    } else {
      target.execute(
          fmt::format("ALTER TABLE {} AUTO_INCREMENT = {}", quoted(target, name), value));
    }
  }
}

TableSum mariadb_table_sum(db::Connection& database, const std::string& table) {
  std::string hashes;
  for (const auto& row : database
                             .query("SELECT column_name, data_type FROM information_schema.columns "
                                    "WHERE table_schema = database() AND table_name = $1 "
                                    "ORDER BY ordinal_position",
                                    {table})
                             .rows) {
    hashes += fmt::format("{}coalesce(crc32({}), -1)", hashes.empty() ? "" : ", ",
                          exact_value(database, row[0].text(), row[1].text()));
  }
  // CRC32 and CRC32C cost a quarter of MD5's time; a row's 64 bits are both of its columns'
  // CRC32s together.
  auto row = database
                 .query(fmt::format("SELECT count(*), coalesce(sum((crc32(r) << 32) | crc32c(r)), "
                                    "0) FROM (SELECT concat_ws(',', {}) AS r FROM {}) AS t",
                                    hashes, quoted(database, table)))
                 .rows.at(0);
  return {row[0].as_int(), row[1].text()};
}

}  // namespace cutover::move
