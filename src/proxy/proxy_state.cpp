// What the proxy is doing, shared by its sessions and its admin API.
#include "proxy/proxy_state.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace cutover::proxy {

std::string iso_time(std::chrono::system_clock::time_point at) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()) % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(at)), ms.count());
}

const char* mode_name(ProxyMode mode) {
  return mode == ProxyMode::kReadOnly ? "read-only" : "read-write";
}

DurableState ProxyState::durable() const {
  return {mode_, active_backend_, mode_since_, backend_since_};
}

void ProxyState::persist(const DurableState& next) const {
  if (persist_) persist_(next);
}

void ProxyState::restore(const DurableState& saved, const std::string& from) {
  mode_ = saved.mode;
  mode_since_ = saved.mode_since;
  active_backend_ = saved.backend;
  backend_since_ = saved.backend_since;
  // A session applies the mode when its generation differs: new sessions start at 0.
  if (mode_ == ProxyMode::kReadOnly) ++mode_generation_;
  restored_ = Restored{saved, from};
  log_change(fmt::format("restored {} (since {}) on backend {} (since {}) from {}",
                         mode_name(mode_), iso_time(mode_since_), active_backend_,
                         iso_time(backend_since_), from));
}

void ProxyState::set_mode(ProxyMode mode) {
  DurableState next = durable();
  if (mode != mode_) {
    next.mode = mode;
    next.mode_since = std::chrono::system_clock::now();
  }
  persist(next);
  if (mode == mode_) return;
  mode_ = mode;
  mode_since_ = next.mode_since;
  ++mode_generation_;
  log_change(mode_name(mode));
}

void ProxyState::set_paused(bool paused) {
  if (paused == paused_) return;
  paused_ = paused;
  if (paused) paused_at_ = std::chrono::steady_clock::now();
  log_change(paused ? "paused" : "resumed");
}

std::chrono::milliseconds ProxyState::paused_for() const {
  if (!paused_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               paused_at_);
}

void ProxyState::set_active_backend(const std::string& name) {
  DurableState next = durable();
  if (name != active_backend_) {
    next.backend = name;
    next.backend_since = std::chrono::system_clock::now();
  }
  persist(next);
  if (name == active_backend_) return;
  active_backend_ = name;
  backend_since_ = next.backend_since;
  log_change("switched to " + name);
}

void ProxyState::log_change(std::string what) {
  changes_.push_back({std::chrono::system_clock::now(), std::move(what)});
  if (on_change_) on_change_(changes_.back());
}

nlohmann::json ProxyState::status_json() const {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : changes_) changes.push_back({{"at", iso_time(c.at)}, {"what", c.what}});
  auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
  nlohmann::json restored = nullptr;
  if (restored_) {
    const DurableState& r = restored_->state;
    restored = {{"from", restored_->from},
                {"mode", mode_name(r.mode)},
                {"mode_since", iso_time(r.mode_since)},
                {"backend", r.backend},
                {"backend_since", iso_time(r.backend_since)}};
  }
  return {{"mode", mode_name(mode_)},
          {"mode_since", iso_time(mode_since_)},
          {"paused", paused_},
          {"backend", active_backend_},
          {"backend_since", iso_time(backend_since_)},
          {"restored", restored},
          {"uptime_s", uptime.count()},
          {"clients_active", counters_.clients_active},
          {"clients_accepted", counters_.clients_accepted},
          {"changes", changes}};
}

std::string ProxyState::metrics_text() const {
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
  };
  metric("cutover_proxy_read_only", "gauge", "1 while the proxy holds sessions read-only",
         mode_ == ProxyMode::kReadOnly ? 1 : 0);
  metric("cutover_proxy_paused", "gauge", "1 while the proxy holds new work", paused_ ? 1 : 0);
  metric("cutover_proxy_clients_active", "gauge", "Client sessions open now",
         counters_.clients_active);
  metric("cutover_proxy_clients_accepted_total", "counter", "Client connections accepted",
         counters_.clients_accepted);
  metric("cutover_proxy_clients_refused_total", "counter",
         "Clients refused: over the limit, failed authentication or bad startup",
         counters_.clients_refused);
  metric("cutover_proxy_queries_total", "counter", "Query and Parse messages forwarded",
         counters_.queries);
  metric("cutover_proxy_refused_read_only_total", "counter",
         "Statements refused because they would lift read-only", counters_.refused_read_only);
  metric("cutover_proxy_client_bytes_total", "counter", "Bytes received from clients",
         counters_.bytes_from_clients);
  metric("cutover_proxy_server_bytes_total", "counter", "Bytes received from servers",
         counters_.bytes_from_servers);
  metric("cutover_proxy_mode_changes_total", "counter", "Changes of mode since start",
         changes_.size());
  return out;
}

}  // namespace cutover::proxy
