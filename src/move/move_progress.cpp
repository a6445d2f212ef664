// Where a move's data step stands, from what its steps recorded.
#include "move/move_progress.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace cutover::move {
namespace {

// Milliseconds since the epoch of "2026-12-03T23:06:32.123Z"; nullopt when malformed.
std::optional<double> epoch_ms(const std::string& at) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

}  // namespace

double seconds_between(const std::string& from, const std::string& to) {
  auto a = epoch_ms(from);
  auto b = epoch_ms(to);
  return a && b ? (*b - *a) / 1000.0 : 0;
}

nlohmann::json MoveProgress::to_json() const {
  return {{"frozen_since", frozen_since ? nlohmann::json(*frozen_since) : nullptr},
          {"window_end", window_end ? nlohmann::json(*window_end) : nullptr},
          {"window_seconds", window_seconds},
          {"tables_copied", tables_copied},
          {"databases_verified", databases_verified},
          {"step_running", step_running}};
}

std::string MoveProgress::describe(std::size_t databases) const {
  if (!frozen_since && tables_copied == 0) return {};
  std::string out;
  if (frozen_since) {
    out = fmt::format("frozen since {} ({:.1f} s {})", *frozen_since, window_seconds,
                      window_end ? "until finalize" : "so far");
  }
  out += fmt::format("{}{} table{} copied, {} of {} database{} verified", out.empty() ? "" : ", ",
                     tables_copied, tables_copied == 1 ? "" : "s", databases_verified, databases,
                     databases == 1 ? "" : "s");
  return out;
}

MoveProgress read_progress(MoveStore& store, const MoveRecord& record) {
  MoveProgress p;
  for (const auto& [key, value] : store.facts(record.id, "frozen:")) {
    std::string at = value.value("at", "");
    if (!at.empty() && (!p.frozen_since || at < *p.frozen_since)) p.frozen_since = at;
  }
  p.tables_copied = static_cast<int>(store.facts(record.id, "copied:").size());
  p.databases_verified = static_cast<int>(store.facts(record.id, "verified:").size());
  p.step_running = StepLock::held(store.folder_of(record.id));
  for (const auto& e : record.events) {
    if (e.step == step_name(MoveStep::kFinalized)) {
      p.window_end = e.at;
      break;
    }
  }
  if (p.frozen_since)
    p.window_seconds = seconds_between(*p.frozen_since, p.window_end.value_or(utc_now()));
  return p;
}

}  // namespace cutover::move
