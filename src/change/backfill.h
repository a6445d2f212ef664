// The backfill: touches every row that existed when a change started, in key order and in
// batches, so that the sync triggers fill the new shape; bounded, throttled and resumable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "change/change_context.h"
#include "change/operation.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"

namespace cutover::change {

struct BackfillOptions {
  // Rows per batch; with a target, the first takes at most 100 and the others grow toward the
  // target, up to 50 times this.
  std::int64_t batch_size = 1000;
  std::chrono::milliseconds pause{0};         // between batches, to leave room to the app
  // Adapt the batch size so that a batch takes about this long; 0: fixed size; nullopt: the
  // server's default (default_batch_target).
  std::optional<std::chrono::milliseconds> target_batch;
  db::LockRetryPolicy retry;                  // each batch's lock timeout and retries
};

// The batch target when none is given: SQLite's batches grow toward about 60 ms, so that the
// rests that let the application's writers in (db::kSqliteWriterHandoff) cost little; other
// servers' batches keep their size.
std::chrono::milliseconds default_batch_target(db::Flavor flavor);

// Where a table's backfill stands; saved after every batch so a crashed start resumes.
struct BackfillProgress {
  std::string table;
  // The largest key when this table's backfill began: rows inserted later are written through
  // the triggers already, so the backfill stops here and always ends, however fast the inserts.
  // nullopt while not yet taken, or when the table was empty.
  std::optional<std::string> upper_bound;
  bool bound_taken = false;
  std::optional<std::string> last_key;  // the last key done; nullopt before the first batch
  std::int64_t rows_done = 0;
  std::int64_t rows_estimate = 0;  // rows up to the bound when it was taken (for the ETA)
  bool done = false;

  // {"table", "upper_bound", "bound_taken", "last_key", "rows_done", "rows_estimate", "done"};
  // keys are text (as the database prints them) or null.
  nlohmann::json to_json() const;
  // The inverse of to_json(); missing fields other than "table" take their defaults. Throws
  // Error(kOperationFailed) when `stored` is not such an object.
  static BackfillProgress from_json(const nlohmann::json& stored);
};

// A batch fills its rows set-based when `target` says how (PostgreSQL: UPDATE of target.fill,
// then target.copies, with kBackfillSetting set so that the change's sync triggers skip those
// rows), else touches them (`UPDATE t SET <touch> = <touch>`) so that the triggers fill them.
// Runs (or resumes) the backfill of `target` on `connection` (outside any transaction; the
// session is the old version's: cutover.version unset). Sets the session's timeouts to
// {options.retry.lock_timeout, no statement limit} and leaves them so.
// The key is the table's primary key (from context.catalog, else introspected); it must be one
// column. When progress.bound_taken is false, first takes the largest key as upper_bound and
// the rows up to it as rows_estimate (an exact count below two million rows by the
// statistics, else the statistics), and calls `checkpoint`. Then each batch is one short
// transaction that fills the next batch_size keys after last_key, up to upper_bound, in key
// order, retried on lock conflicts per options.retry, with options.pause between batches; with
// options.target_batch, the size adapts (between 10 and 50 x batch_size) so that a batch takes
// about that long. Calls `checkpoint` after every batch
// with the progress to save (keys as the database prints them as text); an exception from
// `checkpoint` ends the backfill and passes through, and the next run redoes at most the batch
// whose checkpoint was lost. Shows progress (rows, rate, ETA) on `output`. Returns at once when
// progress.done.
// Throws Error(kBadInput) naming the table when it has no primary key of one column, or is
// missing. Throws Error(kConflict) when a batch still meets lock conflicts after
// options.retry.retry_for. When a batch fails for a row's data (an `up` expression that fails
// on it, a constraint), splits the batch (committing the parts that go through) until one row
// fails alone, and throws Error(kBadInput) whose message shows the table, that row's key and
// columns, and the database's error (its SQLSTATE kept). Other errors (a lost connection, a
// cancelled statement) pass through unchanged, but for one: when the session ends under a
// batch (a stall of the machine past the idle timeout a batch sets, pg_terminate_backend, a
// broken connection) and `reopen` is given, the backfill calls it, which must open
// `connection`'s session again in place with its settings (db::ReopenableConnection), and runs
// the batch again, with the pauses of a lock retry, at most three times for one batch; a batch
// whose COMMIT went through before its session ended (PostgreSQL: txid_status) is not run
// again. Each retry is reported as a "retry" event (report_retry). Past that, the error of the
// lost session passes through.
// Throws Error(kBadInput) naming the table, with the fix, when it has no primary key of one
// column: a backfill walks a table by its key. Start checks this before its first step.
void require_backfill_key(const db::TableInfo& table);

void run_backfill(db::Connection& connection, const ChangeContext& context,
                  const BackfillTarget& target, BackfillProgress& progress,
                  const BackfillOptions& options, Output& output,
                  const std::function<void(const BackfillProgress&)>& checkpoint,
                  const std::function<void()>& reopen = {});

}  // namespace cutover::change
