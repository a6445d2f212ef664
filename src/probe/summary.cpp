// The probe's findings in plain words, for a person reading a terminal.
#include "probe/summary.h"

#include <fmt/format.h>

namespace cutover::probe {
namespace {

std::string seconds(std::int64_t us) {
  return fmt::format("{:.3f}s", static_cast<double>(us) / 1e6);
}

std::string errors_text(const std::map<std::string, std::int64_t>& errors) {
  std::string out;
  for (const auto& [cls, count] : errors) {
    out += (out.empty() ? "" : ", ") + fmt::format("{} x{}", cls, count);
  }
  return out;
}

void kind_text(std::string& out, const char* name, const KindStats& s) {
  if (s.total == 0) {
    out += fmt::format("{:<7}none run\n", name);
    return;
  }
  out += fmt::format(
      "{:<7}{:>8.3f}% available over time; {:.3f}% of operations ok ({} ok, {} failed); "
      "latency p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n",
      name, s.time_availability_pct, s.availability_pct, s.ok, s.total - s.ok, s.p50_ms, s.p99_ms,
      s.max_ms);
  out += fmt::format("       longest time without a successful {}: {}\n",
                     std::string(name).substr(0, std::string(name).size() - 1),
                     seconds(s.longest_without_success_us));
  if (s.retried > 0) {
    out += fmt::format(
        "       {} retried once on a new connection after the pooled one was closed\n", s.retried);
  }
  for (const auto& w : s.windows) {
    out += fmt::format("       unavailable {} .. {} ({}{}): {}\n", seconds(w.start_us),
                       seconds(w.end_us), seconds(w.duration_us()),
                       w.open_at_end ? ", still failing at the end" : "", errors_text(w.errors));
  }
}

}  // namespace

std::string human_summary(const ProbeRecord& record, const Analysis& analysis) {
  std::string out =
      fmt::format("probe of {} ({}) for {}, {} readers, {} writers, {} ops/s\n", record.url,
                  record.flavor, seconds(record.duration_us), record.readers, record.writers,
                  static_cast<std::int64_t>(analysis.ops_per_second));
  kind_text(out, "reads", analysis.reads);
  kind_text(out, "writes", analysis.writes);
  const auto& v = record.verification;
  if (v.done) {
    out +=
        fmt::format("verified on {}: {} acknowledged writes, {} found, {} lost, {} duplicated",
                    record.verify_url, v.acknowledged, v.found, v.lost.size(), v.duplicated.size());
    if (v.unconfirmed_present > 0) {
      out +=
          fmt::format(" ({} unacknowledged writes were committed anyway)", v.unconfirmed_present);
    }
    out += "\n";
    for (const auto& id : v.lost)
      out += fmt::format("  lost: writer {} seq {}\n", id.writer, id.seq);
    for (const auto& id : v.duplicated) {
      out += fmt::format("  duplicated: writer {} seq {}\n", id.writer, id.seq);
    }
  }
  return out;
}

}  // namespace cutover::probe
