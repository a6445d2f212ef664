// What a probe record means for availability.
#include "probe/analysis.h"

#include <algorithm>
#include <cmath>

namespace cutover::probe {
namespace {

double percentile_ms(std::vector<std::int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_us.size()))) - 1;
  return static_cast<double>(sorted_us[std::min(rank, sorted_us.size() - 1)]) / 1000.0;
}

KindStats analyze_kind(const ProbeRecord& record, OpKind kind) {
  std::vector<const Operation*> ops;
  for (const auto& op : record.operations) {
    if (op.kind == kind) ops.push_back(&op);
  }
  // Availability is judged at the moment each operation's answer arrived.
  std::sort(ops.begin(), ops.end(),
            [](const Operation* a, const Operation* b) { return a->end_us < b->end_us; });

  KindStats stats;
  std::vector<std::int64_t> latencies;
  std::int64_t last_success_end = 0;
  bool window_open = false;
  UnavailabilityWindow window;
  for (const Operation* op : ops) {
    ++stats.total;
    if (op->retried) ++stats.retried;
    if (op->ok()) {
      ++stats.ok;
      latencies.push_back(op->end_us - op->start_us);
      stats.longest_without_success_us =
          std::max(stats.longest_without_success_us, op->end_us - last_success_end);
      last_success_end = op->end_us;
      // A success asked for before the window opened may have happened before it too: it
      // proves nothing about the window (a write held up under load, answered late).
      if (window_open && op->start_us >= window.start_us) {
        window.end_us = op->end_us;
        stats.windows.push_back(window);
        window_open = false;
      }
      continue;
    }
    std::string cls = error_class(*op);
    ++stats.errors[cls];
    if (!window_open) {
      // A failure asked for before the last window closed and answered after it (a write that
      // waited out its lock timeout in the outage) belongs to that outage: no new window.
      if (!stats.windows.empty() && op->start_us < stats.windows.back().end_us) {
        ++stats.windows.back().errors[cls];
        continue;
      }
      window = UnavailabilityWindow{.start_us = std::max(op->start_us, last_success_end)};
      window_open = true;
    }
    ++window.errors[cls];
  }
  stats.longest_without_success_us =
      std::max(stats.longest_without_success_us, record.duration_us - last_success_end);
  if (window_open) {
    window.end_us = std::max(record.duration_us, window.start_us);
    window.open_at_end = true;
    stats.windows.push_back(window);
  }
  std::int64_t unavailable_us = 0;
  for (const auto& w : stats.windows) unavailable_us += w.duration_us();
  if (record.duration_us > 0 && stats.total > 0) {
    stats.time_availability_pct = 100.0 * (1.0 - static_cast<double>(unavailable_us) /
                                                     static_cast<double>(record.duration_us));
  }
  if (stats.total > 0) {
    stats.availability_pct =
        100.0 * static_cast<double>(stats.ok) / static_cast<double>(stats.total);
  }
  std::sort(latencies.begin(), latencies.end());
  stats.p50_ms = percentile_ms(latencies, 0.50);
  stats.p99_ms = percentile_ms(latencies, 0.99);
  stats.max_ms = latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1000.0;
  return stats;
}

}  // namespace

Analysis analyze(const ProbeRecord& record) {
  Analysis analysis;
  analysis.reads = analyze_kind(record, OpKind::kRead);
  analysis.writes = analyze_kind(record, OpKind::kWrite);
  if (record.duration_us > 0) {
    analysis.ops_per_second = static_cast<double>(record.operations.size()) * 1e6 /
                              static_cast<double>(record.duration_us);
  }
  return analysis;
}

}  // namespace cutover::probe
