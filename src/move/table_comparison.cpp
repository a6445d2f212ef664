// Comparing every table on both sides, `jobs` at a time.
#include "move/table_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <future>
#include <mutex>
#include <thread>

#include "core/interrupt.h"

namespace cutover::move {

TableComparison compare_tables(const TableComparisonRequest& request, ProgressReporter& progress) {
  TableComparison out;
  std::mutex mutex;
  std::size_t next = 0, done = 0;
  std::exception_ptr failure;
  auto worker = [&] {
    try {
      std::unique_ptr<db::Connection> source, target;  // opened when a table needs them
      while (true) {
        std::string table;
        {
          std::lock_guard lock(mutex);
          if (next >= request.tables.size() || failure || interrupted()) return;
          table = request.tables[next++];
        }
        auto known_source = request.source_sums.find(table);
        auto known_target = request.target_sums.find(table);
        std::future<TableSum> on_source;
        if (known_source == request.source_sums.end()) {
          if (!source) source = request.open_source();
          // Both sides read at once: a large table costs one read's time, not two.
          on_source = std::async(std::launch::async, [&] { return request.sum(*source, table); });
        }
        if (!target && known_target == request.target_sums.end()) target = request.open_target();
        TableSum on_target = known_target != request.target_sums.end()
                                 ? known_target->second
                                 : request.sum(*target, table);
        TableSum from_source = on_source.valid() ? on_source.get() : known_source->second;
        std::lock_guard lock(mutex);
        out.rows += from_source.rows;
        out.sums[table] = on_target.to_json();
        if (from_source != on_target) {
          out.differences.push_back(
              fmt::format("{}: {} rows on the source, {} on the target{}", table, from_source.rows,
                          on_target.rows,
                          from_source.rows == on_target.rows ? " with different contents" : ""));
        }
        progress.update(static_cast<std::int64_t>(++done));
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  int jobs = std::clamp<int>(request.jobs, 1, std::max<int>(1, request.tables.size()));
  for (int i = 0; i < jobs; ++i) workers.emplace_back(worker);
  for (auto& w : workers) w.join();
  progress.finish();
  if (interrupted()) {
    throw_interrupted("while verifying the tables",
                      "the sources stay frozen: cutover move data again verifies, cutover move "
                      "abort lifts the freeze");
  }
  if (failure) std::rethrow_exception(failure);
  return out;
}

std::string schema_difference(const std::string& source, const std::string& target) {
  if (source == target) return {};
  std::size_t at = 0;
  while (at < source.size() && at < target.size() && source[at] == target[at]) ++at;
  std::size_t start = source.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  auto line_of = [&](const std::string& text) {
    return start >= text.size() ? std::string("(end)")
                                : text.substr(start, text.find('\n', start) - start);
  };
  return fmt::format("the schema differs: the source has \"{}\" where the target has \"{}\"",
                     line_of(source), line_of(target));
}

}  // namespace cutover::move
