// One open SQLite database handle: opening and validating the file, lock and statement
// timeouts, cancellation from other threads, and the errors its statements raise.
#include "db/sqlite/sqlite_session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "db/lock_retry.h"
#include "db/sqlite/sqlite_error.h"

namespace cutover::db {

// What a Canceller needs to reach the session: the handle while it is open, and whether a
// cancel was asked for (so that a lock wait, which sqlite3_interrupt does not end, stops too).
struct SqliteInterruptTarget {
  std::mutex mutex;
  sqlite3* db = nullptr;  // null once the session has closed
  std::atomic<bool> requested{false};
};

namespace {

constexpr std::string_view kMemoryPath = ":memory:";

class SqliteCanceller : public Canceller {
 public:
  explicit SqliteCanceller(std::shared_ptr<SqliteInterruptTarget> target)
      : target_(std::move(target)) {}

  void cancel() override {
    std::lock_guard lock(target_->mutex);
    if (target_->db == nullptr) return;
    target_->requested = true;
    sqlite3_interrupt(target_->db);  // documented as safe from any thread
  }

 private:
  std::shared_ptr<SqliteInterruptTarget> target_;
};

// SQLITE_OPEN_* flags for the URL's mode option; rejects options this driver does not know.
int open_flags(const ConnectionUrl& url, std::string& mode) {
  for (const auto& [name, value] : url.options) {
    if (name != "mode") {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("unknown option '{}' in SQLite URL {}", name, url.redacted()),
                  "the only option is mode=ro (read-only), rw (existing file) or rwc (default)")
          .with_db_failure(DbFailure::kConnect);
    }
  }
  auto it = url.options.find("mode");
  mode = it == url.options.end() ? "rwc" : it->second;
  int flags = SQLITE_OPEN_EXRESCODE;
  if (mode == "ro") return flags | SQLITE_OPEN_READONLY;
  if (mode == "rw") return flags | SQLITE_OPEN_READWRITE;
  if (mode == "rwc") return flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  throw Error(ErrorCode::kBadInput,
              fmt::format("unknown mode '{}' in SQLite URL {}", mode, url.redacted()),
              "write mode=ro (read-only), mode=rw (existing file) or mode=rwc (create if missing)")
      .with_db_failure(DbFailure::kConnect);
}

// The directory a database file lives in ("." for a bare file name).
std::filesystem::path directory_of(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// A reason and a fix for a failed sqlite3_open_v2, from the file system's point of view.
std::pair<std::string, std::string> explain_open_failure(const std::string& path,
                                                         const std::string& mode,
                                                         int system_errno) {
  std::error_code ec;
  std::filesystem::path dir = directory_of(path);
  if (!std::filesystem::is_directory(dir, ec)) {
    return {fmt::format("the directory '{}' does not exist", dir.string()),
            fmt::format("create it first (mkdir -p '{}') or correct the path", dir.string())};
  }
  bool exists = std::filesystem::exists(path, ec);
  if (!exists && mode == "rwc" && access(dir.c_str(), W_OK | X_OK) != 0) {
    return {fmt::format("the file does not exist and its directory '{}' is not writable ({})",
                        dir.string(), std::strerror(errno)),
            "create the database where this user may write, or fix the directory's permissions"};
  }
  if (!exists && mode != "rwc") {
    return {"the file does not exist",
            fmt::format("mode={} opens an existing database only; check the path, or leave "
                        "out ?mode= to create a new database",
                        mode)};
  }
  if (system_errno == EACCES || system_errno == EPERM || system_errno == EROFS) {
    return {std::strerror(system_errno),
            "make the file and its directory readable and writable by this user, or open it "
            "read-only with ?mode=ro"};
  }
  std::string reason = system_errno != 0 ? std::strerror(system_errno) : "unknown reason";
  return {reason, "check the path and the file's permissions"};
}

// Pauses between retries of a lock, like SQLite's own busy handler: short at first, since
// most write transactions are short, then at most 100 ms so that a cancel is seen quickly.
std::chrono::milliseconds busy_backoff(int attempt) {
  static constexpr int kDelaysMs[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  constexpr int kLast = static_cast<int>(std::size(kDelaysMs)) - 1;
  static_assert(kDelaysMs[kLast] < kSqliteWriterHandoff.count(),
                "a handoff gap must be longer than the longest sleep between tries");
  return std::chrono::milliseconds(kDelaysMs[std::clamp(attempt, 0, kLast)]);
}

std::string lock_hint(std::chrono::milliseconds lock_timeout) {
  if (lock_timeout.count() == 0) return "another connection holds a lock on the database";
  return fmt::format(
      "another connection held a lock on the database for longer than the lock timeout of {} "
      "ms; retry, or raise the lock timeout",
      lock_timeout.count());
}

}  // namespace

SqliteSession::SqliteSession(const ConnectionUrl& url)
    : path_(url.database), interrupt_(std::make_shared<SqliteInterruptTarget>()) {
  std::string mode;
  int flags = open_flags(url, mode);
  open_file(flags, mode);
  try {
    configure(mode);
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
  std::lock_guard lock(interrupt_->mutex);
  interrupt_->db = db_;
}

SqliteSession::~SqliteSession() {
  {
    // After this no canceller touches the handle, so closing it cannot race an interrupt.
    std::lock_guard lock(interrupt_->mutex);
    interrupt_->db = nullptr;
  }
  // close_v2 defers the close until statements still alive (an abandoned loader) finish.
  sqlite3_close_v2(db_);
}

void SqliteSession::open_file(int flags, const std::string& mode) {
  // The library is built to read "file:..." names as URIs; a plain path must stay a path.
  std::string file_name = path_.starts_with("file:") ? "./" + path_ : path_;
  int rc = sqlite3_open_v2(file_name.c_str(), &db_, flags, nullptr);
  if (rc == SQLITE_OK) return;
  int system_errno = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
  std::string errmsg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  sqlite3_close_v2(db_);
  db_ = nullptr;
  auto [reason, hint] = explain_open_failure(path_, mode, system_errno);
  throw_connect_error(fmt::format("{} ({})", reason, errmsg), hint);
}

void SqliteSession::configure(const std::string& mode) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_handler(db_, &SqliteSession::on_busy, this);
  // Every 1000 virtual machine steps: cheap, and notices a deadline within microseconds.
  sqlite3_progress_handler(db_, 1000, &SqliteSession::on_progress, this);
  bool in_memory = path_ == kMemoryPath;
  bool writes_file = mode != "ro" && !in_memory;
  if (writes_file) require_writable(mode);
  require_database();
  if (writes_file) use_wal();
  pragma("PRAGMA synchronous=NORMAL");
  pragma("PRAGMA foreign_keys=ON");
}

// The file is read lazily, so a text file or an encrypted database opens without complaint;
// reading the schema cookie is the cheapest statement that touches the header.
void SqliteSession::require_database() {
  int rc = sqlite3_exec(db_, "PRAGMA schema_version", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return;
  std::string errmsg = sqlite3_errmsg(db_);
  if ((rc & 0xff) == SQLITE_NOTADB) {
    throw_connect_error(fmt::format("the file is not an SQLite database ({})", errmsg),
                        "check the path; a missing file is created as a new database, but an "
                        "existing file must be an SQLite 3 database");
  }
  if ((rc & 0xff) == SQLITE_BUSY) {
    throw_connect_error(fmt::format("the database stayed locked while opening ({})", errmsg),
                        lock_hint(lock_timeout_));
  }
  if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN) {
    // A WAL database shares its state through the -shm file beside it; a reader that may
    // not create it cannot open the database (unless a writer left the files in place).
    throw_connect_error(
        fmt::format("cannot read it without creating its -wal/-shm files ({}, code {})", errmsg,
                    rc),
        "let this user write to the database's directory, or keep a read-write connection "
        "open while read-only ones come and go");
  }
  throw_connect_error(errmsg, "check that the file is a readable SQLite 3 database");
}

// SQLite quietly opens a write-protected file read-only, and needs to create its -wal and
// -shm files beside the database; both would only fail at the first write, so check now.
void SqliteSession::require_writable(const std::string& mode) {
  const std::string fix =
      "make the file and its directory writable by this user, or open it "
      "read-only with ?mode=ro";
  if (sqlite3_db_readonly(db_, "main") == 1) {
    throw_connect_error(fmt::format("the file is not writable (asked for mode={})", mode), fix);
  }
  std::filesystem::path dir = directory_of(path_);
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    throw_connect_error(
        fmt::format("the directory '{}' is not writable ({}); SQLite keeps its journal files "
                    "beside the database",
                    dir.string(), std::strerror(errno)),
        fix);
  }
}

// WAL lets readers in any process go on while one writer writes. Switching needs a moment
// of exclusive access. When several processes open a new file at once, SQLite may answer
// SQLITE_BUSY at once, without calling the busy handler (it would deadlock two connections
// that each hold a shared lock), so the switch waits and retries like any other lock, up to
// the lock timeout.
void SqliteSession::use_wal() {
  std::string journal_mode;
  auto keep_result = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) = values[0] != nullptr ? values[0] : "";
    return 0;
  };
  const Clock::time_point started = Clock::now();
  int rc = SQLITE_OK;
  for (int attempt = 0;; ++attempt) {
    rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", keep_result, &journal_mode, nullptr);
    if ((rc & 0xff) != SQLITE_BUSY) break;
    if (lock_timeout_.count() > 0 && Clock::now() - started >= lock_timeout_) break;
    std::this_thread::sleep_for(busy_backoff(attempt));
  }
  if ((rc & 0xff) == SQLITE_BUSY) {
    throw_connect_error(fmt::format("the database stayed locked while switching to WAL "
                                    "journaling ({})",
                                    sqlite3_errmsg(db_)),
                        lock_hint(lock_timeout_));
  }
  if (rc != SQLITE_OK) {
    throw_connect_error(fmt::format("could not switch to WAL journaling ({})", sqlite3_errmsg(db_)),
                        "check that the file system supports shared memory and file locks "
                        "(network file systems often do not)");
  }
}

void SqliteSession::pragma(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    throw_connect_error(fmt::format("{} failed ({})", sql, sqlite3_errmsg(db_)),
                        "check that the file is a healthy SQLite 3 database");
  }
}

void SqliteSession::throw_connect_error(const std::string& reason, const std::string& hint) const {
  throw Error(ErrorCode::kBadInput,
              fmt::format("cannot open SQLite database '{}': {}", path_, reason), hint)
      .with_db_failure(DbFailure::kConnect);
}

void SqliteSession::set_timeouts(const Timeouts& timeouts) {
  using std::chrono::milliseconds;
  lock_timeout_ = std::max(timeouts.lock, milliseconds{0});
  statement_timeout_ = std::max(timeouts.statement, milliseconds{0});
}

std::shared_ptr<Canceller> SqliteSession::canceller() {
  return std::make_shared<SqliteCanceller>(interrupt_);
}

void SqliteSession::start_statement() {
  interrupt_->requested = false;
  statement_deadline_ =
      statement_timeout_.count() > 0 ? Clock::now() + statement_timeout_ : Clock::time_point::max();
}

bool SqliteSession::cancel_requested() const { return interrupt_->requested; }

int SqliteSession::on_busy(void* self_ptr, int attempt) {
  auto& self = *static_cast<SqliteSession*>(self_ptr);
  Clock::time_point now = Clock::now();
  if (attempt == 0) self.lock_wait_started_ = now;
  if (self.cancel_requested() || now >= self.statement_deadline_) return 0;
  Clock::time_point lock_deadline = self.lock_timeout_.count() > 0
                                        ? self.lock_wait_started_ + self.lock_timeout_
                                        : Clock::time_point::max();
  if (now >= lock_deadline) return 0;
  Clock::duration pause = std::min<Clock::duration>(
      {busy_backoff(attempt), lock_deadline - now, self.statement_deadline_ - now});
  std::this_thread::sleep_for(pause);
  return 1;  // try the lock again
}

int SqliteSession::on_progress(void* self_ptr) {
  // Also sees a cancel that arrived just before the statement started, which
  // sqlite3_interrupt forgets when no statement is running at that moment.
  const auto& self = *static_cast<const SqliteSession*>(self_ptr);
  return self.cancel_requested() || self.deadline_passed() ? 1 : 0;  // non-zero interrupts
}

void SqliteSession::throw_error(int rc, std::string_view sql, bool during_prepare) const {
  int primary = rc & 0xff;
  bool gave_up_lock_wait = primary == SQLITE_BUSY && (cancel_requested() || deadline_passed());
  if (primary == SQLITE_INTERRUPT || gave_up_lock_wait) throw_cancelled(rc, sql);

  std::string errmsg = sqlite3_errmsg(db_);
  std::string message = "SQLite: " + errmsg;
  if (rc == SQLITE_BUSY && lock_timeout_.count() > 0) {
    message += fmt::format(" (waited {} ms for the lock)", lock_timeout_.count());
  }
  if (!sql.empty()) message += " in: " + sqlite_statement_excerpt(sql);
  std::string hint;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) hint = lock_hint(lock_timeout_);
  if (rc == SQLITE_BUSY_SNAPSHOT) {
    hint =
        "another connection wrote after this transaction started reading; retry the whole "
        "transaction (begin() takes the write lock at once and avoids this)";
  }
  if (primary == SQLITE_READONLY) {
    hint = "the database is open read-only (mode=ro in the URL, or a read-only file)";
  }
  throw Error(ErrorCode::kOperationFailed, std::move(message), std::move(hint))
      .with_sqlstate(sqlite_sqlstate(rc, errmsg, during_prepare))
      .with_vendor_code(rc)
      .with_db_failure(DbFailure::kStatement);
}

void SqliteSession::throw_cancelled(int rc, std::string_view sql) const {
  std::string message;
  std::string hint;
  if (cancel_requested()) {
    message = "SQLite: statement cancelled on request";
  } else {
    message = fmt::format("SQLite: statement cancelled after the statement timeout of {} ms",
                          statement_timeout_.count());
    hint = "raise the statement timeout, or make the statement do less work";
  }
  if (!sql.empty()) message += " in: " + sqlite_statement_excerpt(sql);
  throw Error(ErrorCode::kOperationFailed, std::move(message), std::move(hint))
      .with_sqlstate("57014")
      .with_vendor_code(rc)
      .with_db_failure(DbFailure::kCancelled);
}

}  // namespace cutover::db
