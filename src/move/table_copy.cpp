// The data of a move: COPY streamed from the source to the target, tables in parallel.
#include "move/table_copy.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "move/chunk_pipe.h"
#include "move/pg_tools.h"
#include "move/row_checksum.h"

namespace cutover::move {
namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;  // source chunks are sent on in pieces this big
constexpr std::int64_t kPageBytes = 8192;

// A target session, with the target lock timeout.
std::unique_ptr<db::Connection> connect_target(const CopyRequest& request) {
  auto target = db::connect(request.target_url, request.connect);
  target->execute(fmt::format("SET lock_timeout = '{}'", kTargetLockTimeout));
  return target;
}

// The sessions that read rows (the source's, the target's read-back) write them as the
// verification reads them back; the target's copy session reads them with the same styles.
std::unique_ptr<db::Connection> for_checksums(std::unique_ptr<db::Connection> session) {
  prepare_checksum_session(*session);
  return session;
}
std::unique_ptr<db::Connection> for_row_text(std::unique_ptr<db::Connection> session) {
  prepare_row_text_session(*session);
  return session;
}

// `e` restated, when it is a lock timeout (a statement's, or pg_restore's report of one), with
// the sessions that hold locks in the target database; as it is otherwise.
Error naming_lock_holders(const Error& e, const CopyRequest& request) {
  if (e.sqlstate() != "55P03" &&
      e.message().find("canceling statement due to lock timeout") == std::string::npos) {
    return e;
  }
  std::string holders;
  try {
    auto target = db::connect(request.target_url, request.connect);
    for (const auto& row :
         target
             ->query("SELECT DISTINCT format('pid %s (%s, %s, %s) on %s', a.pid, a.usename, "
                     "coalesce(nullif(a.application_name, ''), 'no application name'), a.state, "
                     "l.relation::regclass) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = "
                     "l.pid WHERE l.granted AND l.relation IS NOT NULL AND l.database = (SELECT "
                     "oid FROM pg_database WHERE datname = current_database()) AND "
                     "a.application_name <> $1 AND a.pid <> pg_backend_pid()",
                     {request.connect.application_name})
             .rows) {
      holders += (holders.empty() ? "" : ", ") + row[0].text();
    }
  } catch (const Error&) {
    // The original error says enough without them.
  }
  return Error(
      ErrorCode::kOperationFailed,
      fmt::format("{}: waited {} for a lock on the target{}", e.message(), kTargetLockTimeout,
                  holders.empty() ? "" : "; sessions holding locks there: " + holders),
      "end those sessions on the target (pg_terminate_backend), then run cutover move "
      "data again: the tables copied are kept, and the sources stay frozen meanwhile");
}

// One COPY of a whole table or of one ctid range of it.
struct CopyPart {
  const TableToCopy* table = nullptr;
  std::string where;  // empty for the whole table
  bool whole = true;
};

std::string copy_in_sql(const CopyPart& part) {
  // FREEZE: the rows land frozen, sparing the target a vacuum of every page later; it needs
  // the table emptied in the same transaction, which a whole-table part does.
  std::string options = part.table->binary ? "FORMAT binary" : "FORMAT text";
  if (part.whole) options += ", FREEZE";
  return fmt::format("COPY {} ({}) FROM STDIN ({})", part.table->name, part.table->columns,
                     options);
}

std::vector<CopyPart> split(const std::vector<TableToCopy>& tables, std::int64_t split_bytes) {
  std::vector<CopyPart> parts;
  for (const auto& table : tables) {
    if (table.bytes <= split_bytes || table.pages < 2) {
      parts.push_back({&table, "", true});
      continue;
    }
    std::int64_t count = (table.bytes + split_bytes - 1) / split_bytes;
    std::int64_t pages_each = (table.pages + count - 1) / count;
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t from = i * pages_each;
      std::string where = i + 1 == count
                              ? fmt::format("ctid >= '({},0)'::tid", from)
                              : fmt::format("ctid >= '({},0)'::tid AND ctid < '({},0)'::tid", from,
                                            from + pages_each);
      if (i == 0) where = fmt::format("ctid < '({},0)'::tid", pages_each);
      parts.push_back({&table, where, false});
    }
  }
  return parts;
}

// What the workers share.
class CopyRun {
 public:
  CopyRun(const CopyRequest& request) : request_(request) {
    parts_ = split(request.tables, request.split_bytes);
    for (const auto& p : parts_) ++parts_left_[p.table->name];
    if (!request.on_split) return;
    for (const auto& t : request.tables) {
      if (int parts = parts_left_[t.name]; parts > 1) request.on_split(t, parts);
    }
  }

  void run() {
    {
      auto target = connect_target(request_);
      std::string names;
      for (const auto& t : request_.tables) names += (names.empty() ? "" : ", ") + t.name;
      try {
        if (!names.empty()) target->execute("TRUNCATE ONLY " + names);
      } catch (const Error& e) {
        throw naming_lock_holders(e, request_);
      }
    }
    std::vector<std::thread> workers, finishers;
    int jobs = std::max(1, std::min<int>(request_.jobs, static_cast<int>(parts_.size())));
    OnInterrupt stop([this] { stop_all(); });
    for (int i = 0; i < jobs; ++i) workers.emplace_back([this] { work(); });
    // As many finishers as copy workers, as pgcopydb's index jobs beside its table jobs: a
    // worker hands a copied table over and copies on.
    for (int i = 0; i < jobs; ++i) finishers.emplace_back([this] { finish(); });
    for (auto& w : workers) w.join();
    {
      std::lock_guard lock(mutex_);
      copies_ended_ = true;
      copied_.notify_all();
    }
    for (auto& f : finishers) f.join();
    // A signal cancels the statements, so their failures are the signal's doing: say so.
    if (interrupted())
      throw_interrupted("while copying the tables",
                        "the sources stay frozen: cutover move data again resumes (the tables "
                        "copied are kept), cutover move abort lifts the freeze");
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  std::optional<CopyPart> next_part() {
    std::lock_guard lock(mutex_);
    if (failure_ || next_ >= parts_.size() || interrupted()) return std::nullopt;
    return parts_[next_++];
  }

  void work() {
    try {
      auto source = for_checksums(db::connect(request_.source_url, request_.connect));
      auto target = for_row_text(connect_target(request_));
      register_cancellers({source.get(), target.get()});
      while (auto part = next_part()) copy_part(*part, *source, *target);
    } catch (...) {
      fail(std::current_exception());
    }
  }

  // A copied table, handed from the worker that copied its last part to a finisher.
  struct CopiedWhole {
    const TableToCopy* table;
    TableSum source_sum;
  };

  // The next copied table for a finisher; nullopt once the copies have ended and every table
  // is taken, or on a failure or a signal.
  std::optional<CopiedWhole> next_copied() {
    std::unique_lock lock(mutex_);
    copied_.wait(lock, [&] { return !copied_tables_.empty() || copies_ended_ || failure_; });
    if (failure_ || interrupted() || copied_tables_.empty()) return std::nullopt;
    CopiedWhole next = copied_tables_.front();
    copied_tables_.pop_front();
    return next;
  }

  // What a table needs once its rows are in, in its own sessions: statistics, then its
  // read-back beside the request's build_indexes, then its after_table.
  void finish() {
    try {
      auto target = for_row_text(connect_target(request_));
      auto read_back_session = for_checksums(connect_target(request_));
      register_cancellers({target.get(), read_back_session.get()});
      while (auto copied = next_copied()) {
        const TableToCopy& table = *copied->table;
        settle(table, *target);
        auto on_target =
            std::async(std::launch::async, [&] { return read_back(table, *read_back_session); });
        try {
          if (request_.build_indexes) request_.build_indexes(table.name, *target);
        } catch (...) {
          read_back_session->canceller()->cancel();
          on_target.wait();
          rethrow_naming_lock_holders(table);
        }
        CopiedTable done = table_finished(table.name, copied->source_sum, on_target.get());
        try {
          if (request_.after_table) request_.after_table(done, *target);
        } catch (...) {
          rethrow_naming_lock_holders(table);
        }
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }

  // Inside a catch: the error of a build of `table`'s indexes, with the sessions holding locks
  // on the target when it is a lock timeout.
  [[noreturn]] void rethrow_naming_lock_holders(const TableToCopy& table) {
    try {
      throw;
    } catch (const Error& e) {
      throw naming_lock_holders(e, request_)
          .with_context(fmt::format("building the indexes of {}", table.name));
    }
  }

  void fail(std::exception_ptr failure) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = failure;
    stop_locked();
    copied_.notify_all();
  }

  void register_cancellers(std::initializer_list<db::Connection*> sessions) {
    std::lock_guard lock(mutex_);
    for (auto* session : sessions) cancellers_.push_back(session->canceller());
    if (failure_) stop_locked();
  }

  void stop_all() {
    std::lock_guard lock(mutex_);
    stop_locked();
    copied_.notify_all();
  }
  void stop_locked() {
    for (auto& c : cancellers_) c->cancel();
  }

  void copy_part(const CopyPart& part, db::Connection& source, db::Connection& target) {
    auto started = std::chrono::steady_clock::now();
    ChunkPipe pipe;
    std::int64_t rows_out = 0;
    std::atomic<std::int64_t> bytes{0};
    RowChecksum checksum(part.table->binary);
    std::thread reader([&] {
      try {
        std::string buffer;
        rows_out = source.postgres_copy().copy_out(
            copy_out_statement(*part.table, part.where), [&](std::string_view data) {
              checksum.add_message(data);
              buffer.append(data);
              if (buffer.size() >= kChunkBytes) {
                bytes += static_cast<std::int64_t>(buffer.size());
                pipe.push(std::move(buffer));
                buffer = std::string();
                report(0, 0);
              }
            });
        bytes += static_cast<std::int64_t>(buffer.size());
        if (!buffer.empty()) pipe.push(std::move(buffer));
        pipe.close();
      } catch (...) {
        pipe.close(std::current_exception());
      }
    });
    std::int64_t rows_in = 0;
    try {
      target.begin();
      if (part.whole) target.execute("TRUNCATE ONLY " + part.table->name);
      rows_in = target.postgres_copy().copy_in(copy_in_sql(part), [&] { return pipe.pop(); });
      target.commit();
    } catch (...) {
      pipe.abandon(std::current_exception());
      reader.join();
      target.rollback();
      try {
        throw;
      } catch (const Error& e) {
        throw naming_lock_holders(e, request_)
            .with_context(fmt::format("copying {}", part.table->name));
      }
    }
    reader.join();
    if (rows_in != rows_out || checksum.rows() != rows_out) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("copying {}: the source counted {} rows, sent {}, and the target "
                              "loaded {}",
                              part.table->name, rows_out, checksum.rows(), rows_in));
    }
    finish_part(part, rows_in, bytes.load(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    std::lock_guard parts_lock(mutex_);
    auto& sum = table_checksums_.try_emplace(part.table->name, part.table->binary).first->second;
    sum.add(checksum);
    if (--parts_left_[part.table->name] == 0) {
      copied_tables_.push_back({part.table, sum.sum()});
      copied_.notify_one();
    }
  }

  // The table's count and checksum read back from the target while the workers copy on: the
  // verification compares them with the source's.
  TableSum read_back(const TableToCopy& table, db::Connection& target) {
    try {
      return copied_table_sum(target, table);
    } catch (const Error& e) {
      throw e.with_context(fmt::format("reading {} back from the target", table.name));
    }
  }

  // Statistics for the plans of the index builds and foreign key checks that follow (as
  // pgcopydb does). A table copied in parts (without FREEZE) is vacuumed later, once no copy
  // is under way: a vacuum beside another table's open COPY cannot mark its pages all-visible.
  void settle(const TableToCopy& table, db::Connection& target) {
    try {
      target.execute("ANALYZE " + table.name);
    } catch (const Error& e) {
      throw naming_lock_holders(e, request_).with_context(fmt::format("analyzing {}", table.name));
    }
  }

  void report(std::int64_t rows, std::int64_t bytes) {
    std::lock_guard lock(report_mutex_);
    rows_ += rows;
    bytes_ += bytes;
    if (request_.on_progress) request_.on_progress(rows_, bytes_);
  }

  void finish_part(const CopyPart& part, std::int64_t rows, std::int64_t bytes, double seconds) {
    std::lock_guard lock(report_mutex_);
    rows_ += rows;
    bytes_ += bytes;
    auto& done = table_done_[part.table->name];
    done.name = part.table->name;
    done.rows += rows;
    done.bytes += bytes;
    done.seconds += seconds;
    if (request_.on_progress) request_.on_progress(rows_, bytes_);
  }

  CopiedTable table_finished(const std::string& table, const TableSum& source_sum,
                             const TableSum& target_sum) {
    std::lock_guard lock(report_mutex_);
    auto& done = table_done_[table];
    done.sum = source_sum;
    done.target_sum = target_sum;
    if (request_.on_table) request_.on_table(done);
    return done;
  }

  const CopyRequest& request_;
  std::vector<CopyPart> parts_;
  std::mutex mutex_;  // all below up to report_mutex_
  std::condition_variable copied_;  // copied_tables_, copies_ended_ or failure_ changed
  std::size_t next_ = 0;
  std::exception_ptr failure_;
  std::vector<std::shared_ptr<db::Canceller>> cancellers_;
  std::map<std::string, int> parts_left_;
  std::map<std::string, RowChecksum> table_checksums_;
  std::deque<CopiedWhole> copied_tables_;  // waiting for a finisher
  bool copies_ended_ = false;
  std::mutex report_mutex_;  // the counters and the callbacks
  std::int64_t rows_ = 0;
  std::int64_t bytes_ = 0;
  std::map<std::string, CopiedTable> table_done_;
};

}  // namespace

std::vector<TableToCopy> tables_to_copy(db::Connection& source) {
  std::vector<TableToCopy> tables;
  auto rows = source.query(R"(
    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
           bool_and(bt.typsend <> 0 AND bt.typtype <> 'c'
                    AND NOT (bt.typelem <> 0 AND bt.typlen = -1
                             AND (bt.typelem >= 16384 OR et.typtype = 'c'))),
           pg_relation_size(c.oid), c.relpages, greatest(c.reltuples, 0)::bigint
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         AND a.attgenerated = ''
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    LEFT JOIN pg_type et ON et.oid = bt.typelem
    WHERE c.relkind = 'r'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
      AND NOT EXISTS (  -- an extension's table is the extension's, unless it marks it as data
        SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
          AND NOT c.oid = ANY (coalesce(e.extconfig, '{}')))
    GROUP BY c.oid, n.nspname, c.relname
    ORDER BY pg_relation_size(c.oid) DESC, 1)");
  for (const auto& row : rows.rows) {
    TableToCopy t;
    t.name = row[0].text();
    t.columns = row[1].text();
    t.binary = row[2].text() == "t" || row[2].text() == "true";
    t.bytes = row[3].as_int();
    t.pages = std::max<std::int64_t>(row[4].as_int(), t.bytes / kPageBytes);
    t.estimated_rows = row[5].as_int();
    tables.push_back(std::move(t));
  }
  return tables;
}

std::string copy_out_statement(const TableToCopy& table, const std::string& where) {
  std::string format = table.binary ? " (FORMAT binary)" : "";
  if (where.empty())
    return fmt::format("COPY {} ({}) TO STDOUT{}", table.name, table.columns, format);
  return fmt::format("COPY (SELECT {} FROM ONLY {} WHERE {}) TO STDOUT{}", table.columns,
                     table.name, where, format);
}

void copy_tables(const CopyRequest& request) {
  CopyRun run(request);
  run.run();
}

}  // namespace cutover::move
