// What the proxy is doing, shared by its sessions and its admin API: the mode, the active
// backend, the log of mode changes, and the counters /metrics shows. One thread uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cutover::proxy {

enum class ProxyMode { kReadWrite, kReadOnly };

const char* mode_name(ProxyMode mode);

// "2026-12-04T17:50:01.123Z": the times of the log and of /status.
std::string iso_time(std::chrono::system_clock::time_point at);

// One change of mode, as /status and the log show it.
struct ModeChange {
  std::chrono::system_clock::time_point at;
  std::string what;  // "read-only", "read-write", "paused", "resumed", "switched to NAME"
};

struct ProxyCounters {
  std::uint64_t clients_accepted = 0;
  std::uint64_t clients_active = 0;
  std::uint64_t clients_refused = 0;    // over max_clients, failed authentication, bad startup
  std::uint64_t queries = 0;            // Query and Parse messages forwarded
  std::uint64_t refused_read_only = 0;  // statements refused because they lift read-only
  std::uint64_t bytes_from_clients = 0;
  std::uint64_t bytes_from_servers = 0;
};

class ProxyState {
 public:
  explicit ProxyState(std::string active_backend) : active_backend_(std::move(active_backend)) {}

  ProxyMode mode() const { return mode_; }
  // Sets the mode and logs the change (a no-op, unlogged, when it is already the mode).
  void set_mode(ProxyMode mode);
  // Incremented by each change of mode: a session applies the mode when its copy is older.
  std::uint64_t mode_generation() const { return mode_generation_; }

  // Paused: sessions between transactions hold new work until resume (or their hold limit).
  bool paused() const { return paused_; }
  void set_paused(bool paused);
  // How long the current pause has lasted (0 when not paused).
  std::chrono::milliseconds paused_for() const;

  const std::string& active_backend() const { return active_backend_; }
  void set_active_backend(const std::string& name);

  ProxyCounters& counters() { return counters_; }
  const std::vector<ModeChange>& changes() const { return changes_; }
  void log_change(std::string what);
  // Called with each change as it is logged (the process log prints it).
  void on_change(std::function<void(const ModeChange&)> sink) { on_change_ = std::move(sink); }

  nlohmann::json status_json() const;
  // The Prometheus text exposition format.
  std::string metrics_text() const;

 private:
  ProxyMode mode_ = ProxyMode::kReadWrite;
  bool paused_ = false;
  std::chrono::steady_clock::time_point paused_at_;
  std::uint64_t mode_generation_ = 0;
  std::string active_backend_;
  ProxyCounters counters_;
  std::vector<ModeChange> changes_;
  std::function<void(const ModeChange&)> on_change_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace cutover::proxy
