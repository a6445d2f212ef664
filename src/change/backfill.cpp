// The backfill: touches every row that existed when a change started, in key order and in
// batches, so that the sync triggers fill the new shape; bounded, throttled and resumable.
#include "change/backfill.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "change/step_runner.h"
#include "change/sync_trigger.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "db/cancel_on_interrupt.h"
#include "db/lock_holders.h"
#include "db/transaction.h"

namespace cutover::change {
namespace {

// Below this many rows (by the statistics), the estimate for the ETA is an exact count.
constexpr std::int64_t kExactCountBelow = 2'000'000;
// Bounds of an adapted batch size: at least this many rows, at most this times --batch-size.
constexpr std::int64_t kSmallestBatch = 10;
constexpr std::int64_t kLargestBatchFactor = 50;
// The most rows the first batch of an adapted backfill takes; of one of fixed size.
constexpr std::int64_t kFirstAdaptedBatch = 100;
constexpr std::int64_t kFirstFixedBatch = 1000;
// One adaptation changes the size by at most this factor either way, so one slow batch (a
// checkpoint, a lock wait) does not swing it.
constexpr double kLargestStep = 2.0;
// A value shown in an error's sample row is cut after this many characters.
constexpr std::size_t kSampleValueLength = 80;
// How many times one batch is tried again after its session ended under it (the idle timeout
// after a stall of the machine, pg_terminate_backend, a broken connection), each time in a new
// session, with the pauses of a lock retry.
constexpr int kLostSessionRetries = 3;
// How often the outcome of a batch whose session was lost is looked at while the server still
// has its transaction open.
constexpr std::chrono::milliseconds kOutcomePoll{50};

using SteadyClock = std::chrono::steady_clock;

// Keys greater than `after` (none: from the first) and at most `upto`.
struct KeyRange {
  std::optional<std::string> after;
  std::string upto;
};

// What one batch did.
struct BatchResult {
  std::int64_t selected = 0;            // keys in the batch (0: nothing left up to the bound)
  std::int64_t touched = 0;             // rows the UPDATE changed
  std::optional<std::string> last_key;  // the batch's largest key
};

// A failing row found by splitting a batch, with the database's error on it.
struct FailingRow {
  std::string key;
  Error error;
};

bool is_data_failure(db::Flavor flavor, const Error& error) {
  return error.db_failure() == DbFailure::kStatement && !db::is_lock_conflict(flavor, error);
}

std::string shorten(std::string text) {
  if (text.size() <= kSampleValueLength) return text;
  return text.substr(0, kSampleValueLength) + "...";
}

// SIGINT or SIGTERM came during the backfill: the batch under way (if any) was cancelled and
// rolled back; what `progress` says is saved.
[[noreturn]] void stop_interrupted(const BackfillProgress& progress) {
  throw_interrupted(
      fmt::format("during the backfill of {}: {} rows done and saved{}", progress.table,
                  progress.rows_done,
                  progress.last_key ? fmt::format(", up to key {}", shorten(*progress.last_key))
                                    : std::string()),
      "");
}

}  // namespace

void require_backfill_key(const db::TableInfo& info) {
  if (info.primary_key && info.primary_key->columns.size() == 1) return;
  std::string has = !info.primary_key ? "it has none"
                                      : fmt::format("its key has {} columns: {}",
                                                    info.primary_key->columns.size(),
                                                    fmt::join(info.primary_key->columns, ", "));
  throw_bad_input(
      fmt::format("table {} needs a primary key of one column to backfill; {}", info.name, has),
      fmt::format("give {} a primary key of one column (an identity column, for instance), or "
                  "write the part of the change that fills {} as a sql operation",
                  info.name, info.name));
}

namespace {

// The backfill of one table: its key, the statements, and the batch transactions.
class TableBackfill {
 public:
  TableBackfill(db::Connection& connection, const ChangeContext& context,
                const BackfillTarget& target, const BackfillOptions& options, Output& output,
                std::function<void()> reopen)
      : connection_(connection),
        flavor_(connection.server().flavor),
        name_(target.table),
        table_(context.table(target.table)),
        options_(options),
        output_(output),
        reopen_(std::move(reopen)) {
    const db::TableInfo& info = find_table(context);
    require_backfill_key(info);
    key_name_ = info.primary_key->columns.front();
    key_ = ChangeContext::quote(key_name_);
    for (const auto& column : target.touch) touch_.push_back(ChangeContext::quote(column));
    if (touch_.empty()) touch_.push_back(key_);
    for (const auto& column : target.flip) {
      flips_ += fmt::format(", {0} = 1 - {0}", ChangeContext::quote(column));
    }
    if (flavor_ == db::Flavor::kPostgres && target.set_based()) {
      fill_ = target.fill;
      copies_ = target.copies;
      change_ = context.change;
    }
    row_estimate_ = info.row_estimate;
  }

  // Takes the upper bound (the largest key now) and the number of rows up to it.
  void take_bound(BackfillProgress& progress) {
    auto result = connection_.query(
        fmt::format("SELECT {} FROM {} ORDER BY {} DESC LIMIT 1", key_text(), table_, key_));
    progress.upper_bound = result.empty() ? std::nullopt : result.rows[0][0].as_optional_text();
    progress.bound_taken = true;
    progress.last_key.reset();
    progress.rows_done = 0;
    progress.rows_estimate = 0;
    progress.done = !progress.upper_bound;
    if (!progress.upper_bound) return;
    if (row_estimate_ >= kExactCountBelow) {
      progress.rows_estimate = row_estimate_;
    } else {
      progress.rows_estimate =
          connection_
              .query(fmt::format("SELECT count(*) FROM {} WHERE {} <= $1", table_, key_),
                     {*progress.upper_bound})
              .scalar()
              .as_int();
    }
  }

  // Fills the next `limit` rows of `range` in one transaction (with lock retries).
  // Throws the database's error when the batch fails for a row's data.
  BatchResult run_batch(const KeyRange& range, std::int64_t limit) {
    return in_transaction(range, [&] { return batch(range, limit); });
  }

  // The batch that failed with `failure`: splits it until one row fails alone, committing
  // the parts that succeed. Returns nullopt when every part succeeded (the failure came from
  // rows together, or went away): then the whole batch is done.
  std::optional<FailingRow> locate_failing_row(const KeyRange& range, std::int64_t limit,
                                               const Error& failure,
                                               std::vector<std::string>& keys) {
    keys = batch_keys(range, limit);
    if (keys.empty()) return std::nullopt;
    return locate(range.after, keys, 0, keys.size(), failure);
  }

  // The error for a row that fails: its key, its columns, the database's message.
  Error row_error(const FailingRow& row) {
    std::string sample;
    try {
      auto result =
          connection_.query(fmt::format("SELECT * FROM {} WHERE {} = $1", table_, key_), {row.key});
      if (!result.empty()) {
        for (size_t i = 0; i < result.columns.size(); ++i) {
          const db::Value& value = result.rows[0][i];
          if (!sample.empty()) sample += ", ";
          sample += result.columns[i] + "=" + (value.is_null() ? "NULL" : shorten(value.text()));
        }
      }
    } catch (const Error& e) {
      if (e.db_failure() == DbFailure::kConnectionLost) throw;
      sample.clear();  // the sample is a courtesy: the error below matters more
    }
    std::string message = fmt::format("backfill of table {} fails on the row {} = {}: {}", name_,
                                      key_name_, shorten(row.key), row.error.message());
    if (!sample.empty()) message += fmt::format(" (the row: {})", sample);
    Error error(ErrorCode::kBadInput, std::move(message),
                "fix the expression (up/down) so that it works on this row, or fix the row's "
                "data; then start the change again");
    error.with_sqlstate(row.error.sqlstate());
    return error;
  }

  std::chrono::milliseconds last_attempt() const { return last_attempt_; }

 private:
  const db::TableInfo& find_table(const ChangeContext& context) {
    if (context.catalog) {
      if (const db::TableInfo* info = context.catalog->find_table(name_)) return *info;
    }
    catalog_ = connection_.introspect(context.base_schema);
    if (const db::TableInfo* info = catalog_.find_table(name_)) return *info;
    throw_bad_input(fmt::format("backfill: there is no table {} in {}", name_, context.base_schema),
                    "check the table's name and the schema (--schema) of the change");
  }

  // The key as text, as the progress stores it, for a select list. Named apart from the key,
  // so that an ORDER BY of the key orders by the key itself, not by its text.
  std::string key_text() const {
    return flavor_ == db::Flavor::kPostgres ? key_ + "::text AS _cutover_key_text" : key_;
  }

  // "key > $n AND key <= $m" for `range`, its parameters appended to `params`; the key
  // qualified with `qualifier` when not empty.
  std::string where(const KeyRange& range, db::Params& params,
                    const std::string& qualifier = {}) const {
    std::string clause;
    if (range.after) {
      params.emplace_back(*range.after);
      clause = fmt::format("{}{} > ${} AND ", qualifier, key_, params.size());
    }
    params.emplace_back(range.upto);
    return clause + fmt::format("{}{} <= ${}", qualifier, key_, params.size());
  }

  // Chooses the next `limit` keys of `range`, then fills the rows up to the last of them. The
  // batch's last key comes from the keys chosen, not from the rows filled, so that a batch
  // whose rows were all deleted meanwhile does not end the backfill early. The fill is bounded
  // by the batch's key range rather than joined to its keys: past a few thousand keys the
  // planner turns such a join into a scan of the whole table. (SQLite: begin() took the write
  // lock, so the keys chosen are those the fill then sees.)
  BatchResult batch(const KeyRange& range, std::int64_t limit) {
    db::Params params;
    std::string range_sql = where(range, params);
    params.emplace_back(limit);
    // The key is ordered as itself, not as its text.
    std::string last = flavor_ == db::Flavor::kPostgres ? "max(_cutover_key)::text"
                                                        : "max(_cutover_key)";
    auto chosen = connection_.query(
        fmt::format("SELECT {}, count(*) FROM (SELECT {} AS _cutover_key FROM {} WHERE {} "
                    "ORDER BY {} LIMIT ${}) AS _cutover_batch",
                    last, key_, table_, range_sql, key_, params.size()),
        params);
    BatchResult batch;
    batch.selected = chosen.rows.at(0)[1].as_int();
    if (batch.selected == 0) return batch;
    batch.last_key = chosen.rows[0][0].text();
    batch.touched = fill_range(KeyRange{range.after, *batch.last_key});
    // MariaDB counts the rows an UPDATE changed, and a touch that only fires the triggers
    // changes none: the rows chosen were touched.
    if (flavor_ == db::Flavor::kMariaDb && !set_based()) batch.touched = batch.selected;
    return batch;
  }

  // Fills every row in `range`; returns the rows filled (set-based with copies only: the rows
  // read). Set-based, the rows are locked first (by the UPDATE, else FOR SHARE), so that an
  // old-version write of one of them waits for the batch and then finds what it copied; the
  // copies run as statements of their own, so that they see what such a write committed.
  std::int64_t fill_range(const KeyRange& range) {
    db::Params params;
    std::string rows = where(range, params, "_cutover_row.");
    if (!set_based()) {
      // (SQLite, or a target without a set-based fill: the triggers fill the rows.)
      return connection_.execute(fmt::format("UPDATE {} AS _cutover_row SET {} WHERE {}", table_,
                                             assignments(touch_, touch_) + flips_, rows),
                                 params);
    }
    std::int64_t filled = 0;
    if (!fill_.empty()) {
      std::vector<std::string> columns, values;
      for (const auto& fill : fill_) {
        columns.push_back(ChangeContext::quote(fill.column));
        values.push_back(fill.expression);
      }
      // The row is `new` here, as in the trigger: an expression may name its columns as
      // NEW.<column> where a subquery's own columns would take the plain name.
      db::Params fill_params;
      filled = connection_.execute(
          fmt::format("UPDATE {} AS new SET {} WHERE {}", table_, assignments(columns, values),
                      where(range, fill_params, "new.")),
          fill_params);
    } else {
      filled = connection_
                   .query(fmt::format("SELECT count(*) FROM (SELECT 1 FROM {} AS _cutover_row "
                                      "WHERE {} FOR SHARE) AS _cutover_locked",
                                      table_, rows),
                          params)
                   .scalar()
                   .as_int();
    }
    for (const auto& copy : copies_) connection_.execute(copy(rows), params);
    return filled;
  }

  bool set_based() const { return !fill_.empty() || !copies_.empty(); }

  // A batch holds its rows' locks: should cutover stop between two of its statements (SIGSTOP,
  // a stalled machine), the server ends the session after the lock timeout, as for complete's
  // transaction, so the application's writes of those rows wait no longer. Set-based, the
  // change's sync triggers skip the batch's writes. Returns the transaction's id, by which a
  // new session tells whether it committed should this one be lost in its COMMIT.
  std::int64_t begin_postgres_batch() {
    const std::string idle = fmt::format("{}ms", options_.retry.lock_timeout.count());
    db::Result result =
        set_based()
            ? connection_.query(
                  "SELECT txid_current(), set_config('idle_in_transaction_session_timeout', $1, "
                  "true), set_config($2, $3, true)",
                  {idle, kBackfillSetting, change_})
            : connection_.query(
                  "SELECT txid_current(), set_config('idle_in_transaction_session_timeout', $1, "
                  "true)",
                  {idle});
    return result.rows.at(0)[0].as_int();
  }

  // Whether the transaction `xid` of a lost session committed (PostgreSQL): the session may
  // have ended after the server took its COMMIT. While the server still has the transaction
  // open (its session not yet ended: the idle timeout ends it), waits, up to retry_for.
  bool committed(std::int64_t xid, const KeyRange& range) {
    const auto deadline = SteadyClock::now() + options_.retry.retry_for;
    for (;;) {
      std::optional<std::string> status =
          connection_.query("SELECT txid_status($1)", {xid}).scalar().as_optional_text();
      if (status == "committed") return true;
      if (status == "aborted") return false;
      if (!status || SteadyClock::now() > deadline) {
        throw Error(ErrorCode::kOperationFailed,
                    fmt::format("backfill of table {}: {} lost its session and the server cannot "
                                "say whether it committed (transaction {}: {})",
                                name_, describe(range), xid, status.value_or("unknown")));
      }
      if (interrupted_within(kOutcomePoll)) {
        throw Error(ErrorCode::kOperationFailed, "interrupted");
      }
    }
  }

  std::string describe(const KeyRange& range) const {
    return range.after ? fmt::format("the batch after {} = {}", key_name_, shorten(*range.after))
                       : std::string("the first batch");
  }

  // `c1 = v1, c2 = v2, ...`
  static std::string assignments(const std::vector<std::string>& columns,
                                 const std::vector<std::string>& values) {
    std::string list;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!list.empty()) list += ", ";
      list += fmt::format("{} = {}", columns[i], values[i]);
    }
    return list;
  }

  // The keys of the batch that starts after range.after, as text, in order.
  std::vector<std::string> batch_keys(const KeyRange& range, std::int64_t limit) {
    db::Params params;
    std::string range_sql = where(range, params);
    params.emplace_back(limit);
    std::vector<std::string> keys;
    auto result = connection_.query(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT ${}",
                                                key_text(), table_, range_sql, key_, params.size()),
                                    params);
    for (const auto& row : result.rows) keys.push_back(row[0].text());
    return keys;
  }

  // keys[begin, end) failed together with `failure`; `before` is the key before keys[begin].
  std::optional<FailingRow> locate(const std::optional<std::string>& before,
                                   const std::vector<std::string>& keys, size_t begin, size_t end,
                                   const Error& failure) {
    if (end - begin == 1) return FailingRow{keys[begin], failure};
    size_t middle = begin + (end - begin) / 2;
    std::optional<std::string> before_second = keys[middle - 1];
    if (auto error = try_range(KeyRange{before, keys[middle - 1]})) {
      return locate(before, keys, begin, middle, *error);
    }
    if (auto error = try_range(KeyRange{before_second, keys[end - 1]})) {
      return locate(before_second, keys, middle, end, *error);
    }
    return std::nullopt;
  }

  // Touches `range` in its own transaction: nullopt when it succeeded (committed), else the
  // error of a data failure. Other failures are thrown.
  std::optional<Error> try_range(const KeyRange& range) {
    try {
      in_transaction(range, [&] { return BatchResult{0, fill_range(range), range.upto}; });
      return std::nullopt;
    } catch (const Error& e) {
      if (interrupted() || !is_data_failure(flavor_, e)) throw;  // a cancel is no row's fault
      return e;
    }
  }

  // Runs `work` in a transaction, again after each lock conflict per options_.retry. When the
  // session ends under it (reopen_ given), opens a new one and runs it again, at most
  // kLostSessionRetries times, unless the transaction is found committed.
  template <typename Work>
  BatchResult in_transaction(const KeyRange& range, Work work) {
    BatchResult result;
    bool lost = false;  // the last attempt's session ended
    int sessions_lost = 0;
    std::optional<std::int64_t> xid;  // the transaction of the attempt under way
    db::LockRetryHooks hooks;
    hooks.on_retry = [&](const db::LockConflict& conflict) {
      report_retry(output_, fmt::format("backfill of {}, {}", name_, describe(range)), conflict);
    };
    hooks.before_next_attempt = [] {
      if (interrupted()) throw Error(ErrorCode::kOperationFailed, "interrupted");
    };
    hooks.also_retry = [&](const Error&, db::ErrorKind kind) {
      if (!reopen_ || interrupted() || sessions_lost == kLostSessionRetries) return false;
      if (kind != db::ErrorKind::kConnectionLost && kind != db::ErrorKind::kConnect) return false;
      ++sessions_lost;
      lost = true;
      return true;
    };
    hooks.on_give_up = [&](const Error& last, const db::LockRetry& retry) {
      return gave_up(range, retry, last);
    };
    db::retry_lock_conflicts(
        flavor_, options_.retry,
        [&] {
          if (lost) {
            reopen_();  // a failure to connect counts as one more lost session
            lost = false;
            // Its COMMIT may have gone through: `result` is then that attempt's.
            if (xid && committed(*xid, range)) return;
          }
          xid.reset();
          auto started = SteadyClock::now();
          db::Transaction transaction(connection_);
          if (flavor_ == db::Flavor::kPostgres) xid = begin_postgres_batch();
          result = work();
          transaction.commit();
          last_attempt_ =
              std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
        },
        hooks);
    return result;
  }

  Error gave_up(const KeyRange& range, const db::LockRetry& retry, const Error& last) const {
    const std::string batch = describe(range);
    const std::string holders = db::long_transactions(connection_, options_.retry.lock_timeout);
    return last.restated(
        ErrorCode::kOperationFailed,
        fmt::format("backfill of table {}: {} gave up after {} lock conflicts in {:.1f} s: {}{}",
                    name_, batch, retry.conflicts(),
                    static_cast<double>(retry.elapsed().count()) / 1000.0, last.message(),
                    holders.empty() ? "" : "; " + holders),
        "other sessions held locks the backfill of " + name_ +
            " needs for longer than --retry-for; start the change again later (the backfill "
            "resumes where it stopped), or raise --retry-for");
  }

  db::Connection& connection_;
  db::Flavor flavor_;
  std::string name_;   // the table's name
  std::string table_;  // quoted, with the schema on PostgreSQL
  const BackfillOptions& options_;
  Output& output_;
  std::function<void()> reopen_;  // may be empty
  db::Catalog catalog_;  // introspected when the context has no catalog
  std::string key_name_;
  std::string key_;                 // quoted
  std::vector<std::string> touch_;  // quoted columns the UPDATE sets to themselves
  std::string flips_;               // ", c = 1 - c" for each of BackfillTarget::flip
  std::vector<FillColumn> fill_;     // set-based (PostgreSQL): what the backfill writes itself
  std::vector<BackfillTarget::Copy> copies_;
  std::string change_;  // the change's name, for kBackfillSetting
  std::int64_t row_estimate_ = -1;
  std::chrono::milliseconds last_attempt_{0};
};

// The next batch size: toward `target`, by the time the last full batch took.
std::int64_t adapted_size(std::int64_t size, std::chrono::milliseconds took,
                          std::chrono::milliseconds target, std::int64_t first_size) {
  double ratio = static_cast<double>(target.count()) /
                 static_cast<double>(std::max<std::int64_t>(took.count(), 1));
  ratio = std::clamp(ratio, 1.0 / kLargestStep, kLargestStep);
  auto next = static_cast<std::int64_t>(std::llround(static_cast<double>(size) * ratio));
  std::int64_t largest = std::max(kSmallestBatch, first_size * kLargestBatchFactor);
  return std::clamp(next, kSmallestBatch, largest);
}

// The size of each batch. A batch holds the rows it has locked (SQLite: the file) until it
// commits, and the application's writes of them wait as long, so batches are kept within the
// lock timeout, the bound of every other wait of a change: they start small and grow toward
// --batch-size while they take less than half of it; a full batch that took longer is followed
// by smaller ones, about half the timeout long, which grow back the same way (said once). With
// a target, the size follows it, kept within the lock timeout.
class BatchSizer {
 public:
  BatchSizer(const BackfillOptions& options, std::chrono::milliseconds target,
             const std::string& table, Output& output)
      : options_(options), target_(target), table_(table), output_(output) {}

  // The first batch is small: its time is not known yet. With a target (and on SQLite, where
  // the application's writers wait for it: 1,000 rows through a split's triggers held the lock
  // past their 500 ms on a slow machine) the next ones grow toward the target; else toward
  // --batch-size, while they stay within half the lock timeout (100,000 rows at once held
  // their rows 327 to 516 ms).
  std::int64_t first() const {
    return std::min(options_.batch_size,
                    target_.count() > 0 ? kFirstAdaptedBatch : kFirstFixedBatch);
  }

  // The size after a full batch of `size` rows that took `took`.
  std::int64_t next(std::int64_t size, std::chrono::milliseconds took) {
    const std::chrono::milliseconds limit = options_.retry.lock_timeout;
    if (took > limit && size > kSmallestBatch) {
      const double ratio =
          static_cast<double>(limit.count()) / 2.0 / static_cast<double>(took.count());
      const std::int64_t smaller =
          std::max(kSmallestBatch, static_cast<std::int64_t>(static_cast<double>(size) * ratio));
      if (!warned_) {
        warned_ = true;
        warn_slow(size, took, smaller);
      }
      return smaller;
    }
    if (target_.count() > 0) {
      return adapted_size(size, took, std::min(target_, limit), options_.batch_size);
    }
    if (size < options_.batch_size) {  // the first, or since a slow batch: toward --batch-size
      return std::min(options_.batch_size, adapted_size(size, took, limit / 2, size));
    }
    return size;
  }

 private:
  void warn_slow(std::int64_t size, std::chrono::milliseconds took, std::int64_t smaller) {
    const std::chrono::milliseconds limit = options_.retry.lock_timeout;
    const std::string message = fmt::format(
        "backfill of {}: a batch of {} rows took {} ms, longer than --lock-timeout ({} ms), and "
        "held the rows it had locked as long (the application's writes of them waited); the "
        "next batches are smaller, about {} rows, and grow back while they stay short",
        table_, size, took.count(), limit.count(), smaller);
    if (!output_.json()) {
      output_.warn(message);
      return;
    }
    output_.event({{"event", "slow_batch"},
                   {"table", table_},
                   {"rows", size},
                   {"took_ms", took.count()},
                   {"lock_timeout_ms", limit.count()},
                   {"next_rows", smaller},
                   {"message", message}});
  }

  const BackfillOptions& options_;
  const std::chrono::milliseconds target_;
  const std::string& table_;
  Output& output_;
  bool warned_ = false;
};

}  // namespace

std::chrono::milliseconds default_batch_target(db::Flavor flavor) {
  // About a third of the time holding the lock with the handoff rest after each batch: a
  // short wait for the application's writers, the backfill at a third of full speed.
  return flavor == db::Flavor::kSqlite ? std::chrono::milliseconds(60)
                                       : std::chrono::milliseconds(0);
}

nlohmann::json BackfillProgress::to_json() const {
  return {{"table", table},
          {"upper_bound", upper_bound ? nlohmann::json(*upper_bound) : nlohmann::json()},
          {"bound_taken", bound_taken},
          {"last_key", last_key ? nlohmann::json(*last_key) : nlohmann::json()},
          {"rows_done", rows_done},
          {"rows_estimate", rows_estimate},
          {"done", done}};
}

BackfillProgress BackfillProgress::from_json(const nlohmann::json& stored) {
  auto optional_text = [&](const char* field) -> std::optional<std::string> {
    auto it = stored.find(field);
    if (it == stored.end() || it->is_null()) return std::nullopt;
    return it->get<std::string>();
  };
  try {
    BackfillProgress progress;
    progress.table = stored.at("table").get<std::string>();
    progress.upper_bound = optional_text("upper_bound");
    progress.bound_taken = stored.value("bound_taken", false);
    progress.last_key = optional_text("last_key");
    progress.rows_done = stored.value("rows_done", std::int64_t{0});
    progress.rows_estimate = stored.value("rows_estimate", std::int64_t{0});
    progress.done = stored.value("done", false);
    return progress;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("the saved backfill progress is not readable: {} in {}", e.what(),
                            stored.dump()),
                "roll the change back (cutover change rollback) and start it again");
  }
}

void run_backfill(db::Connection& connection, const ChangeContext& context,
                  const BackfillTarget& target, BackfillProgress& progress,
                  const BackfillOptions& options, Output& output,
                  const std::function<void(const BackfillProgress&)>& checkpoint,
                  const std::function<void()>& reopen) {
  if (progress.table.empty()) progress.table = target.table;
  if (progress.table != target.table) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("backfill of table {} was given the progress of table {}", target.table,
                            progress.table));
  }
  if (progress.done) return;
  if (options.batch_size <= 0) {
    throw_bad_input(fmt::format("the batch size must be at least 1, not {}", options.batch_size),
                    "pass --batch-size with a positive number of rows");
  }

  TableBackfill backfill(connection, context, target, options, output, reopen);
  connection.set_timeouts(db::Timeouts{options.retry.lock_timeout, {}});

  if (!progress.bound_taken) {
    backfill.take_bound(progress);
    checkpoint(progress);
  } else if (progress.last_key) {
    output.info(fmt::format("backfill of {} resumes after key {} ({} rows done)", target.table,
                            shorten(*progress.last_key), progress.rows_done));
  }
  if (!progress.upper_bound) {  // the table was empty when the bound was taken
    if (!progress.done) {
      progress.done = true;
      checkpoint(progress);
    }
    return;
  }

  ProgressReporter reporter(output, "backfill", "rows", progress.rows_estimate);
  reporter.set_detail(target.table);
  reporter.update(progress.rows_done);

  const bool sqlite = connection.server().flavor == db::Flavor::kSqlite;
  const std::chrono::milliseconds target_batch =
      options.target_batch.value_or(default_batch_target(connection.server().flavor));
  BatchSizer sizer(options, target_batch, target.table, output);
  std::int64_t size = sizer.first();
  bool first = true;
  while (!progress.done) {
    if (!first) {
      // SQLite has one writer at a time and its waiters poll: a backfill that takes the lock
      // again at once starves the application's writers. It rests at least as long as the
      // batch held the lock, and long enough for every waiter to try (kSqliteWriterHandoff).
      auto rest = options.pause;
      if (sqlite) {
        rest = std::max({rest, db::kSqliteWriterHandoff,
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             backfill.last_attempt())});
      }
      if (rest.count() > 0) interrupted_within(rest);  // the loop's check stops on a signal
    }
    first = false;

    if (interrupted()) stop_interrupted(progress);
    KeyRange range{progress.last_key, *progress.upper_bound};
    BatchResult batch;
    bool split = false;
    try {
      // A signal cancels the batch: its transaction rolls back, the last checkpoint stands.
      db::CancelOnInterrupt cancel(connection);
      try {
        batch = backfill.run_batch(range, size);
      } catch (const Error& e) {
        if (interrupted() || !is_data_failure(connection.server().flavor, e)) throw;
        std::vector<std::string> keys;
        if (auto row = backfill.locate_failing_row(range, size, e, keys)) {
          throw backfill.row_error(*row);
        }
        // Every part of the batch went through on its own: the batch is done.
        split = true;
        batch.selected = static_cast<std::int64_t>(keys.size());
        batch.touched = batch.selected;
        if (!keys.empty()) batch.last_key = keys.back();
      }
    } catch (const Error&) {
      if (interrupted()) stop_interrupted(progress);
      throw;
    }

    if (batch.selected > 0) {
      progress.last_key = batch.last_key;
      progress.rows_done += batch.touched;
    }
    progress.done = batch.selected < size || progress.last_key == progress.upper_bound;
    checkpoint(progress);
    reporter.update(progress.rows_done);

    if (!progress.done && batch.selected == size && !split) {
      size = sizer.next(size, backfill.last_attempt());
    }
  }
  reporter.finish();
}

}  // namespace cutover::change
