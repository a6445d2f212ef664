// The coordination lease: one row that says which process may do a piece of work.
#include "coord/lease.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "coord/server_session.h"
#include "core/error.h"
#include "db/error_kind.h"

namespace cutover::coord {
namespace {

using db::Flavor;
using Clock = std::chrono::steady_clock;

// MariaDB error numbers the lease reacts to.
constexpr int kMariaDbDuplicateKey = 1062;
constexpr int kMariaDbLockWaitTimeout = 1205;
constexpr int kMariaDbDeadlock = 1213;      // also a Galera certification failure
constexpr int kMariaDbNodeNotReady = 1047;  // Galera: "WSREP has not yet prepared node"
constexpr int kMariaDbDbAccessDenied = 1044;
constexpr int kMariaDbTableAccessDenied = 1142;
constexpr int kMariaDbOptionPrevents = 1290;  // --read-only and friends
constexpr int kMariaDbReadOnlyMode = 1836;

// How long a fenced write keeps retrying conflicts: on Galera the loser of a certification
// race retries until its node has applied the winner's write, which takes milliseconds.
constexpr std::chrono::milliseconds kConflictRetryWindow{2000};
// How often a concurrent CREATE TABLE is retried before its error is reported.
constexpr int kCreateAttempts = 10;

std::chrono::microseconds as_micros(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::microseconds>(ms);
}

bool is_statement_error(const Error& e) { return e.db_failure() == DbFailure::kStatement; }

bool is_unique_violation(Flavor flavor, const Error& e) {
  if (flavor == Flavor::kMariaDb || flavor == Flavor::kMySql) {
    return e.vendor_code() == kMariaDbDuplicateKey;
  }
  return e.sqlstate() == "23505";
}

// Another writer got in the way: a deadlock, a Galera certification failure or a node not yet
// synced, a lock held past the lock timeout. The statement changed nothing; trying again later
// is safe.
bool is_write_race(Flavor flavor, const Error& e) {
  if (!is_statement_error(e)) return false;
  if (flavor == Flavor::kMariaDb || flavor == Flavor::kMySql) {
    int code = e.vendor_code();
    return code == kMariaDbDeadlock || code == kMariaDbNodeNotReady ||
           code == kMariaDbLockWaitTimeout;
  }
  const std::string& state = e.sqlstate();
  return state == "40001" || state == "40P01" || state == "55P03";
}

bool is_permission_denied(Flavor flavor, const Error& e) {
  if (flavor == Flavor::kMariaDb || flavor == Flavor::kMySql) {
    int code = e.vendor_code();
    return code == kMariaDbDbAccessDenied || code == kMariaDbTableAccessDenied ||
           code == kMariaDbOptionPrevents || code == kMariaDbReadOnlyMode;
  }
  return e.sqlstate() == "42501" || e.sqlstate() == "25006";
}

// Short pauses between retries: most races end within a few milliseconds.
void back_off(int attempt) {
  static constexpr int kDelaysMs[] = {2, 5, 10, 20, 50, 100};
  constexpr int kLast = static_cast<int>(std::size(kDelaysMs)) - 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(kDelaysMs[std::min(attempt, kLast)]));
}

// The database's clock in microseconds since the Unix epoch, free of session time zones.
std::string now_micros_sql(Flavor flavor) {
  switch (flavor) {
    case Flavor::kPostgres:
      // clock_timestamp(), not now(): now() stays frozen for a whole transaction.
      return "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint";
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))";
    case Flavor::kSqlite:
      // unixepoch('now', 'subsec') needs SQLite 3.42; julianday('now') has millisecond precision.
      return "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)";
  }
  return {};
}

// The longest identifier each database keeps whole (PostgreSQL silently truncates longer ones).
std::size_t identifier_limit(Flavor flavor) {
  switch (flavor) {
    case Flavor::kPostgres:
      return 63;
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return 64;
    case Flavor::kSqlite:
      break;
  }
  return SIZE_MAX;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown-host";
  return name;
}

}  // namespace

std::string describe_this_process() {
  std::random_device random;
  std::uint64_t id = (static_cast<std::uint64_t>(random()) << 32) ^ random();
  return fmt::format("{}:{}:{:016x}", host_name(), getpid(), id);
}

bool holder_ended_here(const std::string& holder) {
  const std::size_t first = holder.find(':');
  const std::size_t second = holder.find(':', first + 1);
  if (first == std::string::npos || second == std::string::npos) return false;
  if (holder.substr(0, first) != host_name()) return false;
  const std::string pid_text = holder.substr(first + 1, second - first - 1);
  char* end = nullptr;
  const long pid = std::strtol(pid_text.c_str(), &end, 10);
  if (pid_text.empty() || *end != '\0' || pid <= 0 || pid > INT_MAX) return false;
  return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

Lease::Lease(db::Connection& connection, LeaseKey key, LeaseOptions options)
    : connection_(connection),
      key_(std::move(key)),
      options_(std::move(options)),
      quoted_table_(!key_.schema.empty() && connection.server().flavor == Flavor::kPostgres
                        ? connection.quote_identifier(key_.schema) + "." +
                              connection.quote_identifier(key_.table)
                        : connection.quote_identifier(key_.table)),
      now_us_(now_micros_sql(connection.server().flavor)) {
  std::size_t limit = identifier_limit(connection.server().flavor);
  const std::string& table = key_.table;
  if (table.size() > limit) {
    throw_bad_input(
        fmt::format("the lease table name '{}' is {} bytes long; {} keeps at most {}", table,
                    table.size(), db::flavor_name(connection.server().flavor), limit),
        fmt::format("choose a shorter name: at most {} bytes", limit));
  }
  if (options_.ttl.count() <= 0) throw_bad_input("the lease ttl must be positive");
}

std::string Lease::create_table_sql() const {
  bool mariadb = connection_.server().flavor == Flavor::kMariaDb ||
                 connection_.server().flavor == Flavor::kMySql;
  // InnoDB explicitly: Galera replicates nothing else.
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      "name VARCHAR(200) NOT NULL PRIMARY KEY, "
      "holder VARCHAR(400) NULL, "
      "token BIGINT NOT NULL, "
      "expires_at BIGINT NOT NULL, "
      "script VARCHAR(1000) NULL, "
      "checksum INT NULL, "
      "statements_done INT NOT NULL DEFAULT 0, "
      "row_version BIGINT NOT NULL DEFAULT 0, "
      "holder_session BIGINT NULL, "
      "holder_session_start BIGINT NULL, "
      "holder_node VARCHAR(200) NULL, "
      "holder_address VARCHAR(400) NULL){}",
      quoted_table_, mariadb ? " ENGINE=InnoDB" : "");
}

bool Lease::table_exists() {
  const std::string& table = key_.table;
  switch (connection_.server().flavor) {
    case Flavor::kPostgres:
      if (key_.schema.empty()) {
        // In the current schema, where CREATE TABLE puts it, beside the history: one further
        // along the search_path (public's, with flyway.schemas=shop) is another project's.
        return !connection_
                    .query(
                        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = current_schema() AND c.relname = $1",
                        {table})
                    .empty();
      }
      return !connection_.query("SELECT to_regclass($1)::text", {quoted_table_}).scalar().is_null();
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return connection_
                 .query(
                     "SELECT count(*) FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = $1",
                     {table})
                 .scalar()
                 .as_int() > 0;
    case Flavor::kSqlite:
      return connection_
                 .query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                        {table})
                 .scalar()
                 .as_int() > 0;
  }
  return false;
}

void Lease::ensure_table() {
  Flavor flavor = connection_.server().flavor;
  for (int attempt = 0;; ++attempt) {
    try {
      // A user without DDL rights can still coordinate once an administrator created it.
      if (!table_exists()) connection_.execute(create_table_sql());
      add_missing_columns();
      return;
    } catch (const Error& e) {
      if (is_statement_error(e) && is_permission_denied(flavor, e)) {
        throw cannot_create(e, create_table_sql());
      }
      // Another process is creating or altering it this very moment (on Galera even the
      // existence check can be aborted by that DDL, and an ALTER replicated from another node
      // interrupts ours: 1317): look again. An error of any other kind is real.
      bool aborted_by_other_node = connection_.server().galera && e.vendor_code() == 1317;
      if (!(db::is_concurrent_creation(flavor, e) || aborted_by_other_node) ||
          attempt + 1 >= kCreateAttempts) {
        throw;
      }
    }
    back_off(attempt);
  }
}

// The columns a lease table made by an earlier release lacks, with their types.
struct AddedColumn {
  const char* name;
  const char* type;
};
constexpr AddedColumn kAddedColumns[] = {{"holder_session", "BIGINT NULL"},
                                         {"holder_session_start", "BIGINT NULL"},
                                         {"holder_node", "VARCHAR(200) NULL"},
                                         {"holder_address", "VARCHAR(400) NULL"}};

void Lease::add_missing_columns() {
  Flavor flavor = connection_.server().flavor;
  std::string sql;
  switch (flavor) {
    case Flavor::kPostgres:
      sql =
          "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 "
          "AND NOT attisdropped";
      break;
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      sql =
          "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
          "AND TABLE_NAME = $1";
      break;
    case Flavor::kSqlite:
      sql = "SELECT name FROM pragma_table_info($1)";
      break;
  }
  auto rows = connection_.query(sql, {flavor == Flavor::kPostgres ? quoted_table_ : key_.table});
  std::set<std::string> present;
  for (const auto& row : rows.rows) present.insert(row[0].text());
  for (const AddedColumn& column : kAddedColumns) {
    if (present.contains(column.name)) continue;
    // IF NOT EXISTS (PostgreSQL, MariaDB) makes a concurrent addition harmless; SQLite lacks it,
    // but serializes writers, and its "duplicate column" error is caught as a race and the
    // columns are read again.
    std::string add =
        fmt::format("ALTER TABLE {} ADD COLUMN {}{} {}", quoted_table_,
                    flavor == Flavor::kSqlite ? "" : "IF NOT EXISTS ", column.name, column.type);
    try {
      connection_.execute(add);
    } catch (const Error& e) {
      if (is_statement_error(e) && is_permission_denied(flavor, e)) throw cannot_create(e, add);
      if (!is_statement_error(e)) throw;
      // Added by another process meanwhile (SQLite's duplicate column): fine.
      bool now_present = false;
      for (const auto& row :
           connection_.query(sql, {flavor == Flavor::kPostgres ? quoted_table_ : key_.table})
               .rows) {
        now_present = now_present || row[0].text() == column.name;
      }
      if (!now_present) throw;
    }
  }
}

Error Lease::cannot_create(const Error& cause, const std::string& fix) const {
  Error error(ErrorCode::kBadInput,
              fmt::format("cannot create or update the lease table {} that coordinates this "
                          "work on {}: {}",
                          key_.table, connection_.redacted_url(), cause.message()),
              fmt::format("let this user create and alter tables there, or have an "
                          "administrator run it once: {}",
                          fix));
  error.with_sqlstate(cause.sqlstate())
      .with_vendor_code(cause.vendor_code())
      .with_db_failure(cause.db_failure());
  return error;
}

namespace {

std::optional<ServerSession> session_of(const db::Row& row, std::size_t first) {
  if (row[first].is_null()) return std::nullopt;
  ServerSession session;
  session.id = row[first].as_int();
  if (!row[first + 1].is_null()) session.start = row[first + 1].as_int();
  session.node = row[first + 2].as_optional_text().value_or("");
  session.address = row[first + 3].as_optional_text().value_or("");
  return session;
}

}  // namespace

db::Params Lease::session_params(const std::optional<ServerSession>& session) const {
  if (!session) return {db::Value(), db::Value(), db::Value(), db::Value()};
  auto text_or_null = [](const std::string& s) { return s.empty() ? db::Value() : db::Value(s); };
  return {db::Value(session->id), db::Value(session->start), text_or_null(session->node),
          text_or_null(session->address)};
}

std::optional<ServerSession> Lease::own_session() {
  if (!session_known_) {
    session_ = identify_session(connection_);
    session_known_ = true;
  }
  return session_;
}

std::optional<Lease::Observed> Lease::observe() {
  auto result = connection_.query(
      fmt::format("SELECT token, CASE WHEN expires_at < {} THEN 1 ELSE 0 END, holder_session, "
                  "holder_session_start, holder_node, holder_address FROM {} WHERE name = $1",
                  now_us_, quoted_table_),
      {key_.name});
  if (result.empty()) return std::nullopt;
  const db::Row& row = result.rows[0];
  return Observed{row[0].as_int(), row[1].as_int() == 1, session_of(row, 2)};
}

std::optional<LeaseToken> Lease::try_acquire(const std::string& holder_description) {
  Flavor flavor = connection_.server().flavor;
  std::optional<LeaseToken> token;
  std::optional<ServerSession> previous;
  try {
    std::optional<Observed> seen = observe();
    if (!seen) return insert_row(holder_description);
    if (!seen->expired) return std::nullopt;
    token = take_over(*seen, holder_description);
    previous = seen->session;
  } catch (const Error& e) {
    // Someone else raced us to the row; the next poll reads who won.
    if (is_write_race(flavor, e) || (is_statement_error(e) && is_unique_violation(flavor, e))) {
      return std::nullopt;
    }
    throw;
  }
  if (!token || !previous) return token;
  // The predecessor may still be running a statement it sent before it stopped renewing: end
  // its session and wait until it is gone, so that nothing of it commits after this point.
  // The lease is renewed meanwhile, and once more at the end, so that the caller gets a token
  // with a whole ttl ahead of it (acquired_at is when that last renewal was sent).
  Clock::time_point next_renewal = Clock::now() + options_.ttl / 3;
  auto renew_now = [&] {
    Clock::time_point sent = Clock::now();
    if (!renew(*token)) return false;
    token->acquired_at = sent;
    next_renewal = sent + options_.ttl / 3;
    return true;
  };
  try {
    token->takeover = end_session(connection_, *previous, options_,
                                  [&] { return Clock::now() < next_renewal || renew_now(); });
    if (!renew_now()) return std::nullopt;  // taken over meanwhile: not ours any more
  } catch (...) {
    try {
      release(*token);
    } catch (const Error&) {
      // The original error says more; the lease expires on its own.
    }
    throw;
  }
  return token;
}

std::optional<LeaseToken> Lease::insert_row(const std::string& holder) {
  std::optional<ServerSession> session = own_session();
  Clock::time_point sent = Clock::now();
  db::Params params = {key_.name, holder,
                       static_cast<std::int64_t>(as_micros(options_.ttl).count())};
  for (auto& value : session_params(session)) params.push_back(std::move(value));
  connection_.execute(
      fmt::format("INSERT INTO {} (name, holder, token, expires_at, statements_done, row_version, "
                  "holder_session, holder_session_start, holder_node, holder_address) "
                  "VALUES ($1, $2, 1, {} + $3, 0, 0, $4, $5, $6, $7)",
                  quoted_table_, now_us_),
      params);
  return LeaseToken{1, holder, sent, std::nullopt};
}

// Compare-and-set on the token just read: only one of several racers can move it on, and
// only while the lease is still expired. The progress columns stay for the successor.
std::optional<LeaseToken> Lease::take_over(const Observed& seen, const std::string& holder) {
  std::optional<ServerSession> session = own_session();
  Clock::time_point sent = Clock::now();
  std::int64_t next = seen.token + 1;
  db::Params params = {key_.name, holder, next,
                       static_cast<std::int64_t>(as_micros(options_.ttl).count()), seen.token};
  for (auto& value : session_params(session)) params.push_back(std::move(value));
  std::int64_t changed = connection_.execute(
      fmt::format("UPDATE {0} SET holder = $2, token = $3, expires_at = {1} + $4, "
                  "holder_session = $6, holder_session_start = $7, holder_node = $8, "
                  "holder_address = $9, row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $5 AND expires_at < {1}",
                  quoted_table_, now_us_),
      params);
  if (changed != 1) return std::nullopt;
  return LeaseToken{next, holder, sent, std::nullopt};
}

bool Lease::fenced_update(const std::string& sql, const db::Params& params) {
  // Read before running: a failed statement may have ended the transaction already.
  bool inside_transaction = connection_.in_transaction();
  Flavor flavor = connection_.server().flavor;
  Clock::time_point give_up_at = Clock::now() + kConflictRetryWindow;
  for (int attempt = 0;; ++attempt) {
    try {
      return connection_.execute(sql, params) == 1;
    } catch (const Error& e) {
      // A conflict inside the caller's transaction has killed it: only the caller can retry.
      if (inside_transaction || !is_write_race(flavor, e) || Clock::now() >= give_up_at) throw;
    }
    back_off(attempt);
  }
}

bool Lease::renew(const LeaseToken& token) {
  return fenced_update(
      fmt::format("UPDATE {} SET expires_at = {} + $4, row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $2 AND holder = $3",
                  quoted_table_, now_us_),
      {key_.name, token.value, token.holder,
       static_cast<std::int64_t>(as_micros(options_.ttl).count())});
}

bool Lease::record_session(const LeaseToken& token) {
  session_known_ = false;  // the session looked up before is gone
  db::Params params = {key_.name, token.value, token.holder};
  for (auto& value : session_params(own_session())) params.push_back(std::move(value));
  return fenced_update(
      fmt::format("UPDATE {} SET holder_session = $4, holder_session_start = $5, "
                  "holder_node = $6, holder_address = $7, row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $2 AND holder = $3",
                  quoted_table_),
      params);
}

void Lease::release(const LeaseToken& token) {
  fenced_update(fmt::format("UPDATE {} SET holder = NULL, expires_at = {}, "
                            "holder_session = NULL, holder_session_start = NULL, "
                            "holder_node = NULL, holder_address = NULL, "
                            "row_version = row_version + 1 "
                            "WHERE name = $1 AND token = $2 AND holder = $3",
                            quoted_table_, now_us_),
                {key_.name, token.value, token.holder});
}

bool Lease::record_progress(const LeaseToken& token, const std::string& script,
                            std::optional<std::int32_t> checksum, int statements_done) {
  db::Value script_value = script.empty() ? db::Value() : db::Value(script);
  db::Value checksum_value =
      script.empty() || !checksum ? db::Value() : db::Value(static_cast<std::int64_t>(*checksum));
  return fenced_update(
      fmt::format("UPDATE {} SET script = $4, checksum = $5, statements_done = $6, "
                  "expires_at = {} + $7, row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $2 AND holder = $3",
                  quoted_table_, now_us_),
      {key_.name, token.value, token.holder, script_value, checksum_value,
       script.empty() ? 0 : statements_done,
       static_cast<std::int64_t>(as_micros(options_.ttl).count())});
}

std::optional<LeaseState> Lease::current() {
  auto result = connection_.query(
      fmt::format("SELECT holder, token, expires_at - {}, script, checksum, statements_done, "
                  "holder_session, holder_session_start, holder_node, holder_address "
                  "FROM {} WHERE name = $1",
                  now_us_, quoted_table_),
      {key_.name});
  if (result.empty()) return std::nullopt;
  const db::Row& row = result.rows[0];
  LeaseState state;
  state.holder = row[0].as_optional_text();
  state.token = row[1].as_int();
  state.expires_in = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::microseconds(row[2].as_int()));
  state.script = row[3].as_optional_text();
  if (!row[4].is_null()) state.checksum = static_cast<std::int32_t>(row[4].as_int());
  state.statements_done = static_cast<int>(row[5].as_int());
  state.session = session_of(row, 6);
  return state;
}

}  // namespace cutover::coord
