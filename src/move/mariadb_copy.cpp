// Copying a MariaDB database's tables, `jobs` at a time.
#include "move/mariadb_copy.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"

namespace cutover::move {
namespace {

// Rows per transaction on the target: a Galera write set stays small, a crash loses little.
constexpr std::int64_t kRowsPerTransaction = 10000;

class Copier {
 public:
  explicit Copier(const MariadbCopyRequest& request) : request_(request) {}

  void run() {
    std::vector<std::thread> workers;
    int jobs = std::max(1, std::min<int>(request_.jobs, static_cast<int>(request_.tables.size())));
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
  void work() {
    try {
      auto source = db::connect(request_.source_url, request_.connect);
      auto target = db::connect(request_.target_url, request_.connect);
      // A slow target must not make the source give up sending the rows it streams.
      source->execute("SET SESSION time_zone = '+00:00', net_write_timeout = 3600");
      // A lock someone holds on the target (which no application uses yet) stops the copy
      // after 10 s rather than keep the sources frozen for it.
      target->execute(
          "SET SESSION time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0, "
          "sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', lock_wait_timeout = 10, "
          "innodb_lock_wait_timeout = 10");
      while (true) {
        const MariadbTable* table;
        {
          std::lock_guard lock(mutex_);
          if (next_ >= request_.tables.size() || failure_ || interrupted()) return;
          table = &request_.tables[next_++];
        }
        copy_table(*source, *target, *table);
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      failed_ = true;  // the other workers stop at their next transaction
    }
  }

  void copy_table(db::Connection& source, db::Connection& target, const MariadbTable& table) {
    auto started = std::chrono::steady_clock::now();
    std::string quoted = target.quote_identifier(table.name);
    if (!target.query("SELECT 1 FROM " + quoted + " LIMIT 1").rows.empty()) {
      target.execute("TRUNCATE TABLE " + quoted);  // what an interrupted run left
    }
    std::string columns;
    for (const auto& c : table.select_list) columns += (columns.empty() ? "" : ", ") + c;
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
      source.query_stream(fmt::format("SELECT {} FROM {}", columns, quoted), {},
                          [&](const db::Row& row) {
                            if (!loader) {
                              target.begin();
                              loader = target.bulk_load(table.name, table.columns);
                            }
                            loader->add_row(row);
                            ++rows;
                            ++unreported_rows;
                            for (const auto& v : row)
                              unreported_bytes += static_cast<std::int64_t>(v.text().size());
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
      throw e.restated(e.code(), fmt::format("copying table {}: {}", table.name, e.message()),
                       "a lock on the target (SHOW PROCESSLIST there), a row larger than the "
                       "target's max_allowed_packet (raise it there), a source changed since "
                       "prepare (abort and move again) or a row the target refuses; fix it and "
                       "run cutover move data again, or cutover move abort");
    }
    if (interrupted() || failed_) return;
    std::lock_guard lock(mutex_);
    if (request_.on_table) {
      request_.on_table(
          {table.name, rows, bytes,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
    }
  }

  void report(std::int64_t rows, std::int64_t bytes) {
    std::lock_guard lock(mutex_);
    rows_ += rows;
    bytes_ += bytes;
    if (request_.on_progress) request_.on_progress(rows_, bytes_);
  }

  const MariadbCopyRequest& request_;
  std::mutex mutex_;
  std::size_t next_ = 0;
  std::int64_t rows_ = 0;
  std::int64_t bytes_ = 0;
  std::exception_ptr failure_;
  std::atomic<bool> failed_{false};
};

}  // namespace

void copy_mariadb_tables(const MariadbCopyRequest& request) { Copier(request).run(); }

}  // namespace cutover::move
