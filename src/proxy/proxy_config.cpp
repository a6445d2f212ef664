// The proxy's configuration file: where it listens, its named backends, users, TLS and limits.
#include "proxy/proxy_config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>

#include "core/duration.h"
#include "core/error.h"

namespace cutover::proxy {
namespace {

class ConfigReader {
 public:
  explicit ConfigReader(std::filesystem::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem,
                         const std::string& fix) const {
    throw_bad_input(file_.string() + ": " + key + ": " + problem, fix);
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(key, "must be a single value", "write it as `" + key + ": VALUE`");
    return node.as<std::string>();
  }

  // HOST:PORT, or [IPV6]:PORT.
  Endpoint endpoint(const YAML::Node& node, const std::string& key) const {
    std::string value = text(node, key);
    auto colon = value.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        std::from_chars(value.data() + colon + 1, value.data() + value.size(), port).ec !=
            std::errc{} ||
        port <= 0 || port > 65535) {
      fail(key, "'" + value + "' is not HOST:PORT", "for example `" + key + ": 127.0.0.1:6432`");
    }
    std::string host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    return {host, port};
  }

  bool flag(const YAML::Node& node, const std::string& key) const {
    std::string value = text(node, key);
    if (value == "true" || value == "yes" || value == "on") return true;
    if (value == "false" || value == "no" || value == "off") return false;
    fail(key, "'" + value + "' is not true or false", "write `" + key + ": true` or `false`");
  }

  std::filesystem::path path(const YAML::Node& node, const std::string& key) const {
    std::filesystem::path p = text(node, key);
    return p.is_absolute() ? p : file_.parent_path() / p;
  }

  std::chrono::milliseconds duration(const YAML::Node& node, const std::string& key) const {
    return parse_duration(text(node, key), file_.string() + ": " + key);
  }

  std::size_t count(const YAML::Node& node, const std::string& key) const {
    std::string value = text(node, key);
    std::size_t n = 0;
    if (std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc{} || n == 0) {
      fail(key, "'" + value + "' is not a positive whole number", "for example `" + key + ": 100`");
    }
    return n;
  }

  Backend backend(const std::string& name, const YAML::Node& node) const {
    std::string key = "backends." + name;
    if (node.IsScalar()) return {name, endpoint(node, key)};
    if (!node.IsMap()) fail(key, "must be HOST:PORT or a map", "see docs/proxy.md");
    Backend b{name, {}};
    bool has_address = false;
    for (const auto& item : node) {
      std::string field = item.first.as<std::string>();
      if (field == "address") {
        b.address = endpoint(item.second, key + ".address");
        has_address = true;
      } else if (field == "tls") {
        b.tls = flag(item.second, key + ".tls");
      } else {
        fail(key + "." + field, "unknown key", "a backend has `address` and `tls`");
      }
    }
    if (!has_address) fail(key, "has no address", "add `address: HOST:PORT`");
    return b;
  }

 private:
  std::filesystem::path file_;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

const Backend* ProxyConfig::backend(const std::string& name) const {
  for (const auto& b : backends) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

ProxyConfig load_proxy_config(const std::filesystem::path& file,
                              const ConfigOverrides& overrides) {
  ConfigReader reader(file);
  YAML::Node root;
  if (!std::filesystem::is_regular_file(file)) {
    throw_bad_input("the proxy config " + file.string() + " is not a file",
                    "give an existing YAML file with --config (see docs/proxy.md)");
  }
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw_bad_input("cannot read the proxy config " + file.string(),
                    "give an existing YAML file with --config (see docs/proxy.md)");
  } catch (const YAML::Exception& e) {
    throw_bad_input(file.string() + ": not valid YAML: " + e.what(), "see docs/proxy.md");
  }
  if (!root.IsMap()) reader.fail("(top)", "must be a map of settings", "see docs/proxy.md");
  for (const auto& [key, value] : overrides) root[key] = value;

  ProxyConfig config;
  for (const auto& item : root) {
    std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    if (key == "listen") {
      config.listen = reader.endpoint(value, key);
    } else if (key == "admin") {
      config.admin = reader.endpoint(value, key);
    } else if (key == "backends") {
      if (!value.IsMap() || value.size() == 0) {
        reader.fail(key, "must name at least one backend", "backends: {old: 127.0.0.1:5432}");
      }
      for (const auto& b : value) {
        std::string name = b.first.as<std::string>();
        if (config.backend(name) != nullptr) {
          reader.fail("backends." + name, "named twice", "give each backend its own name");
        }
        config.backends.push_back(reader.backend(name, b.second));
      }
    } else if (key == "active") {
      config.active_backend = reader.text(value, key);
    } else if (key == "users") {
      config.users_file = reader.path(value, key);
    } else if (key == "backend_passfile") {
      config.backend_passfile = reader.path(value, key);
    } else if (key == "state_file") {
      config.state_file = reader.path(value, key);
    } else if (key == "tls") {
      if (!value.IsMap()) reader.fail(key, "must be a map", "tls: {cert: FILE, key: FILE}");
      for (const auto& t : value) {
        std::string field = t.first.as<std::string>();
        if (field == "cert") {
          config.tls_cert = reader.path(t.second, "tls.cert");
        } else if (field == "key") {
          config.tls_key = reader.path(t.second, "tls.key");
        } else {
          reader.fail("tls." + field, "unknown key", "tls has `cert` and `key`");
        }
      }
    } else if (key == "hold_limit") {
      config.hold_limit = reader.duration(value, key);
    } else if (key == "pause_timeout") {
      config.pause_timeout = reader.duration(value, key);
    } else if (key == "max_clients") {
      config.max_clients = reader.count(value, key);
    } else if (key == "max_message_bytes") {
      config.max_message_bytes = reader.count(value, key);
    } else {
      reader.fail(key, "unknown key",
                  "the keys are listen, admin, backends, active, users, backend_passfile, "
                  "state_file, tls, hold_limit, pause_timeout, max_clients, max_message_bytes");
    }
  }

  if (config.backends.empty()) {
    reader.fail("backends", "missing", "name at least one: backends: {old: 127.0.0.1:5432}");
  }
  if (config.active_backend.empty()) config.active_backend = config.backends.front().name;
  if (config.state_file.empty()) {
    config.state_file = file.parent_path() / (file.stem().string() + ".state.json");
  }
  config.state_file = std::filesystem::absolute(config.state_file);  // as logs and /status show it
  if (config.backend(config.active_backend) == nullptr) {
    reader.fail("active", "no backend is called '" + config.active_backend + "'",
                "name one of the backends");
  }
  if (config.users_file.empty()) {
    reader.fail("users", "missing",
                "clients must authenticate: give a userlist file, one `\"name\" \"verifier\"` per "
                "line (SCRAM-SHA-256 or md5 verifiers, as pg_authid holds them)");
  }
  if (!is_loopback(config.admin.host)) {
    reader.fail("admin", "'" + config.admin.host + "' is not a loopback address",
                "the admin API has no authentication: keep it on 127.0.0.1");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    reader.fail("tls", "needs both cert and key", "give both files, or neither");
  }
  return config;
}

}  // namespace cutover::proxy
