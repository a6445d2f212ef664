// What the proxy is doing, shared by its sessions and its admin API: the mode, the active
// backend, the log of mode changes, and the counters /metrics shows. One thread uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
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

// What survives a restart (the state file, state_file.h, holds it): the mode and the active
// backend, each with the time it last changed. Pause does not: a new process holds no session.
struct DurableState {
  ProxyMode mode = ProxyMode::kReadWrite;
  std::string backend;
  std::chrono::system_clock::time_point mode_since;
  std::chrono::system_clock::time_point backend_since;
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

  // Called with the durable state a change of mode or backend leads to, before anything
  // changes; it throws (Error) when it cannot keep it, and the change is then not made.
  void persist_with(std::function<void(const DurableState&)> persist) {
    persist_ = std::move(persist);
  }
  // Takes the mode and backend a previous process left (read from the state file `from`),
  // before any session or admin request: logged as a change, and shown by status_json().
  void restore(const DurableState& saved, const std::string& from);
  DurableState durable() const;

  ProxyMode mode() const { return mode_; }
  // Sets the mode and logs the change (unlogged when it is already the mode). Persists first,
  // even when it is already the mode (so that `ctl readwrite` rewrites the state file); throws
  // what the persist function throws, and then nothing has changed.
  void set_mode(ProxyMode mode);
  // Incremented by each change of mode: a session applies the mode when its copy is older.
  std::uint64_t mode_generation() const { return mode_generation_; }

  // Paused: sessions between transactions hold new work until resume (or their hold limit).
  bool paused() const { return paused_; }
  void set_paused(bool paused);
  // How long the current pause has lasted (0 when not paused).
  std::chrono::milliseconds paused_for() const;

  const std::string& active_backend() const { return active_backend_; }
  // As set_mode(), for the backend new sessions go to.
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
  // Persists `next`, unless no persist function is set (tests of the sessions alone).
  void persist(const DurableState& next) const;

  ProxyMode mode_ = ProxyMode::kReadWrite;
  std::chrono::system_clock::time_point mode_since_ = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point backend_since_ = mode_since_;
  std::function<void(const DurableState&)> persist_;
  struct Restored {
    DurableState state;
    std::string from;
  };
  std::optional<Restored> restored_;
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
