// The coordination lease of `cutover migrate`: one row that says which process applies migrations.
#include "migrate/lease.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <random>
#include <thread>

#include "core/error.h"
#include "db/error_kind.h"

namespace cutover::migrate {
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

MigrationLease::MigrationLease(db::Connection& connection, const std::string& history_table,
                               LeaseOptions options)
    : connection_(connection),
      name_(history_table),
      table_(history_table + "_lease"),
      options_(options),
      quoted_table_(connection.quote_identifier(table_)),
      now_us_(now_micros_sql(connection.server().flavor)) {
  std::size_t limit = identifier_limit(connection.server().flavor);
  if (table_.size() > limit) {
    throw_bad_input(
        fmt::format("the lease table name '{}' is {} bytes long; {} keeps at most {}", table_,
                    table_.size(), db::flavor_name(connection.server().flavor), limit),
        fmt::format("choose a history table name of at most {} bytes", limit - 6));
  }
  if (options_.ttl.count() <= 0) throw_bad_input("the lease ttl must be positive");
}

std::string MigrationLease::create_table_sql() const {
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
      "row_version BIGINT NOT NULL DEFAULT 0){}",
      quoted_table_, mariadb ? " ENGINE=InnoDB" : "");
}

bool MigrationLease::table_exists() {
  switch (connection_.server().flavor) {
    case Flavor::kPostgres:
      // to_regclass follows the search_path, as the unqualified CREATE TABLE does.
      return !connection_.query("SELECT to_regclass($1)::text", {quoted_table_}).scalar().is_null();
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return connection_
                 .query(
                     "SELECT count(*) FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = $1",
                     {table_})
                 .scalar()
                 .as_int() > 0;
    case Flavor::kSqlite:
      return connection_
                 .query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                        {table_})
                 .scalar()
                 .as_int() > 0;
  }
  return false;
}

void MigrationLease::ensure_table() {
  Flavor flavor = connection_.server().flavor;
  for (int attempt = 0;; ++attempt) {
    try {
      // A user without DDL rights can still coordinate once an administrator created it.
      if (table_exists()) return;
      connection_.execute(create_table_sql());
      return;
    } catch (const Error& e) {
      if (is_statement_error(e) && is_permission_denied(flavor, e)) throw cannot_create(e);
      // Another process is creating it this very moment (on Galera even the existence check
      // can be aborted by that DDL): look again. An error of any other kind is real.
      if (!db::is_concurrent_creation(flavor, e) || attempt + 1 >= kCreateAttempts) throw;
    }
    back_off(attempt);
  }
}

Error MigrationLease::cannot_create(const Error& cause) const {
  Error error(ErrorCode::kBadInput,
              fmt::format("cannot create the lease table {} that coordinates migrations on {}: {}",
                          table_, connection_.redacted_url(), cause.message()),
              fmt::format("let this user create tables there, or have an administrator create "
                          "it once: {}",
                          create_table_sql()));
  error.with_sqlstate(cause.sqlstate())
      .with_vendor_code(cause.vendor_code())
      .with_db_failure(cause.db_failure());
  return error;
}

std::optional<MigrationLease::Observed> MigrationLease::observe() {
  auto result = connection_.query(
      fmt::format("SELECT token, CASE WHEN expires_at < {} THEN 1 ELSE 0 END FROM {} "
                  "WHERE name = $1",
                  now_us_, quoted_table_),
      {name_});
  if (result.empty()) return std::nullopt;
  return Observed{result.rows[0][0].as_int(), result.rows[0][1].as_int() == 1};
}

std::optional<LeaseToken> MigrationLease::try_acquire(const std::string& holder_description) {
  Flavor flavor = connection_.server().flavor;
  try {
    std::optional<Observed> seen = observe();
    if (!seen) return insert_row(holder_description);
    if (!seen->expired) return std::nullopt;
    return take_over(*seen, holder_description);
  } catch (const Error& e) {
    // Someone else raced us to the row; the next poll reads who won.
    if (is_write_race(flavor, e) || (is_statement_error(e) && is_unique_violation(flavor, e))) {
      return std::nullopt;
    }
    throw;
  }
}

std::optional<LeaseToken> MigrationLease::insert_row(const std::string& holder) {
  Clock::time_point sent = Clock::now();
  connection_.execute(
      fmt::format("INSERT INTO {} (name, holder, token, expires_at, statements_done, row_version) "
                  "VALUES ($1, $2, 1, {} + $3, 0, 0)",
                  quoted_table_, now_us_),
      {name_, holder, static_cast<std::int64_t>(as_micros(options_.ttl).count())});
  return LeaseToken{1, holder, sent};
}

// Compare-and-set on the token just read: only one of several racers can move it on, and
// only while the lease is still expired. The progress columns stay for the successor.
std::optional<LeaseToken> MigrationLease::take_over(const Observed& seen,
                                                    const std::string& holder) {
  Clock::time_point sent = Clock::now();
  std::int64_t next = seen.token + 1;
  std::int64_t changed = connection_.execute(
      fmt::format("UPDATE {0} SET holder = $2, token = $3, expires_at = {1} + $4, "
                  "row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $5 AND expires_at < {1}",
                  quoted_table_, now_us_),
      {name_, holder, next, static_cast<std::int64_t>(as_micros(options_.ttl).count()),
       seen.token});
  if (changed != 1) return std::nullopt;
  return LeaseToken{next, holder, sent};
}

bool MigrationLease::fenced_update(const std::string& sql, const db::Params& params) {
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

bool MigrationLease::renew(const LeaseToken& token) {
  return fenced_update(
      fmt::format("UPDATE {} SET expires_at = {} + $4, row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $2 AND holder = $3",
                  quoted_table_, now_us_),
      {name_, token.value, token.holder,
       static_cast<std::int64_t>(as_micros(options_.ttl).count())});
}

void MigrationLease::release(const LeaseToken& token) {
  fenced_update(fmt::format("UPDATE {} SET holder = NULL, expires_at = {}, "
                            "row_version = row_version + 1 "
                            "WHERE name = $1 AND token = $2 AND holder = $3",
                            quoted_table_, now_us_),
                {name_, token.value, token.holder});
}

bool MigrationLease::record_progress(const LeaseToken& token, const std::string& script,
                                     std::optional<std::int32_t> checksum, int statements_done) {
  db::Value script_value = script.empty() ? db::Value() : db::Value(script);
  db::Value checksum_value =
      script.empty() || !checksum ? db::Value() : db::Value(static_cast<std::int64_t>(*checksum));
  return fenced_update(
      fmt::format("UPDATE {} SET script = $4, checksum = $5, statements_done = $6, "
                  "expires_at = {} + $7, row_version = row_version + 1 "
                  "WHERE name = $1 AND token = $2 AND holder = $3",
                  quoted_table_, now_us_),
      {name_, token.value, token.holder, script_value, checksum_value,
       script.empty() ? 0 : statements_done,
       static_cast<std::int64_t>(as_micros(options_.ttl).count())});
}

std::optional<LeaseState> MigrationLease::current() {
  auto result = connection_.query(
      fmt::format("SELECT holder, token, expires_at - {}, script, checksum, statements_done "
                  "FROM {} WHERE name = $1",
                  now_us_, quoted_table_),
      {name_});
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
  return state;
}

}  // namespace cutover::migrate
