// The probe: steady reads and writes against a database, every outcome recorded, then a check
// that every acknowledged write is still there exactly once.
#include "probe/probe.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <random>
#include <thread>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/registry.h"
#include "probe/op_watchdog.h"
#include "probe/probe_table.h"

namespace cutover::probe {
namespace {

using Clock = std::chrono::steady_clock;

std::string new_run_id() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

// Records an unexpected failure (not a cutover::Error, e.g. std::bad_alloc) as an error and
// drops the connection: a worker thread must never end the process.
bool record_unexpected(Operation& op, const std::exception& error) {
  op.outcome = Outcome::kError;
  op.message = redact(error.what());
  return true;
}

// Fills the outcome of a failed operation from the error and says whether the connection is
// gone (so the loop must reconnect).
bool record_failure(Operation& op, const Error& error) {
  op.sqlstate = error.sqlstate();
  op.vendor_code = error.vendor_code();
  op.message = redact(error.message());
  switch (error.db_failure()) {
    case DbFailure::kConnect:
    case DbFailure::kConnectionLost:
      op.outcome = Outcome::kConnectionLost;
      return true;
    case DbFailure::kCancelled:
      op.outcome = Outcome::kTimeout;
      return false;
    case DbFailure::kNone:
    case DbFailure::kStatement:
      break;
  }
  op.outcome = Outcome::kError;
  return false;
}

}  // namespace

Probe::Probe(ProbeOptions options)
    : options_(std::move(options)),
      last_acked_(static_cast<size_t>(std::max(0, options_.writers))),
      // The server's own statement timeout normally fires first; this is the backstop.
      watchdog_(static_cast<size_t>(std::max(0, options_.readers) + std::max(0, options_.writers)),
                options_.op_timeout + std::chrono::milliseconds(250)) {
  if (options_.verify_url.empty()) options_.verify_url = options_.url;
  if (options_.readers < 0 || options_.writers < 0 || options_.readers + options_.writers == 0) {
    throw_bad_input("the probe needs at least one reader or writer",
                    "use --readers N and --writers N with N >= 0, not both 0");
  }
  if (options_.rate < 0) throw_bad_input("--rate must be 0 (as fast as possible) or more");
  if (options_.url.find(":memory:") != std::string::npos) {
    throw_bad_input(
        "the probe cannot use sqlite::memory:, where every connection has a "
        "database of its own",
        "probe a database file: sqlite:path/to/file.db");
  }
  for (auto& seq : last_acked_) seq = -1;
  record_.run_id = new_run_id();
  record_.url = redact(options_.url);
  record_.verify_url = redact(options_.verify_url);
  record_.table = options_.table;
  record_.readers = options_.readers;
  record_.writers = options_.writers;
  record_.rate = options_.rate;
}

void Probe::prepare() {
  db::ConnectOptions connect_options;
  connect_options.password_file = options_.password_file;
  auto connection = db::connect(options_.url, connect_options);
  record_.flavor = db::flavor_name(connection->server().flavor);
  ProbeTable(*connection, options_.table).ensure_exists();
}

std::int64_t Probe::elapsed_us() const {
  auto since_epoch = Clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() -
         start_us_.load();
}

bool Probe::pause(Clock::duration how_long) {
  // Unpaced loops call this before every operation: no lock when there is nothing to wait for.
  if (how_long <= Clock::duration::zero()) return !stopping_;
  std::unique_lock lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, how_long, [this] { return stopping_.load(); });
}

void Probe::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

ProbeCounts Probe::counts() const {
  return {reads_ok_.load(), reads_failed_.load(), writes_ok_.load(), writes_failed_.load(),
          elapsed_us()};
}

// One worker's connection: opened lazily, dropped when it breaks, so the loop reconnects the
// way an application's pool would.
class WorkerSession {
 public:
  explicit WorkerSession(const ProbeOptions& options) : options_(options) {}

  bool connected() const { return connection_ != nullptr; }

  db::Connection& get() {
    if (!connection_) {
      db::ConnectOptions connect_options;
      connect_options.password_file = options_.password_file;
      connect_options.connect_timeout =
          std::max(std::chrono::seconds(1),
                   std::chrono::duration_cast<std::chrono::seconds>(options_.op_timeout));
      // Kept only once fully set up: a half-configured session would be reused as if it worked.
      auto connection = db::connect(options_.url, connect_options);
      connection->set_timeouts({.lock = options_.lock_timeout, .statement = options_.op_timeout});
      table_ = std::make_unique<ProbeTable>(*connection, options_.table);
      connection_ = std::move(connection);
    }
    return *connection_;
  }
  const ProbeTable& table() const { return *table_; }
  std::shared_ptr<db::Canceller> canceller() {
    if (!canceller_) canceller_ = connection_->canceller();
    return canceller_;
  }
  void drop() {
    canceller_.reset();
    table_.reset();
    connection_.reset();
  }

 private:
  const ProbeOptions& options_;
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<ProbeTable> table_;
  std::shared_ptr<db::Canceller> canceller_;
};

// Paces a loop at `rate` iterations per second (0: no pacing).
class Pacer {
 public:
  explicit Pacer(double rate)
      : period_(rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(1.0 / rate))
                         : Clock::duration::zero()),
        next_(Clock::now()) {}
  Clock::duration wait() {
    if (period_ == Clock::duration::zero()) return Clock::duration::zero();
    auto now = Clock::now();
    if (next_ < now) next_ = now;  // fell behind: do not burst to catch up
    auto wait = next_ - now;
    next_ += period_;
    return wait;
  }

 private:
  Clock::duration period_;
  Clock::time_point next_;
};

void Probe::writer_loop(int writer, std::vector<Operation>& log) {
  WorkerSession session(options_);
  Pacer pacer(options_.rate);
  for (std::int64_t seq = 0; !stopping_ && Clock::now() < deadline_; ++seq) {
    if (!pause(pacer.wait())) break;
    Operation op{
        .kind = OpKind::kWrite, .worker = writer, .start_us = elapsed_us(), .write_seq = seq};
    bool reconnect = false;
    try {
      auto& connection = session.get();
      WatchedOperation watched(watchdog_, static_cast<size_t>(writer), session.canceller());
      connection.execute(session.table().insert_sql(), {record_.run_id, writer, seq, op.start_us});
      op.outcome = Outcome::kOk;
    } catch (const Error& error) {
      reconnect = record_failure(op, error);
    } catch (const std::exception& error) {
      reconnect = record_unexpected(op, error);
    }
    op.end_us = elapsed_us();
    (op.ok() ? writes_ok_ : writes_failed_)++;
    if (op.ok()) last_acked_[static_cast<size_t>(writer)] = seq;
    log.push_back(std::move(op));
    if (reconnect) {
      session.drop();
      if (!pause(options_.reconnect_pause)) break;
    }
  }
}

void Probe::reader_loop(int reader, std::vector<Operation>& log) {
  WorkerSession session(options_);
  Pacer pacer(options_.rate);
  std::minstd_rand random(static_cast<unsigned>(reader) * 7919u + 1u);
  int writers = std::max(1, options_.writers);
  while (!stopping_ && Clock::now() < deadline_) {
    if (!pause(pacer.wait())) break;
    int writer = static_cast<int>(random() % static_cast<unsigned>(writers));
    // -1 until the writer has an acknowledged write: the read then finds nothing, correctly.
    std::int64_t seq = options_.writers > 0 ? last_acked_[static_cast<size_t>(writer)].load() : -1;
    bool reconnect = false;
    // A point read of a recent acknowledged write, then a small range read.
    for (bool point : {true, false}) {
      Operation op{.kind = OpKind::kRead, .worker = reader, .start_us = elapsed_us()};
      for (bool first_try = true;; first_try = false) {
        bool was_connected = session.connected();
        try {
          auto& connection = session.get();
          WatchedOperation watched(watchdog_, static_cast<size_t>(options_.writers + reader),
                                   session.canceller());
          if (point) {
            auto rows =
                connection.query(session.table().point_read_sql(), {record_.run_id, writer, seq});
            reconnect = false;
            if (seq >= 0 && rows.empty()) {
              // The write was acknowledged before this read began: not seeing it is a stale
              // read (a lagging replica, a switch to a target that misses it).
              op.outcome = Outcome::kStaleRead;
              op.message =
                  fmt::format("acknowledged write (writer {}, seq {}) not visible", writer, seq);
              break;
            }
          } else {
            connection.query(session.table().range_read_sql(), {record_.run_id, writer});
          }
          op = Operation{.kind = OpKind::kRead,
                         .worker = reader,
                         .start_us = op.start_us,
                         .outcome = Outcome::kOk,
                         .retried = !first_try};
          reconnect = false;
        } catch (const Error& error) {
          reconnect = record_failure(op, error);
        } catch (const std::exception& error) {
          reconnect = record_unexpected(op, error);
        }
        // Only a connection that was already open may be stale; a fresh one failing means the
        // server is really unavailable.
        if (!reconnect || !was_connected || !first_try) break;
        session.drop();
        op.retried = true;
      }
      op.end_us = elapsed_us();
      (op.ok() ? reads_ok_ : reads_failed_)++;
      log.push_back(std::move(op));
      if (reconnect) break;
    }
    if (reconnect) {
      session.drop();
      if (!pause(options_.reconnect_pause)) break;
    }
  }
}

void Probe::run(const std::function<void(const ProbeCounts&)>& on_tick) {
  auto start = Clock::now();
  start_us_ =
      std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch()).count();
  deadline_ = start + options_.duration;
  auto wall = std::chrono::system_clock::now();
  record_.started_unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  record_.started_at =
      fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(wall)));

  std::vector<std::vector<Operation>> logs(
      static_cast<size_t>(options_.readers + options_.writers));
  std::vector<std::thread> threads;
  for (int w = 0; w < options_.writers; ++w) {
    threads.emplace_back([this, w, &logs] { writer_loop(w, logs[static_cast<size_t>(w)]); });
  }
  for (int r = 0; r < options_.readers; ++r) {
    threads.emplace_back(
        [this, r, &logs] { reader_loop(r, logs[static_cast<size_t>(options_.writers + r)]); });
  }
  while (!stopping_ && Clock::now() < deadline_) {
    pause(std::min<Clock::duration>(std::chrono::seconds(1), deadline_ - Clock::now()));
    if (on_tick) on_tick(counts());
  }
  stop();
  for (auto& t : threads) t.join();

  record_.duration_us = elapsed_us();
  for (auto& log : logs) {
    record_.operations.insert(record_.operations.end(), std::make_move_iterator(log.begin()),
                              std::make_move_iterator(log.end()));
  }
  std::sort(record_.operations.begin(), record_.operations.end(),
            [](const Operation& a, const Operation& b) { return a.start_us < b.start_us; });
}

void Probe::verify() {
  // Which (writer, seq) were acknowledged: writers number their rows 0, 1, 2, ...
  std::vector<std::vector<bool>> acked(static_cast<size_t>(options_.writers));
  Verification& v = record_.verification;
  for (const auto& op : record_.operations) {
    if (op.kind != OpKind::kWrite || !op.ok()) continue;
    auto& seqs = acked[static_cast<size_t>(op.worker)];
    if (seqs.size() <= static_cast<size_t>(op.write_seq)) {
      seqs.resize(static_cast<size_t>(op.write_seq) + 1, false);
    }
    seqs[static_cast<size_t>(op.write_seq)] = true;
    ++v.acknowledged;
  }
  std::vector<std::vector<bool>> found(acked.size());
  for (size_t w = 0; w < acked.size(); ++w) found[w].resize(acked[w].size(), false);

  db::ConnectOptions connect_options;
  connect_options.password_file = options_.password_file;
  auto connection = db::connect(options_.verify_url, connect_options);
  ProbeTable table(*connection, options_.table);
  connection->query_stream(table.verify_sql(), {record_.run_id}, [&](const db::Row& row) {
    auto writer = row.at(0).as_int();
    auto seq = row.at(1).as_int();
    auto copies = row.at(2).as_int();
    if (copies > 1) v.duplicated.push_back({static_cast<int>(writer), seq});
    bool was_acked = writer >= 0 && static_cast<size_t>(writer) < acked.size() &&
                     static_cast<size_t>(seq) < acked[static_cast<size_t>(writer)].size() &&
                     acked[static_cast<size_t>(writer)][static_cast<size_t>(seq)];
    if (was_acked) {
      found[static_cast<size_t>(writer)][static_cast<size_t>(seq)] = true;
      ++v.found;
    } else {
      ++v.unconfirmed_present;
    }
    return true;
  });
  for (size_t w = 0; w < acked.size(); ++w) {
    for (size_t s = 0; s < acked[w].size(); ++s) {
      if (acked[w][s] && !found[w][s]) {
        v.lost.push_back({static_cast<int>(w), static_cast<std::int64_t>(s)});
      }
    }
  }
  v.done = true;
}

}  // namespace cutover::probe
