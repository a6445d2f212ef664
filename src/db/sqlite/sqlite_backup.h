// Copying a whole SQLite database file with SQLite's online backup API: page by page, a
// consistent snapshot even while others read it, into a new file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace cutover::db::sqlite {

// Copies the database at `source_path` into `target_path` (created; an existing file is
// overwritten), `pages_per_step` pages at a time, calling `on_progress(pages_done, pages_total)`
// after each step and stopping (Error kOperationFailed, the target left partial) when
// `should_stop` returns true. A source that another connection changes meanwhile makes SQLite
// start over; one whose lock is held waits as a busy handler would, up to `busy_timeout_ms`.
// Throws Error(kOperationFailed) naming the file and SQLite's message.
void backup_database(const std::string& source_path, const std::string& target_path,
                     const std::function<void(std::int64_t, std::int64_t)>& on_progress,
                     const std::function<bool()>& should_stop, int busy_timeout_ms = 5000,
                     int pages_per_step = 1024);

}  // namespace cutover::db::sqlite
