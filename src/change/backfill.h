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
  std::int64_t batch_size = 1000;             // rows per batch (the first one, with a target)
  std::chrono::milliseconds pause{0};         // between batches, to leave room to the app
  std::chrono::milliseconds target_batch{0};  // adapt the batch size so that a batch takes
                                              // about this long; 0: fixed size
  db::LockRetryPolicy retry;                  // each batch's lock timeout and retries
};

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

  nlohmann::json to_json() const;
  static BackfillProgress from_json(const nlohmann::json& stored);
};

// Runs (or resumes) the backfill of `target` on `connection` (outside any transaction; the
// session is the old version's: cutover.version unset). Each batch is one short transaction:
// `UPDATE t SET <touch> = <touch> WHERE key IN (the next batch_size keys after last_key, up to
// upper_bound)`, retried on lock conflicts per options.retry. Shows progress (rows, rate, ETA)
// on `output`, and calls `checkpoint` after every batch with the progress to save.
// Throws Error(kBadInput) naming the table when it has no primary key of one column.
// When a batch fails for a row's data (an `up` expression that fails on it, a constraint),
// finds one such row by splitting the batch and throws Error(kBadInput) whose message shows
// that row's key and columns, and the database's error.
void run_backfill(db::Connection& connection, const ChangeContext& context,
                  const BackfillTarget& target, BackfillProgress& progress,
                  const BackfillOptions& options, Output& output,
                  const std::function<void(const BackfillProgress&)>& checkpoint);

}  // namespace cutover::change
