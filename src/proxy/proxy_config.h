// The proxy's configuration file: where it listens, its named backends, users, TLS and limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cutover::proxy {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// A PostgreSQL server the proxy can send sessions to, by name.
struct Backend {
  std::string name;
  Endpoint address;
  bool tls = false;  // TLS to the backend (sslmode=require: encrypted, certificate not checked)
};

struct ProxyConfig {
  Endpoint listen{"127.0.0.1", 6432};
  Endpoint admin{"127.0.0.1", 6433};  // the admin API; refused unless a loopback address
  std::vector<Backend> backends;
  // Where new sessions go at start, unless the state file names another; the first by default.
  std::string active_backend;
  std::filesystem::path users_file;         // PgBouncer's userlist.txt format: "name" "verifier"
  std::filesystem::path backend_passfile;   // pgpass format: the passwords for the backends
  std::filesystem::path tls_cert, tls_key;  // TLS to clients when both are set
  // Where the mode and the active backend are kept across restarts (state_file.h); beside the
  // config file by default, with its name and ".state.json" (proxy.yaml: proxy.state.json).
  std::filesystem::path state_file;
  std::chrono::milliseconds hold_limit{5000};      // how long a paused query waits at most
  std::chrono::milliseconds pause_timeout{10000};  // how long pause waits for sessions to idle
  std::size_t max_clients = 1000;
  std::size_t max_message_bytes = (std::size_t{1} << 30) - 1;  // PostgreSQL's own limit

  // The backend called `name`, or nullptr.
  const Backend* backend(const std::string& name) const;
};

// Settings given on the command line over the file's: key (as in the file) -> value.
using ConfigOverrides = std::map<std::string, std::string>;

// Reads and checks a YAML config file (see docs/proxy.md), with `overrides` in place of the
// file's values for their keys. Relative paths in it are taken from the file's folder. Throws
// Error(kBadInput) naming the file, the key and the fix for a missing or unreadable file, an
// unknown key, a bad value, no backend, an unknown active backend, a non-loopback admin
// address, or half a TLS pair.
ProxyConfig load_proxy_config(const std::filesystem::path& file,
                              const ConfigOverrides& overrides = {});

}  // namespace cutover::proxy
