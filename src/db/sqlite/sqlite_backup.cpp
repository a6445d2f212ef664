// The online backup API, with handles of its own: nothing else runs on them.
#include "db/sqlite/sqlite_backup.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>

#include "core/error.h"

namespace cutover::db::sqlite {
namespace {

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

Handle open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  // A plain path stays a path even when the library reads "file:" names as URIs.
  std::string name = path.starts_with("file:") ? "./" + path : path;
  int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  Handle handle(db);
  if (rc != SQLITE_OK) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("cannot open {}: {}", path,
                            db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  return handle;
}

}  // namespace

void backup_database(const std::string& source_path, const std::string& target_path,
                     const std::function<void(std::int64_t, std::int64_t)>& on_progress,
                     const std::function<bool()>& should_stop, int busy_timeout_ms,
                     int pages_per_step) {
  Handle source = open(source_path, SQLITE_OPEN_READONLY);
  sqlite3_busy_timeout(source.get(), busy_timeout_ms);
  Handle target = open(target_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3_busy_timeout(target.get(), busy_timeout_ms);
  sqlite3_backup* backup = sqlite3_backup_init(target.get(), "main", source.get(), "main");
  if (backup == nullptr) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("cannot copy {} to {}: {}", source_path, target_path,
                            sqlite3_errmsg(target.get())));
  }
  int rc = SQLITE_OK;
  int busy_ms = 0;  // waited in a row for a lock
  while (true) {
    rc = sqlite3_backup_step(backup, pages_per_step);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    busy_ms = rc == SQLITE_OK ? 0 : busy_ms + 50;
    if (busy_ms > busy_timeout_ms) break;
    on_progress(sqlite3_backup_pagecount(backup) - sqlite3_backup_remaining(backup),
                sqlite3_backup_pagecount(backup));
    if (should_stop()) {
      sqlite3_backup_finish(backup);
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the copy of {} to {} was stopped", source_path, target_path));
    }
    if (rc != SQLITE_OK) sqlite3_sleep(50);  // the busy timeout does not apply to the step
  }
  if (rc == SQLITE_DONE) {
    on_progress(sqlite3_backup_pagecount(backup), sqlite3_backup_pagecount(backup));
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("the copy of {} to {} failed: {}", source_path, target_path,
                            sqlite3_errstr(rc)));
  }
}

}  // namespace cutover::db::sqlite
