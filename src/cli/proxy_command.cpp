// `cutover proxy`: the PostgreSQL wire-protocol proxy, its control commands, and verifiers for
// its users file.
#include "cli/proxy_command.h"

#include <unistd.h>

#include <asio.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/error.h"
#include "core/password_file.h"
#include "proxy/admin_client.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_server.h"
#include "proxy/scram.h"

namespace cutover::cli {
namespace {

struct ProxyCliOptions {
  std::string config;
  std::string admin;  // for ctl: HOST:PORT, else the config's, else 127.0.0.1:6433
  std::string action;
  std::string backend;  // for ctl switch
  std::string timeout;  // for ctl pause
  std::string user;
  std::string password_file;
  proxy::ConfigOverrides overrides;  // --listen, --active, ... over the config file's
};

int run_proxy_server(const ProxyCliOptions& o, Output& output) {
  if (o.config.empty()) {
    throw_bad_input("cutover proxy needs --config FILE",
                    "see `cutover proxy --help` and docs/proxy.md for the file's keys");
  }
  proxy::ProxyConfig config = proxy::load_proxy_config(o.config, o.overrides);
  proxy::run_proxy(config, o.config, o.overrides,
                   [&output](const std::string& event, const std::string& message) {
                     if (output.json()) {
                       output.event({{"event", event}, {"message", message}});
                     } else {
                       output.err() << "proxy: " << message << std::endl;
                     }
                   });
  return 0;
}

int run_ctl(const ProxyCliOptions& o, Output& output) {
  proxy::Endpoint admin{"127.0.0.1", 6433};
  if (!o.config.empty()) admin = proxy::load_proxy_config(o.config).admin;
  if (!o.admin.empty()) admin = proxy::parse_admin_address(o.admin, "--admin");
  bool get = o.action == "status" || o.action == "metrics";
  std::string path = "/" + o.action;
  if (o.action == "switch" || o.action == "prepare") {
    if (o.backend.empty())
      throw_bad_input("ctl " + o.action + " needs --backend NAME", "name a backend of the config");
    path += "?backend=" + o.backend;
  }
  if (o.action == "pause" && !o.timeout.empty()) path += "?timeout=" + o.timeout;
  if (o.action == "metrics") {
    auto [status, body] = proxy::admin_request(admin, "GET", path);
    if (status != 200) {
      throw Error(ErrorCode::kOperationFailed,
                  "the proxy refused metrics (HTTP " + std::to_string(status) + "): " + body);
    }
    output.out() << body;
    return 0;
  }
  auto answer = proxy::admin_call(admin, get ? "GET" : "POST", path);
  if (output.json()) {
    output.event({{"event", o.action}, {"result", answer}});
  } else if (o.action != "status") {
    output.out() << answer.dump() << "\n";
  } else {
    const auto& s = answer;
    output.out() << "mode " << s.value("mode", "?") << ", backend " << s.value("backend", "?")
                 << ", " << s.value("clients_active", 0) << " client session(s)";
    if (s.contains("restored") && s["restored"].is_object()) {
      output.out() << "; restored at start from " << s["restored"].value("from", "?");
    }
    output.out() << "\n";
  }
  return 0;
}

int run_passwd(const ProxyCliOptions& o, Output& output) {
  std::string password;
  if (!o.password_file.empty()) {
    password = read_password_file(o.password_file);
  } else {
    if (isatty(0)) output.err() << "password for " << o.user << ": " << std::flush;
    std::getline(std::cin, password);
  }
  if (password.empty())
    throw_bad_input("empty password", "type it on stdin or use --password-file");
  auto verifier = proxy::make_scram_verifier(password);
  if (!verifier) throw Error(ErrorCode::kOperationFailed, "no random bytes for the salt");
  std::string quoted;
  for (char c : o.user) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  output.out() << "\"" << quoted << "\" \"" << *verifier << "\"\n";
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<ProxyCliOptions>();
  auto* cmd = app.add_subcommand(
      "proxy",
      "Run a PostgreSQL wire-protocol proxy that can hold every session read-only (reads go on) "
      "without an application restart");
  cmd->footer(
      "\nClients connect to the proxy as to PostgreSQL and authenticate against its users file\n"
      "(SCRAM-SHA-256 or md5 verifiers); the proxy logs in to the active backend with the\n"
      "password of its backend_passfile (pgpass format), one server connection per client.\n"
      "In read-only mode every session's next transaction runs read only on the server, and a\n"
      "statement that would lift it (SET default_transaction_read_only, BEGIN READ WRITE,\n"
      "RESET ALL, set_config(...), DO, ...) fails with SQLSTATE 25006, as a write does.\n"
      "\nExamples:\n"
      "  cutover proxy --config proxy.yaml                 # serve until SIGTERM (drains)\n"
      "  cutover proxy --config proxy.yaml --listen 0.0.0.0:6432 --max-clients 200\n"
      "  cutover proxy ctl readonly --config proxy.yaml    # POST /readonly on the admin API\n"
      "  cutover proxy ctl status --admin 127.0.0.1:6433\n"
      "  cutover proxy ctl prepare --backend new && cutover proxy ctl pause --timeout 2s \\\n"
      "    && cutover proxy ctl switch --backend new && cutover proxy ctl resume\n"
      "                                   # move every session, no restart (prepare: log in\n"
      "                                   # there first, so that the pause is shorter)\n"
      "  cutover proxy passwd app >> userlist.txt          # a verifier line for the users file\n"
      "\nThe mode and the active backend are kept in a state file (state_file, --state-file) and\n"
      "restored at start; pause is not. Delete the file, with the proxy stopped, to start from\n"
      "the config's `active` backend, read-write.\n"
      "\nSee docs/proxy.md for the config file. Exit codes: 0 stopped cleanly, 2 bad config or\n"
      "state file.");
  cmd->add_option("--config", o->config, "The proxy's YAML config file");
  // Each over the config file's key of the same name (kept at SIGHUP reloads).
  for (const auto& [flag, key, help] :
       {std::tuple{"--listen", "listen", "HOST:PORT clients connect to"},
        std::tuple{"--admin-listen", "admin", "HOST:PORT of the admin API (loopback only)"},
        std::tuple{"--active", "active", "The backend new sessions go to at start"},
        std::tuple{"--max-clients", "max_clients", "Client sessions at most"},
        std::tuple{"--hold-limit", "hold_limit", "How long a paused query waits at most (5s)"},
        std::tuple{"--pause-timeout", "pause_timeout",
                   "How long pause (and SIGTERM's drain) waits for sessions to idle (10s)"}}) {
    cmd->add_option_function<std::string>(
        flag, [o, key = std::string(key)](const std::string& value) { o->overrides[key] = value; },
        std::string(help) + "; over the config file's " + key);
  }
  cmd->add_option_function<std::string>(
      "--state-file",
      [o](const std::string& value) {
        o->overrides["state_file"] = std::filesystem::absolute(value).string();
      },
      "Where the mode and the active backend are kept across restarts; over the config file's "
      "state_file (default: beside the config, proxy.yaml -> proxy.state.json)");
  cmd->require_subcommand(0, 1);
  cmd->callback([o, &run, cmd] {
    if (cmd->get_subcommands().empty()) {
      run = [o](Output& output) { return run_proxy_server(*o, output); };
    }
  });

  auto* ctl = cmd->add_subcommand("ctl", "Change or read a running proxy's mode");
  ctl->add_option("action", o->action,
                  "status, metrics, readonly, readwrite, pause, resume, prepare or switch")
      ->required()
      ->check(CLI::IsMember({"status", "metrics", "readonly", "readwrite", "pause", "resume",
                             "prepare", "switch"}));
  ctl->add_option("--backend", o->backend,
                  "switch: the backend to move every session to; prepare: the backend to log "
                  "every session in to ahead of that switch");
  ctl->add_option("--timeout", o->timeout,
                  "pause: how long to wait for sessions to finish their transactions");
  ctl->add_option("--admin", o->admin, "The admin API's HOST:PORT (default: the config's)");
  ctl->add_option("--config", o->config, "Read the admin address from this config file");
  ctl->callback([o, &run] { run = [o](Output& output) { return run_ctl(*o, output); }; });

  auto* passwd = cmd->add_subcommand(
      "passwd", "Print a users-file line with a SCRAM-SHA-256 verifier (password read from stdin)");
  passwd->add_option("user", o->user, "The user name")->required();
  add_password_file_option(*passwd, o->password_file);
  passwd->callback([o, &run] { run = [o](Output& output) { return run_passwd(*o, output); }; });
}

}  // namespace cutover::cli
