// The full probe record and its analysis as one JSON document.
#include "probe/json_report.h"

#include <cmath>

namespace cutover::probe {
namespace {

double ms(std::int64_t us) { return std::round(static_cast<double>(us) / 100.0) / 10.0; }
double round2(double v) { return std::round(v * 100) / 100; }

nlohmann::json kind_json(const KindStats& stats) {
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : stats.windows) {
    windows.push_back({{"start_ms", ms(w.start_us)},
                       {"end_ms", ms(w.end_us)},
                       {"duration_ms", ms(w.duration_us())},
                       {"open_at_end", w.open_at_end},
                       {"errors", w.errors}});
  }
  return {{"total", stats.total},
          {"ok", stats.ok},
          {"failed", stats.total - stats.ok},
          {"availability_pct", std::round(stats.availability_pct * 1000) / 1000},
          {"time_availability_pct", std::round(stats.time_availability_pct * 1000) / 1000},
          {"retried_after_stale_connection", stats.retried},
          {"latency_ms",
           {{"p50", round2(stats.p50_ms)},
            {"p99", round2(stats.p99_ms)},
            {"max", round2(stats.max_ms)}}},
          {"longest_without_success_ms", ms(stats.longest_without_success_us)},
          {"errors", stats.errors},
          {"windows", windows}};
}

nlohmann::json ids_json(const std::vector<WriteId>& ids) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& id : ids) out.push_back({{"writer", id.writer}, {"seq", id.seq}});
  return out;
}

}  // namespace

nlohmann::json analysis_json(const Analysis& analysis, const Verification& v) {
  nlohmann::json j = {{"reads", kind_json(analysis.reads)},
                      {"writes", kind_json(analysis.writes)},
                      {"ops_per_second", std::round(analysis.ops_per_second)}};
  if (v.done) {
    j["verification"] = {{"acknowledged", v.acknowledged},
                         {"found", v.found},
                         {"lost", ids_json(v.lost)},
                         {"duplicated", ids_json(v.duplicated)},
                         {"unconfirmed_present", v.unconfirmed_present}};
  }
  return j;
}

nlohmann::json to_json(const ProbeRecord& record, const Analysis& analysis) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& op : record.operations) {
    nlohmann::json a = {op.kind == OpKind::kRead ? "r" : "w", op.worker, op.start_us, op.end_us,
                        outcome_name(op.outcome)};
    if (op.kind == OpKind::kWrite || !op.ok()) a.push_back(op.write_seq);
    if (!op.ok()) {
      a.push_back(op.sqlstate);
      a.push_back(op.vendor_code);
      a.push_back(op.message);
    }
    ops.push_back(std::move(a));
  }
  return {{"format", "cutover-probe/1"},
          {"run_id", record.run_id},
          {"url", record.url},
          {"verify_url", record.verify_url},
          {"flavor", record.flavor},
          {"table", record.table},
          {"started_at", record.started_at},
          {"started_unix_ms", record.started_unix_ms},
          {"duration_ms", ms(record.duration_us)},
          {"readers", record.readers},
          {"writers", record.writers},
          {"rate", record.rate},
          {"summary", analysis_json(analysis, record.verification)},
          {"operation_fields",
           {"kind", "worker", "start_us", "end_us", "outcome", "write_seq", "sqlstate",
            "vendor_code", "message"}},
          {"operations", ops}};
}

}  // namespace cutover::probe
