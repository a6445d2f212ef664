// The schema history table: Flyway's DDL per database, race-safe creation, reads and writes.
#include "migrate/history_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/error_kind.h"

namespace cutover::migrate {
namespace {

using db::Flavor;
using db::Value;

// Flyway's columns, in its order. read() and check_columns() select them by name.
constexpr const char* kColumns[] = {"installed_rank", "version",  "description",  "type",
                                    "script",         "checksum", "installed_by", "installed_on",
                                    "execution_time", "success"};

// PostgreSQL's identifier limit is 63 bytes; `_s_idx` and `_lease` are 6 more.
constexpr size_t kMaxNameLength = 57;

// Flyway's column widths, which its AbbreviationUtils keeps descriptions and scripts within.
constexpr size_t kDescriptionWidth = 200;
constexpr size_t kScriptWidth = 1000;

// Galera may abort a DDL statement that raced with another node's (deadlock 1213); MariaDB
// reports 1050 when another session created the table between our check and our CREATE.
constexpr int kCreateAttempts = 5;

// MariaDB's ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: a string the column's character set cannot hold.
constexpr int kIncorrectStringValue = 1366;

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (name.front() >= '0' && name.front() <= '9') return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Shortens `text` to at most `width` characters (UTF-8 code points) the way Flyway does: the
// first width - 3 characters followed by "...".
std::string abbreviate(std::string_view text, size_t width) {
  size_t characters = 0;
  size_t cut = 0;  // byte offset after width - 3 characters
  for (size_t i = 0; i < text.size(); ++i) {
    bool starts_character = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (!starts_character) continue;
    if (characters == width - 3) cut = i;
    ++characters;
  }
  if (characters <= width) return std::string(text);
  return std::string(text.substr(0, cut)) + "...";
}

std::int32_t to_int32(const Value& value, std::string_view table, std::string_view column) {
  std::int64_t number = value.as_int();
  if (number < std::numeric_limits<std::int32_t>::min() ||
      number > std::numeric_limits<std::int32_t>::max()) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("history table {}: {} value {} does not fit a 32-bit integer", table,
                            column, number),
                "the table was not written by Flyway or cutover; check its contents");
  }
  return static_cast<std::int32_t>(number);
}

// PostgreSQL prints booleans as t/f, MariaDB and SQLite store 1/0 (as Flyway's JDBC writes).
bool to_bool(const Value& value, std::string_view table) {
  if (value.is_int()) return value.as_int() != 0;
  const std::string text = value.text();
  if (text == "t" || text == "true" || text == "1") return true;
  if (text == "f" || text == "false" || text == "0") return false;
  throw Error(ErrorCode::kBadInput,
              fmt::format("history table {}: success value '{}' is not a boolean", table, text),
              "the table was not written by Flyway or cutover; check its contents");
}

}  // namespace

HistoryTable::HistoryTable(db::Connection& connection, std::string name)
    : conn_(connection), name_(std::move(name)) {
  if (!is_plain_identifier(name_)) {
    throw_bad_input(
        fmt::format("history table name '{}' is not a plain identifier", name_),
        fmt::format("use ASCII letters, digits and '_', not starting with a digit, at most {} "
                    "characters (e.g. {} or flyway_schema_history)",
                    kMaxNameLength, kDefaultHistoryTable));
  }
}

std::string HistoryTable::quoted() const { return conn_.quote_identifier(name_); }

std::string HistoryTable::column_list() const {
  std::string list;
  for (const char* column : kColumns) {
    if (!list.empty()) list += ", ";
    list += conn_.quote_identifier(column);
  }
  return list;
}

bool HistoryTable::exists() {
  switch (conn_.server().flavor) {
    case Flavor::kPostgres:
      return !conn_
                  .query(
                      "SELECT 1 FROM information_schema.tables "
                      "WHERE table_schema = current_schema() AND table_name = $1",
                      {name_})
                  .empty();
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return !conn_
                  .query(
                      "SELECT 1 FROM information_schema.tables "
                      "WHERE table_schema = DATABASE() AND table_name = $1",
                      {name_})
                  .empty();
    case Flavor::kSqlite:
      return !conn_.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {name_})
                  .empty();
  }
  return false;
}

namespace {

// "make app the connection's schema, e.g. in the URL: ..." for a history found in `schema`;
// the URL's options= holds the name percent-encoded.
std::string search_path_hint(const std::string& schema) {
  const std::string in_url = percent_encode(schema);
  return fmt::format(
      "make {0} the connection's schema, e.g. in the URL: ?options=-csearch_path%3D{1} (or "
      "ALTER ROLE ... SET search_path = {0})",
      schema, in_url);
}

}  // namespace

void HistoryTable::refuse_unadopted_flyway_history() {
  if (name_ == kFlywayHistoryTable) {
    refuse_flyway_history_elsewhere();
    // A cutover project given a flyway.conf (whose default table is Flyway's) or the flag.
    if (!exists() && HistoryTable(conn_, std::string(kDefaultHistoryTable)).exists()) {
      throw_bad_input(
          fmt::format("this database's history is cutover's {} and it has no {}: cutover "
                      "would start a new history in {} and apply every migration again",
                      kDefaultHistoryTable, name_, name_),
          fmt::format("keep the history where it is: add flyway.table={} to flyway.conf (or "
                      "table = \"{}\" under [flyway] in flyway.toml), or give --history-table {}; "
                      "nothing has been created or applied",
                      kDefaultHistoryTable, kDefaultHistoryTable, kDefaultHistoryTable));
    }
    return;
  }
  if (name_ != kDefaultHistoryTable || exists()) return;
  const std::string flyway(kFlywayHistoryTable);
  std::string where;         // for the message
  std::string other_schema;  // PostgreSQL: the schema when it is not the current one
  switch (conn_.server().flavor) {
    case Flavor::kPostgres: {
      db::Result found = conn_.query(
          "SELECT table_schema, table_schema = current_schema() FROM information_schema.tables "
          "WHERE table_name = $1 ORDER BY 2 DESC, 1",
          {flyway});
      if (found.empty()) return;
      const std::string schema = found.rows[0][0].text();
      const std::string current = found.rows[0][1].text();
      where = fmt::format("schema {}", schema);
      if (current != "t" && current != "true" && current != "1") other_schema = schema;
      break;
    }
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      if (conn_
              .query("SELECT 1 FROM information_schema.tables "
                     "WHERE table_schema = DATABASE() AND table_name = $1",
                     {flyway})
              .empty()) {
        return;
      }
      where = "this database";
      break;
    case Flavor::kSqlite:
      if (conn_.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {flyway})
              .empty()) {
        return;
      }
      where = "this database";
      break;
  }
  std::string hint = fmt::format(
      "to continue Flyway's history, add --history-table {} (cutover reads and writes it as "
      "Flyway does)",
      flyway);
  if (!other_schema.empty()) hint += " and " + search_path_hint(other_schema);
  hint += "; nothing has been created or applied";
  throw_bad_input(
      fmt::format("{} has Flyway's history table {} but no {}: cutover would start a new "
                  "history in {} and apply every migration again",
                  where, other_schema.empty() ? flyway : other_schema + "." + flyway, name_, name_),
      hint);
}

void HistoryTable::refuse_flyway_history_elsewhere() {
  if (conn_.server().flavor != Flavor::kPostgres || exists()) return;
  // Only a connection left in public, the default: a schema per tenant sets its search_path,
  // and a new tenant starts its own history there.
  // Not the current schema's: another instance may have created it there since exists().
  db::Result found = conn_.query(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = $1 AND "
      "current_schema() = 'public' AND table_schema <> current_schema() ORDER BY 1",
      {name_});
  if (found.empty()) return;
  const std::string schema = found.rows[0][0].text();
  throw_bad_input(
      fmt::format("Flyway's history table is {}.{}, not in the connection's schema: cutover "
                  "would start a new {} there and apply every migration again",
                  schema, name_, name_),
      search_path_hint(schema) +
          "; to start a new history instead, name another --history-table; nothing has been "
          "created or applied");
}

std::string HistoryTable::script_charset() {
  db::Result found = conn_.query(
      "SELECT character_set_name FROM information_schema.columns "
      "WHERE table_schema = DATABASE() AND table_name = $1 AND column_name = 'script'",
      {name_});
  if (!found.empty() && !found.scalar().is_null()) return found.scalar().text();
  found = conn_.query(
      "SELECT default_character_set_name FROM information_schema.schemata "
      "WHERE schema_name = DATABASE()");
  return found.empty() ? std::string() : found.scalar().text();
}

void HistoryTable::check_can_record(const std::vector<std::string>& scripts) {
  const Flavor flavor = conn_.server().flavor;
  if (flavor != Flavor::kMariaDb && flavor != Flavor::kMySql) return;
  std::string charset;
  for (const std::string& script : scripts) {
    const bool ascii = std::all_of(script.begin(), script.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) continue;
    if (charset.empty()) charset = script_charset();
    if (charset.empty() || charset == "utf8mb4" || !is_plain_identifier(charset)) return;
    // The server's own conversion tells: what the charset cannot hold comes back as '?'.
    db::Result same =
        conn_.query(fmt::format("SELECT BINARY CONVERT(CONVERT($1 USING {}) USING utf8mb4) = "
                                "BINARY CONVERT($1 USING utf8mb4)",
                                charset),
                    {script});
    if (!same.empty() && same.scalar().as_int() != 0) continue;
    throw_bad_input(
        fmt::format("migration file '{}': its name cannot be recorded in history table {}, "
                    "whose script column uses character set {}",
                    script, name_, charset),
        fmt::format("rename the file with characters {} can hold (ASCII always works), or "
                    "convert the table (ALTER TABLE {} CONVERT TO CHARACTER SET utf8mb4); "
                    "nothing has been applied",
                    charset, name_));
  }
}

void HistoryTable::ensure_exists() {
  if (conn_.in_transaction()) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("cannot create history table {} inside a transaction", name_),
                "commit or roll back first: MariaDB commits an open transaction on DDL");
  }
  for (int attempt = 1;; ++attempt) {
    // The reads are inside the retry too: on Galera, reading information_schema while another
    // node's CREATE is applied (TOI) can end in a deadlock (1213).
    try {
      refuse_unadopted_flyway_history();
      if (exists()) {
        check_columns();
        return;
      }
      switch (conn_.server().flavor) {
        case Flavor::kPostgres:
          create_postgres();
          break;
        case Flavor::kMariaDb:
        case Flavor::kMySql:
          create_mariadb();
          break;
        case Flavor::kSqlite:
          create_sqlite();
          break;
      }
      return;
    } catch (const Error& error) {
      if (conn_.in_transaction()) conn_.rollback();
      // Someone else created it at the same moment, or a read met its DDL: look again.
      if (!db::is_concurrent_creation(conn_.server().flavor, error) || attempt == kCreateAttempts) {
        throw;
      }
    }
  }
}

// Flyway's createMetaDataTable.sql for PostgreSQL, with the primary key declared in the CREATE
// (the same catalog entries as Flyway's ALTER TABLE ... ADD CONSTRAINT "<t>_pk"). DDL is
// transactional here: a concurrent creator blocks on the catalog until we commit, then fails
// with a unique violation that ensure_exists() recognises.
void HistoryTable::create_postgres() {
  const std::string table = quoted();
  conn_.begin();
  conn_.execute(
      fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                  "    \"installed_rank\" INT NOT NULL,\n"
                  "    \"version\" VARCHAR(50),\n"
                  "    \"description\" VARCHAR(200) NOT NULL,\n"
                  "    \"type\" VARCHAR(20) NOT NULL,\n"
                  "    \"script\" VARCHAR(1000) NOT NULL,\n"
                  "    \"checksum\" INTEGER,\n"
                  "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
                  "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
                  "    \"execution_time\" INTEGER NOT NULL,\n"
                  "    \"success\" BOOLEAN NOT NULL,\n"
                  "    CONSTRAINT {} PRIMARY KEY (\"installed_rank\")\n"
                  ")",
                  table, conn_.quote_identifier(name_ + "_pk")));
  conn_.execute(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} (\"success\")",
                            conn_.quote_identifier(name_ + "_s_idx"), table));
  conn_.commit();
}

// Flyway's createMetaDataTable.sql for MySQL/MariaDB, with the success index declared in the
// CREATE (the same index as Flyway's separate CREATE INDEX), so that the table appears whole in
// one atomic statement: DDL is not transactional here, and a crash between two statements
// would leave a table without its index. Galera replicates it to every node in total order.
void HistoryTable::create_mariadb() {
  conn_.execute(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (\n"
      "    `installed_rank` INT NOT NULL,\n"
      "    `version` VARCHAR(50),\n"
      "    `description` VARCHAR(200) NOT NULL,\n"
      "    `type` VARCHAR(20) NOT NULL,\n"
      "    `script` VARCHAR(1000) NOT NULL,\n"
      "    `checksum` INT,\n"
      "    `installed_by` VARCHAR(100) NOT NULL,\n"
      "    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
      "    `execution_time` INT NOT NULL,\n"
      "    `success` BOOL NOT NULL,\n"
      "    CONSTRAINT {} PRIMARY KEY (`installed_rank`),\n"
      "    INDEX {} (`success`)\n"
      ") ENGINE=InnoDB",
      quoted(), conn_.quote_identifier(name_ + "_pk"), conn_.quote_identifier(name_ + "_s_idx")));
}

// Flyway's createMetaDataTable.sql for SQLite. The write transaction (BEGIN IMMEDIATE)
// serialises concurrent creators.
void HistoryTable::create_sqlite() {
  const std::string table = quoted();
  conn_.begin();
  conn_.execute(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (\n"
      "    \"installed_rank\" INT NOT NULL PRIMARY KEY,\n"
      "    \"version\" VARCHAR(50),\n"
      "    \"description\" VARCHAR(200) NOT NULL,\n"
      "    \"type\" VARCHAR(20) NOT NULL,\n"
      "    \"script\" VARCHAR(1000) NOT NULL,\n"
      "    \"checksum\" INT,\n"
      "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
      "    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),\n"
      "    \"execution_time\" INT NOT NULL,\n"
      "    \"success\" BOOLEAN NOT NULL\n"
      ")",
      table));
  conn_.execute(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} (\"success\")",
                            conn_.quote_identifier(name_ + "_s_idx"), table));
  conn_.commit();
}

// Lists the table's columns rather than selecting them: SQLite reads a double-quoted name that
// is no column as a string literal, so a SELECT would not notice a missing column.
void HistoryTable::check_columns() {
  // Each column's name, and whether a row must give it (NOT NULL without a default).
  std::string sql;
  switch (conn_.server().flavor) {
    case Flavor::kPostgres:
      sql =
          "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL FROM "
          "information_schema.columns WHERE table_schema = current_schema() AND table_name = $1";
      break;
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      sql =
          "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL FROM "
          "information_schema.columns WHERE table_schema = DATABASE() AND table_name = $1";
      break;
    case Flavor::kSqlite:
      sql = "SELECT name, \"notnull\" = 1 AND dflt_value IS NULL FROM pragma_table_info($1)";
      break;
  }
  std::vector<std::string> present;
  std::string required;  // columns cutover does not write that a row must give
  for (const db::Row& row : conn_.query(sql, {name_}).rows) {
    const std::string column = row[0].text();
    present.push_back(column);
    const std::string must = row[1].text();
    const bool own = std::find_if(std::begin(kColumns), std::end(kColumns),
                                  [&](const char* c) { return column == c; }) != std::end(kColumns);
    if (!own && (must == "t" || must == "1" || must == "true")) {
      required += required.empty() ? column : ", " + column;
    }
  }
  std::string missing;
  for (const char* column : kColumns) {
    if (std::find(present.begin(), present.end(), column) != present.end()) continue;
    missing += missing.empty() ? column : std::string(", ") + column;
  }
  if (!missing.empty()) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("table {} exists but is not a Flyway schema history table: it has no "
                            "column {}",
                            name_, missing),
                "choose another name with --history-table, or drop or rename that table");
  }
  if (!required.empty()) {
    const bool flyway4 = required.find("version_rank") != std::string::npos;
    throw Error(
        ErrorCode::kBadInput,
        fmt::format("history table {} has column{} {} that every row must give and cutover does "
                    "not write{}",
                    name_, required.find(',') == std::string::npos ? "" : "s", required,
                    flyway4 ? ": the layout of Flyway 4 and earlier" : ""),
        flyway4 ? "let Flyway 5 or later upgrade the table first (it drops version_rank), then "
                  "run cutover; nothing has been applied"
                : "give the column a default or drop it, or name another --history-table; "
                  "nothing has been applied");
  }
}

std::vector<HistoryRow> HistoryTable::read() {
  db::Result result = conn_.query(fmt::format("SELECT {} FROM {} ORDER BY {}", column_list(),
                                              quoted(), conn_.quote_identifier("installed_rank")));
  std::vector<HistoryRow> rows;
  rows.reserve(result.rows.size());
  for (const db::Row& values : result.rows) {
    HistoryRow row;
    row.installed_rank = to_int32(values[0], name_, "installed_rank");
    row.version = values[1].as_optional_text();
    row.description = values[2].text();
    row.type = values[3].text();
    row.script = values[4].text();
    if (!values[5].is_null()) row.checksum = to_int32(values[5], name_, "checksum");
    row.installed_by = values[6].text();
    row.installed_on = values[7].text();
    row.execution_time_ms = to_int32(values[8], name_, "execution_time");
    row.success = to_bool(values[9], name_);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::int32_t HistoryTable::append(const HistoryRow& row) {
  const std::string table = quoted();
  std::int32_t rank =
      to_int32(conn_
                   .query(fmt::format("SELECT COALESCE(MAX({}), 0) + 1 FROM {}",
                                      conn_.quote_identifier("installed_rank"), table))
                   .scalar(),
               name_, "installed_rank");
  std::string columns;
  for (const char* column : kColumns) {
    if (std::string_view(column) == "installed_on") continue;  // the database's clock
    if (!columns.empty()) columns += ", ";
    columns += conn_.quote_identifier(column);
  }
  // TRUE and FALSE are literals in all three dialects (SQLite since 3.23); a bound integer
  // would not compare to a PostgreSQL boolean.
  try {
    conn_.execute(fmt::format("INSERT INTO {} ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {})",
                              table, columns, row.success ? "TRUE" : "FALSE"),
                  {rank, Value(row.version), abbreviate(row.description, kDescriptionWidth),
                   row.type, abbreviate(row.script, kScriptWidth),
                   row.checksum ? Value(std::int64_t{*row.checksum}) : Value(), row.installed_by,
                   row.execution_time_ms});
  } catch (const Error& e) {
    if (e.vendor_code() != kIncorrectStringValue) throw;
    // MariaDB: "Incorrect string value" says neither which file nor why.
    throw Error(e.code(),
                fmt::format("cannot record {} in history table {}: the table's character set "
                            "({}) cannot hold its name or description: {}",
                            row.script, name_, script_charset(), e.message()),
                "rename the file with characters that character set holds (ASCII always "
                "works), or convert the table: ALTER TABLE " +
                    name_ + " CONVERT TO CHARACTER SET utf8mb4")
        .with_sqlstate(e.sqlstate())
        .with_vendor_code(e.vendor_code())
        .with_db_failure(e.db_failure());
  }
  return rank;
}

std::int32_t HistoryTable::append_baseline(const Version& version, std::string_view description,
                                           std::optional<std::string> installed_by) {
  HistoryRow row;
  row.version = version.to_string();
  row.description = std::string(description);
  row.type = std::string(kHistoryTypeBaseline);
  row.script = std::string(description);  // Flyway's addBaselineMarker does the same
  row.installed_by = installed_by ? std::move(*installed_by) : default_installed_by();
  row.execution_time_ms = 0;
  row.success = true;
  return append(row);
}

std::int64_t HistoryTable::remove_failed() {
  return conn_.execute(
      fmt::format("DELETE FROM {} WHERE {} = FALSE", quoted(), conn_.quote_identifier("success")));
}

void HistoryTable::update_checksum(std::int32_t installed_rank,
                                   std::optional<std::int32_t> checksum) {
  update_one("checksum", checksum ? Value(std::int64_t{*checksum}) : Value(), installed_rank);
}

void HistoryTable::update_description(std::int32_t installed_rank, std::string_view description) {
  update_one("description", abbreviate(description, kDescriptionWidth), installed_rank);
}

void HistoryTable::update_one(std::string_view column, const Value& value,
                              std::int32_t installed_rank) {
  std::int64_t changed = conn_.execute(
      fmt::format("UPDATE {} SET {} = $1 WHERE {} = $2", quoted(), conn_.quote_identifier(column),
                  conn_.quote_identifier("installed_rank")),
      {value, installed_rank});
  // MariaDB counts rows changed, not rows matched: setting the value a row already has is 0.
  if (changed == 0 && conn_
                          .query(fmt::format("SELECT 1 FROM {} WHERE {} = $1", quoted(),
                                             conn_.quote_identifier("installed_rank")),
                                 {installed_rank})
                          .empty()) {
    throw Error(
        ErrorCode::kOperationFailed,
        fmt::format("history table {} has no row with installed_rank {}", name_, installed_rank),
        "read the history again: another process may have repaired it meanwhile");
  }
}

std::string HistoryTable::default_installed_by() const {
  // MariaDB's user is user@host; Flyway records the user part, as ${flyway:user} gives it.
  const std::string& user = conn_.server().user;
  if (conn_.server().flavor == Flavor::kPostgres) return user;
  return user.substr(0, user.find('@'));
}

}  // namespace cutover::migrate
