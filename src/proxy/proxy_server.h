// The proxy process: listens for clients and for the admin API, runs every session on one
// thread, and drains on SIGTERM or SIGINT.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "proxy/proxy_config.h"

namespace cutover::proxy {

using ProxyLog = std::function<void(const std::string& event, const std::string& message)>;

// Runs the proxy with `config` (read from `config_file`) until SIGTERM or SIGINT, then stops
// accepting and waits for the open sessions to end (at most `config.pause_timeout`) before
// returning. SIGHUP reads `config_file` and the users file again: backends, users and limits
// change for what comes next; a change of listen or admin address needs a restart (logged);
// a file with a mistake is logged and changes nothing. Throws Error(kBadInput) before serving
// anything when the users file, the TLS files or an address cannot be used.
// `overrides` (the command line's) are applied again at each reload.
void run_proxy(const ProxyConfig& config, const std::filesystem::path& config_file,
               const ConfigOverrides& overrides, const ProxyLog& log);

}  // namespace cutover::proxy
