// A self-contained HTML page of a probe run with an inline SVG timeline.
#include "probe/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace cutover::probe {
namespace {

constexpr std::int64_t kBucketUs = 100'000;
constexpr double kChartWidth = 1200;
constexpr double kLaneHeight = 34;
constexpr double kLeft = 60;

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

struct Bucket {
  int ok = 0;
  int failed = 0;
  std::map<std::string, int> errors;
};

// An operation counts in every bucket it was in flight: a write blocked for 500 ms on a lock
// and then refused colours those 500 ms red, not just the moment the refusal arrived.
std::vector<Bucket> bucketize(const ProbeRecord& record, OpKind kind) {
  size_t count = static_cast<size_t>(
      std::max<std::int64_t>(1, (record.duration_us + kBucketUs - 1) / kBucketUs));
  auto bucket_of = [count](std::int64_t us) {
    return std::min(count - 1, static_cast<size_t>(std::max<std::int64_t>(0, us) / kBucketUs));
  };
  std::vector<Bucket> buckets(count);
  for (const auto& op : record.operations) {
    if (op.kind != kind) continue;
    for (size_t i = bucket_of(op.start_us); i <= bucket_of(op.end_us); ++i) {
      if (op.ok()) {
        ++buckets[i].ok;
      } else {
        ++buckets[i].failed;
        ++buckets[i].errors[error_class(op)];
      }
    }
  }
  return buckets;
}

const char* bucket_color(const Bucket& b) {
  if (b.ok == 0 && b.failed == 0) return "#e4e4e4";
  if (b.failed == 0) return "#2e9d5b";
  if (b.ok == 0) return "#d64541";
  return "#f0a030";
}

std::string lane_svg(const std::vector<Bucket>& buckets, double y, const char* label) {
  std::string out =
      fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lane\">{}</text>\n",
                  kLeft - 8, y + kLaneHeight / 2 + 4, label);
  double width = kChartWidth / static_cast<double>(buckets.size());
  for (size_t i = 0; i < buckets.size(); ++i) {
    const auto& b = buckets[i];
    std::string title =
        fmt::format("{:.1f}-{:.1f} s in flight: {} ok, {} failed", static_cast<double>(i) / 10,
                    static_cast<double>(i + 1) / 10, b.ok, b.failed);
    for (const auto& [cls, n] : b.errors) title += fmt::format("; {} x{}", cls, n);
    out += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\"><title>{}</title>"
        "</rect>\n",
        kLeft + static_cast<double>(i) * width, y, width + 0.05, kLaneHeight, bucket_color(b),
        escape(title));
  }
  return out;
}

std::string timeline_svg(const ProbeRecord& record) {
  auto reads = bucketize(record, OpKind::kRead);
  auto writes = bucketize(record, OpKind::kWrite);
  double height = 2 * kLaneHeight + 50;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"availability timeline\">\n",
      kLeft + kChartWidth + 20, height, kLeft + kChartWidth + 20, height);
  svg += lane_svg(reads, 10, "reads");
  svg += lane_svg(writes, 20 + kLaneHeight, "writes");
  double seconds = static_cast<double>(record.duration_us) / 1e6;
  double step = seconds <= 10 ? 1 : seconds <= 60 ? 5 : seconds <= 300 ? 30 : 60;
  double axis_y = 30 + 2 * kLaneHeight;
  for (double t = 0; t <= seconds + 1e-9; t += step) {
    double x = kLeft + t / std::max(seconds, 0.1) * kChartWidth;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" class=\"tick\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\" class=\"axis\">{4:g}s</text>\n",
        x, axis_y - 4, axis_y + 2, axis_y + 15, t);
  }
  return svg + "</svg>\n";
}

std::string kind_rows(const char* name, const KindStats& s) {
  return fmt::format(
      "<tr><th>{}</th><td>{:.3f}%</td><td>{:.3f}%</td><td>{}</td><td>{}</td><td>{:.2f}</td>"
      "<td>{:.2f}</td><td>{:.2f}</td><td>{:.3f} s</td></tr>\n",
      name, s.time_availability_pct, s.availability_pct, s.ok, s.total - s.ok, s.p50_ms, s.p99_ms,
      s.max_ms, static_cast<double>(s.longest_without_success_us) / 1e6);
}

std::string window_rows(const char* name, const KindStats& s) {
  std::string out;
  for (const auto& w : s.windows) {
    std::string errors;
    for (const auto& [cls, n] : w.errors)
      errors += (errors.empty() ? "" : ", ") + fmt::format("{} x{}", cls, n);
    out += fmt::format(
        "<tr><td>{}</td><td>{:.3f} s</td><td>{:.3f} s</td><td>{:.3f} s{}</td><td>{}</td></tr>\n",
        name, static_cast<double>(w.start_us) / 1e6, static_cast<double>(w.end_us) / 1e6,
        static_cast<double>(w.duration_us()) / 1e6,
        w.open_at_end ? " (still failing at the end)" : "", escape(errors));
  }
  return out;
}

}  // namespace

std::string html_report(const ProbeRecord& record, const Analysis& analysis) {
  const auto& v = record.verification;
  std::string verification = "<p>Not verified.</p>";
  if (v.done) {
    verification = fmt::format(
        "<p class=\"{}\">{} acknowledged writes, {} found on {}, <b>{} lost</b>, <b>{} "
        "duplicated</b>, {} unacknowledged writes committed anyway.</p>\n",
        v.lost.empty() && v.duplicated.empty() ? "good" : "bad", v.acknowledged, v.found,
        escape(record.verify_url), v.lost.size(), v.duplicated.size(), v.unconfirmed_present);
    if (!v.lost.empty()) {
      verification += "<p>Lost:";
      for (size_t i = 0; i < std::min<size_t>(v.lost.size(), 200); ++i) {
        verification += fmt::format(" writer {} seq {};", v.lost[i].writer, v.lost[i].seq);
      }
      verification += "</p>\n";
    }
  }
  std::string windows =
      window_rows("reads", analysis.reads) + window_rows("writes", analysis.writes);
  if (windows.empty())
    windows = "<tr><td colspan=\"5\">none: every operation kind stayed available</td></tr>\n";

  return fmt::format(
      R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>cutover probe {run_id}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
th {{ background: #f4f4f4; }}
.lane {{ font-size: 13px; fill: #333; }} .axis {{ font-size: 11px; fill: #555; }}
.tick {{ stroke: #888; }} .good {{ color: #2e7d4f; }} .bad {{ color: #b3261e; }}
.legend span {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 14px; vertical-align: -1px; }}
</style></head><body>
<h1>cutover probe</h1>
<p>{url} ({flavor}), started {started} UTC, {duration:.3f} s, {readers} readers, {writers} writers, {ops:.0f} operations/s.</p>
<h2>Timeline</h2>
<p class="legend">100 ms per bar, by the operations in flight in it:<span style="background:#2e9d5b"></span>all ok<span style="background:#f0a030"></span>some failed<span style="background:#d64541"></span>all failed<span style="background:#e4e4e4"></span>nothing ran</p>
{svg}
<h2>Availability</h2>
<table><tr><th></th><th>available (time)</th><th>operations ok</th><th>ok</th><th>failed</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>longest without success</th></tr>
{kinds}</table>
<h2>Unavailability windows</h2>
<table><tr><th>kind</th><th>from</th><th>to</th><th>duration</th><th>errors</th></tr>
{windows}</table>
<h2>Acknowledged writes</h2>
{verification}
</body></html>
)",
      fmt::arg("run_id", escape(record.run_id)), fmt::arg("url", escape(record.url)),
      fmt::arg("flavor", escape(record.flavor)), fmt::arg("started", escape(record.started_at)),
      fmt::arg("duration", static_cast<double>(record.duration_us) / 1e6),
      fmt::arg("readers", record.readers), fmt::arg("writers", record.writers),
      fmt::arg("ops", analysis.ops_per_second), fmt::arg("svg", timeline_svg(record)),
      fmt::arg("kinds", kind_rows("reads", analysis.reads) + kind_rows("writes", analysis.writes)),
      fmt::arg("windows", windows), fmt::arg("verification", verification));
}

}  // namespace cutover::probe
