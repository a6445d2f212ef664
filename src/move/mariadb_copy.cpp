// Copying a MariaDB database's tables, `jobs` parts at a time.
#include "move/mariadb_copy.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"

namespace cutover::move {
namespace {

// Rows per transaction on the target: a Galera write set stays small, a crash loses little.
constexpr std::int64_t kRowsPerTransaction = 10000;

// A session on the target as every part's copy uses it.
std::unique_ptr<db::Connection> connect_target(const MariadbCopyRequest& request) {
  auto target = db::connect(request.target_url, request.connect);
  // A lock someone holds on the target (which no application uses yet) stops the copy after
  // 10 s rather than keep the sources frozen for it.
  target->execute(
      "SET SESSION time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0, "
      "sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', lock_wait_timeout = 10, "
      "innodb_lock_wait_timeout = 10");
  return target;
}

const char* const kCopyHint =
    "a lock on the target (SHOW PROCESSLIST there), a row larger than the target's "
    "max_allowed_packet (raise it there), a source changed since prepare (abort and move "
    "again) or a row the target refuses; fix it and run cutover move data again, or cutover "
    "move abort";

// One read of a table: all of it, or one key range.
struct CopyPart {
  const MariadbTable* table = nullptr;
  std::string from;   // "`t`", or "`t` FORCE INDEX (`PRIMARY`)" for a range
  std::string where;  // empty for the whole table
};

// How far a table's parts have come.
struct TableDone {
  int parts_left = 0;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;
  std::optional<std::chrono::steady_clock::time_point> started;
};

class Copier {
 public:
  explicit Copier(const MariadbCopyRequest& request) : request_(request) {}

  void run() {
    plan_parts();
    empty_targets();
    std::vector<std::thread> workers;
    int jobs = std::max(1, std::min<int>(request_.jobs, static_cast<int>(parts_.size())));
    for (int i = 0; i < jobs; ++i) workers.emplace_back([this] { work(); });
    for (auto& w : workers) w.join();
    if (interrupted()) {
      throw_interrupted("while copying the tables",
                        "the sources stay frozen: cutover move data again resumes, cutover move "
                        "abort lifts the freeze");
    }
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  void plan_parts() {
    auto source = db::connect(request_.source_url, request_.connect);
    for (const auto& table : request_.tables) {
      std::string quoted = source->quote_identifier(table.name);
      MariadbKeyRanges ranges;
      try {
        ranges = mariadb_key_ranges(*source, table, request_.split_bytes);
      } catch (const Error& e) {
        throw e.with_context("splitting table " + table.name);
      }
      if (ranges.where.empty()) {
        parts_.push_back({&table, quoted, ""});
      } else {
        if (request_.on_split) request_.on_split(table, ranges);
        std::string from =
            fmt::format("{} FORCE INDEX ({})", quoted, source->quote_identifier(ranges.index));
        for (const auto& where : ranges.where) parts_.push_back({&table, from, where});
      }
      tables_[table.name].parts_left =
          static_cast<int>(std::max<std::size_t>(1, ranges.where.size()));
    }
  }

  // Before any part starts: a part must not empty rows another part has copied.
  void empty_targets() {
    auto target = connect_target(request_);
    for (const auto& table : request_.tables) {
      std::string quoted = target->quote_identifier(table.name);
      try {
        if (!target->query("SELECT 1 FROM " + quoted + " LIMIT 1").rows.empty()) {
          target->execute("TRUNCATE TABLE " + quoted);  // what an interrupted run left
        }
      } catch (const Error& e) {
        throw e.with_context("emptying table " + table.name, kCopyHint);
      }
    }
  }

  void work() {
    try {
      auto source = db::connect(request_.source_url, request_.connect);
      auto target = connect_target(request_);
      // A slow target must not make the source give up sending the rows it streams.
      source->execute("SET SESSION time_zone = '+00:00', net_write_timeout = 3600");
      while (true) {
        const CopyPart* part;
        {
          std::lock_guard lock(mutex_);
          if (next_ >= parts_.size() || failure_ || interrupted()) return;
          part = &parts_[next_++];
          auto& done = tables_[part->table->name];
          if (!done.started) done.started = std::chrono::steady_clock::now();
        }
        copy_part(*source, *target, *part);
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      failed_ = true;  // the other workers stop at their next transaction
    }
  }

  void copy_part(db::Connection& source, db::Connection& target, const CopyPart& part) {
    const MariadbTable& table = *part.table;
    std::string columns;
    for (const auto& c : table.select_list) columns += (columns.empty() ? "" : ", ") + c;
    std::string select = fmt::format("SELECT {} FROM {}", columns, part.from);
    if (!part.where.empty()) select += " WHERE " + part.where;
    std::int64_t rows = 0, bytes = 0, unreported_rows = 0, unreported_bytes = 0;
    std::unique_ptr<db::BulkLoader> loader;
    auto flush = [&] {
      if (!loader) return;
      loader->finish();
      loader.reset();
      target.commit();
      report(unreported_rows, unreported_bytes);
      unreported_rows = unreported_bytes = 0;
    };
    try {
      source.query_stream(select, {}, [&](const db::Row& row) {
        if (!loader) {
          target.begin();
          loader = target.bulk_load(table.name, table.columns);
        }
        loader->add_row(row);
        ++rows;
        ++unreported_rows;
        for (const auto& v : row) unreported_bytes += static_cast<std::int64_t>(v.text().size());
        if (rows % kRowsPerTransaction == 0) {
          bytes += unreported_bytes;
          flush();
          return !interrupted() && !failed_;
        }
        return true;
      });
      bytes += unreported_bytes;
      flush();
    } catch (const Error& e) {
      try {
        target.rollback();
      } catch (const Error&) {
        // The connection is gone: the first error says more.
      }
      std::string range = part.where.empty() ? "" : " (rows " + part.where + ")";
      throw e.restated(e.code(),
                       fmt::format("copying table {}{}: {}", table.name, range, e.message()),
                       kCopyHint);
    }
    // A part stopped between batches is not complete, nor then its table.
    if (interrupted() || failed_) return;
    std::lock_guard lock(mutex_);
    auto& done = tables_[table.name];
    done.rows += rows;
    done.bytes += bytes;
    if (--done.parts_left > 0 || !request_.on_table) return;
    request_.on_table(
        {table.name, done.rows, done.bytes,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - *done.started).count()});
  }

  void report(std::int64_t rows, std::int64_t bytes) {
    std::lock_guard lock(mutex_);
    rows_ += rows;
    bytes_ += bytes;
    if (request_.on_progress) request_.on_progress(rows_, bytes_);
  }

  const MariadbCopyRequest& request_;
  std::vector<CopyPart> parts_;
  std::mutex mutex_;  // next_, tables_, the counters, failure_ and the callbacks
  std::size_t next_ = 0;
  std::map<std::string, TableDone> tables_;
  std::int64_t rows_ = 0;
  std::int64_t bytes_ = 0;
  std::exception_ptr failure_;
  std::atomic<bool> failed_{false};
};

}  // namespace

void copy_mariadb_tables(const MariadbCopyRequest& request) { Copier(request).run(); }

}  // namespace cutover::move
