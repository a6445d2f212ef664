// Progress of a long operation: bar on a terminal, plain lines elsewhere, JSON with --json.
#include "core/progress.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>

namespace cutover {
namespace {

using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kRateWindow = seconds(10);
constexpr int kBarWidth = 24;

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return duration<double>(b - a).count();
}

}  // namespace

std::string format_count(double n) {
  if (n < 1000) return fmt::format("{:.0f}", n);
  if (n < 1e6) return fmt::format("{:.1f}k", n / 1e3);
  if (n < 1e9) return fmt::format("{:.1f}M", n / 1e6);
  return fmt::format("{:.1f}G", n / 1e9);
}

std::string format_bytes(std::int64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string format_duration(double seconds_left) {
  auto total = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds_left)));
  std::int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

ProgressReporter::ProgressReporter(Output& output, std::string task, std::string unit,
                                   std::int64_t total, Clock clock)
    : output_(output),
      task_(std::move(task)),
      unit_(std::move(unit)),
      total_(total),
      clock_(std::move(clock)),
      start_(clock_()),
      last_draw_(start_) {
  window_.push_back({start_, 0});
}

void ProgressReporter::update(std::int64_t done, std::int64_t bytes) {
  auto now = clock_();
  done_ = done;
  bytes_ = bytes;
  window_.push_back({now, done});
  while (window_.size() > 2 && now - window_[1].at > kRateWindow) window_.pop_front();

  auto interval = output_.json()       ? milliseconds(1000)
                  : output_.terminal() ? milliseconds(100)
                                       : milliseconds(5000);
  if (now - last_draw_ >= interval) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressReporter::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

double ProgressReporter::rate() const {
  if (window_.size() < 2) return 0;
  double elapsed = seconds_between(window_.front().at, window_.back().at);
  if (elapsed <= 0) return 0;
  return static_cast<double>(window_.back().done - window_.front().done) / elapsed;
}

double ProgressReporter::eta_seconds() const {
  double r = rate();
  if (total_ <= 0 || r <= 0) return -1;
  return static_cast<double>(std::max<std::int64_t>(0, total_ - done_)) / r;
}

std::string ProgressReporter::human_line() const {
  std::string line = task_ + " ";
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    int filled = static_cast<int>(fraction * kBarWidth);
    line += "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(kBarWidth - filled), '.') + "] ";
    line +=
        fmt::format("{:3.0f}% {}/{} {}", fraction * 100, format_count(static_cast<double>(done_)),
                    format_count(static_cast<double>(total_)), unit_);
  } else {
    line += fmt::format("{} {}", format_count(static_cast<double>(done_)), unit_);
  }
  if (bytes_ >= 0) line += ", " + format_bytes(bytes_);
  if (!detail_.empty()) line += ", " + detail_;
  line += fmt::format(", {} {}/s", format_count(rate()), unit_);
  if (finished_) {
    line += ", took " + format_duration(seconds_between(start_, clock_()));
  } else if (double eta = eta_seconds(); eta >= 0) {
    line += ", ETA " + format_duration(eta);
  }
  return line;
}

void ProgressReporter::draw(bool final) {
  if (output_.json()) {
    nlohmann::json event = {
        {"event", final ? "progress_done" : "progress"},
        {"task", task_},
        {"unit", unit_},
        {"done", done_},
        {"rate", std::round(rate() * 10) / 10},
        {"elapsed_s", std::round(seconds_between(start_, clock_()) * 1000) / 1000}};
    if (total_ > 0) event["total"] = total_;
    if (bytes_ >= 0) event["bytes"] = bytes_;
    if (!detail_.empty()) event["detail"] = detail_;
    if (double eta = eta_seconds(); eta >= 0 && !final) event["eta_s"] = std::round(eta * 10) / 10;
    output_.event(event);
    return;
  }
  if (output_.terminal()) {
    output_.err() << "\r\033[K" << human_line();
    if (final) output_.err() << '\n';
    output_.err().flush();
  } else {
    output_.err() << human_line() << '\n';
  }
}

}  // namespace cutover
