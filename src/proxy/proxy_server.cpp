// The proxy process: listens for clients and for the admin API, runs every session on one
// thread, and drains on SIGTERM or SIGINT.
#include "proxy/proxy_server.h"

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <csignal>

#include "core/error.h"
#include "proxy/admin_api.h"
#include "proxy/client_session.h"
#include "proxy/proxy_state.h"
#include "proxy/secret_file.h"
#include "proxy/state_file.h"
#include "proxy/user_list.h"

namespace cutover::proxy {
namespace {

asio::ip::tcp::acceptor listen_on(asio::io_context& io, const Endpoint& at, const char* what) {
  try {
    asio::ip::tcp::resolver resolver(io);
    auto endpoint = *resolver.resolve(at.host, std::to_string(at.port)).begin();
    asio::ip::tcp::acceptor acceptor(io);
    acceptor.open(endpoint.endpoint().protocol());
    acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint.endpoint());
    acceptor.listen();
    return acceptor;
  } catch (const asio::system_error& e) {
    throw_bad_input(std::string("cannot listen on ") + at.to_string() + " for " + what + ": " +
                        e.code().message(),
                    "choose a free port in the config (`listen:` or `admin:`)");
  }
}

asio::awaitable<void> accept_clients(asio::ip::tcp::acceptor& acceptor, ProxyContext& context) {
  for (;;) {
    asio::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    auto session = std::make_shared<ClientSession>(std::move(socket), context);
    asio::co_spawn(acceptor.get_executor(), session->run(), asio::detached);
  }
}

// SIGHUP: the config and users file read again, applied in place if both are right.
void reload(const std::filesystem::path& config_file, const ConfigOverrides& overrides,
            ProxyConfig& config, UserList& users, ProxyState& state, const ProxyLog& log) {
  try {
    ProxyConfig fresh = load_proxy_config(config_file, overrides);
    UserList fresh_users = load_user_list(fresh.users_file);
    if (fresh.listen.to_string() != config.listen.to_string() ||
        fresh.admin.to_string() != config.admin.to_string() || fresh.tls_cert != config.tls_cert ||
        fresh.tls_key != config.tls_key || fresh.state_file != config.state_file) {
      log("reload",
          "listen, admin, tls and state_file take effect only after a restart; kept as they were");
      fresh.listen = config.listen;
      fresh.admin = config.admin;
      fresh.tls_cert = config.tls_cert;
      fresh.tls_key = config.tls_key;
      fresh.state_file = config.state_file;
    }
    if (fresh.backend(state.active_backend()) == nullptr) {
      log("reload_failed", "the active backend " + state.active_backend() +
                               " is not in the new config: nothing changed");
      return;
    }
    config = std::move(fresh);
    users = std::move(fresh_users);
    log("reload", "config and users file read again: " + std::to_string(config.backends.size()) +
                      " backend(s), " + std::to_string(users.size()) + " user(s)");
  } catch (const Error& e) {
    log("reload_failed", e.message() + ": nothing changed");
  }
}

// Starts `state` where the state file left it, if there is one; from then on every change of
// mode or backend is written there before it is made.
void restore_and_persist(const ProxyConfig& config, const std::filesystem::path& config_file,
                         ProxyState& state, const ProxyLog& log) {
  require_writable_state_folder(config.state_file);
  if (auto saved = read_state_file(config.state_file)) {
    if (config.backend(saved->backend) == nullptr) {
      throw_bad_input("the proxy state file " + config.state_file.string() +
                          " says the proxy was switched to backend '" + saved->backend + "' at " +
                          iso_time(saved->backend_since) + ", and " + config_file.string() +
                          " has no backend called '" + saved->backend + "'",
                      "add '" + saved->backend +
                          "' under `backends:` again; or, only if the application's data is on "
                          "the config's `active` backend (" +
                          config.active_backend + "), delete " + config.state_file.string() +
                          " to start there, read-write");
    }
    state.restore(*saved, config.state_file.string());
    std::string over = saved->backend == config.active_backend
                           ? ""
                           : "; the config's active is " + config.active_backend;
    log("restored", "restored " + std::string(mode_name(saved->mode)) + " (since " +
                        iso_time(saved->mode_since) + ") and backend " + saved->backend +
                        " (since " + iso_time(saved->backend_since) + over + ") from " +
                        config.state_file.string());
  }
  state.persist_with(
      [file = config.state_file](const DurableState& next) { write_state_file(file, next); });
}

}  // namespace

void run_proxy(const ProxyConfig& initial, const std::filesystem::path& config_file,
               const ConfigOverrides& overrides, const ProxyLog& log) {
  ProxyConfig config = initial;
  UserList users = load_user_list(config.users_file);
  if (!config.backend_passfile.empty()) {
    require_secret_file(config.backend_passfile, "the backend passfile", "backend_passfile");
  }
  asio::ssl::context client_tls(asio::ssl::context::tls_server);
  asio::ssl::context backend_tls(asio::ssl::context::tls_client);
  bool tls_enabled = !config.tls_cert.empty();
  if (tls_enabled) {
    try {
      client_tls.use_certificate_chain_file(config.tls_cert.string());
      client_tls.use_private_key_file(config.tls_key.string(), asio::ssl::context::pem);
    } catch (const asio::system_error& e) {
      throw_bad_input("cannot use the TLS certificate " + config.tls_cert.string() + " and key " +
                          config.tls_key.string() + ": " + e.code().message(),
                      "give a PEM certificate chain and its unencrypted PEM key in `tls:`");
    }
  }

  ProxyState state(config.active_backend);
  restore_and_persist(config, config_file, state, log);
  state.on_change([&log](const ModeChange& change) {
    log("mode", change.what + " at " + iso_time(change.at));
  });
  ProxyContext context{config, state, users, client_tls, tls_enabled, backend_tls, {}, 1, log};
  // Declared after what the sessions use: its destructor destroys the sessions still open
  // (after a drain that timed out), and they unregister from `context` as they go.
  asio::io_context io(1);
  auto clients = listen_on(io, config.listen, "clients");
  auto admin = listen_on(io, config.admin, "the admin API");
  asio::co_spawn(io, accept_clients(clients, context), asio::detached);
  asio::co_spawn(io, serve_admin_api(admin, context), asio::detached);
  log("listening", "clients on " + config.listen.to_string() + ", admin API on http://" +
                       config.admin.to_string() + ", backend " + state.active_backend() + ", " +
                       mode_name(state.mode()));

  // SIGTERM or SIGINT: stop accepting, let the open sessions end, then return.
  asio::signal_set signals(io, SIGTERM, SIGINT);
  asio::steady_timer drain(io);
  auto deadline = std::chrono::steady_clock::time_point::max();
  std::function<void()> wait_for_sessions = [&] {
    if (state.counters().clients_active == 0 || std::chrono::steady_clock::now() > deadline) {
      log("stopped",
          std::to_string(state.counters().clients_active) + " session(s) still open were closed");
      io.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(50));
    drain.async_wait([&](const asio::error_code&) { wait_for_sessions(); });
  };
  asio::signal_set hangups(io, SIGHUP);
  std::function<void()> wait_for_hangup = [&] {
    hangups.async_wait([&](const asio::error_code& ec, int) {
      if (ec) return;
      reload(config_file, overrides, config, users, state, log);
      wait_for_hangup();
    });
  };
  wait_for_hangup();
  signals.async_wait([&](const asio::error_code& ec, int signal) {
    if (ec) return;
    log("draining", std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                        ": no new clients; waiting for " +
                        std::to_string(state.counters().clients_active) + " session(s) to end");
    asio::error_code ignored;
    clients.close(ignored);
    admin.close(ignored);
    hangups.cancel(ignored);
    deadline = std::chrono::steady_clock::now() + config.pause_timeout;
    wait_for_sessions();
  });
  io.run();
}

}  // namespace cutover::proxy
