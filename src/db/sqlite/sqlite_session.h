// One open SQLite database handle: opening and validating the file, lock and statement
// timeouts, cancellation from other threads, and the errors its statements raise.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/connection_url.h"
#include "db/connection.h"

namespace cutover::db {

// The lock timeout every session starts with, so that several processes sharing one file
// wait for each other's short write transactions instead of failing at once.
inline constexpr std::chrono::milliseconds kSqliteDefaultLockTimeout{5000};

struct SqliteInterruptTarget;  // shared with the cancellers the session hands out

class SqliteSession {
 public:
  // Opens the file `url.database` names (":memory:" for a private in-memory database) with
  // the URL's options (mode=ro | rw | rwc, default rwc), checks that it is a database and
  // sets WAL journaling (files only), synchronous=NORMAL, foreign_keys=ON and the default
  // lock timeout. Throws Error(kBadInput, DbFailure::kConnect) naming the path, the reason
  // and a fix: missing directory or file, unwritable path, not a database, unknown option.
  explicit SqliteSession(const ConnectionUrl& url);
  ~SqliteSession();
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  bool read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

  // lock: how long a statement waits for another connection's lock (0: no limit).
  // statement: how long one statement may run before it is interrupted (0: no limit).
  void set_timeouts(const Timeouts& timeouts);
  // Interrupts the running statement from any thread; does nothing once the session closed.
  std::shared_ptr<Canceller> canceller();

  // Call before running each statement: arms the statement deadline and forgets a cancel
  // request that arrived while nothing was running.
  void start_statement();

  // Throws the Error for result code `rc` of `sql`: kCancelled for a timeout or cancel(),
  // otherwise kStatement with the SQLSTATE and the extended result code as vendor code.
  [[noreturn]] void throw_error(int rc, std::string_view sql, bool during_prepare) const;

 private:
  using Clock = std::chrono::steady_clock;

  void open_file(int flags, const std::string& mode);
  void configure(const std::string& mode);
  void require_database();
  void require_writable(const std::string& mode);
  void use_wal();
  void pragma(const char* sql);
  [[noreturn]] void throw_connect_error(const std::string& reason, const std::string& hint) const;
  [[noreturn]] void throw_cancelled(int rc, std::string_view sql) const;
  bool cancel_requested() const;
  bool deadline_passed() const { return Clock::now() >= statement_deadline_; }

  static int on_busy(void* self, int attempt);
  static int on_progress(void* self);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::shared_ptr<SqliteInterruptTarget> interrupt_;
  std::chrono::milliseconds lock_timeout_ = kSqliteDefaultLockTimeout;
  std::chrono::milliseconds statement_timeout_{0};
  Clock::time_point statement_deadline_ = Clock::time_point::max();
  Clock::time_point lock_wait_started_;
};

}  // namespace cutover::db
