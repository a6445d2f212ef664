#include "move/proxy_handoff.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "move/database_address.h"
#include "move/move_store.h"
#include "proxy/admin_client.h"

namespace cutover::move {
namespace {

constexpr std::chrono::seconds kAdminTimeout{30};

proxy::Endpoint admin_of(const MovePlan& plan) {
  return proxy::parse_admin_address(plan.proxy_admin, "the plan's proxy");
}

nlohmann::json call(MoveStepRun& run, const std::string& method, const std::string& path) {
  return proxy::admin_call(admin_of(run.record().plan), method, path,
                           kAdminTimeout + run.options().pause_timeout);
}

// The addresses a host name stands for, so that "localhost" and "127.0.0.1" compare equal.
std::set<std::string> addresses_of(const std::string& host) {
  std::set<std::string> found;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0) return found;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) ==
        0) {
      found.insert(text);
    }
  }
  freeaddrinfo(list);
  // Loopback is one machine whichever address names it.
  if (found.contains("::1") || found.contains("127.0.0.1")) found.insert("loopback");
  return found;
}

// Whether a backend of the proxy (as its /status lists it) is the server `url` names. Empty
// when it is, else why not (or why it cannot be told).
std::string same_server(const nlohmann::json& backend, const ConnectionUrl& url) {
  std::string host = backend.value("host", "");
  int port = backend.value("port", 0);
  int url_port = url.port.value_or(5432);
  if (url.host.empty() || url.host.starts_with('/')) {
    return fmt::format("{} is reached by a local socket, so cutover cannot tell whether the "
                       "proxy's backend {}:{} is the same server",
                       url_without_password(url), host, port);
  }
  auto ours = addresses_of(url.host);
  auto theirs = addresses_of(host);
  bool shared = std::any_of(ours.begin(), ours.end(), [&](const auto& a) {
    return a != "loopback" && theirs.contains(a);
  }) || (ours.contains("loopback") && theirs.contains("loopback"));
  if (shared && port == url_port) return "";
  return fmt::format("the proxy's backend '{}' is {}:{}, and the move's server is {}:{}",
                     backend.value("name", ""), host, port, url.host, url_port);
}

const nlohmann::json* backend_named(const nlohmann::json& status, const std::string& name) {
  auto backends = status.find("backends");
  if (backends == status.end() || !backends->is_array()) return nullptr;
  for (const auto& b : *backends) {
    if (b.value("name", "") == name) return &b;
  }
  return nullptr;
}

// Pauses the proxy, runs `act` once every session is between transactions (or, unless
// `require_idle`, once the pause timeout is over), and resumes whatever happens; returns how long
// the pause lasted, in milliseconds.
std::int64_t while_paused(MoveStepRun& run, const std::function<void()>& act,
                          bool require_idle = true) {
  auto paused = call(run, "POST",
                     fmt::format("/pause?timeout={}ms", run.options().pause_timeout.count()));
  try {
    if (auto busy = paused.value("busy_sessions", 0); busy > 0 && require_idle) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("{} session{} of the proxy stayed in a transaction for the whole "
                              "pause ({} ms); nothing was switched",
                              busy, busy == 1 ? "" : "s", run.options().pause_timeout.count()),
                  "run the same command again, with a longer --pause-timeout if the "
                  "application holds transactions open that long");
    }
    act();
  } catch (...) {
    try {
      call(run, "POST", "/resume");
    } catch (const Error&) {
      // The first failure is the one to report; a paused proxy resumes by itself at its hold
      // limit only for each query, so say how to resume it.
      run.say("warning", "could not resume the proxy: run cutover proxy ctl resume --admin " +
                             run.record().plan.proxy_admin);
    }
    throw;
  }
  return call(run, "POST", "/resume").value("paused_ms", std::int64_t{0});
}

void switch_sessions(MoveStepRun& run, const std::string& backend) {
  auto answer = call(run, "POST", "/switch?backend=" + backend);
  const auto& failed = answer.value("failed", nlohmann::json::array());
  if (!failed.empty()) {
    // The proxy closed those sessions (57P01): their clients reconnect, to the new backend.
    run.log("proxy",
            fmt::format("{} session{} could not be moved to '{}' and were closed: {}",
                        failed.size(), failed.size() == 1 ? "" : "s", backend, failed.dump()),
            {{"failed", failed}});
  }
}

}  // namespace

std::vector<CheckResult> proxy_checks(const MovePlan& plan) {
  std::vector<CheckResult> checks;
  const std::string fix_reach = "start cutover proxy, or give its admin address (its config's "
                                "`admin:`) to --proxy";
  nlohmann::json status;
  try {
    status = proxy::admin_call(admin_of(plan), "GET", "/status", kAdminTimeout);
  } catch (const Error& e) {
    checks.push_back({"proxy", CheckStatus::kFailed, e.message(), fix_reach});
    return checks;
  }
  std::string active = status.value("backend", "");
  if (status.value("mode", "") != "read-write" || status.value("paused", false)) {
    checks.push_back({"proxy", CheckStatus::kFailed,
                      fmt::format("the proxy at {} is {}{}: a move starts from a proxy in "
                                  "normal service",
                                  plan.proxy_admin, status.value("mode", "?"),
                                  status.value("paused", false) ? ", paused" : ""),
                      "cutover proxy ctl readwrite, then resume, if no other cutover holds it"});
  } else {
    checks.push_back({"proxy", CheckStatus::kPassed,
                      fmt::format("the proxy at {} answers: read-write, {} client session(s), "
                                  "sessions go to backend '{}'",
                                  plan.proxy_admin, status.value("clients_active", 0), active)});
  }
  const auto* from = backend_named(status, active);
  for (const auto& d : plan.databases) {
    std::string why = from ? same_server(*from, d.source) : "the proxy lists no active backend";
    checks.push_back({"proxy backends", why.empty() ? CheckStatus::kPassed : CheckStatus::kFailed,
                      why.empty() ? fmt::format("{}: reached through the proxy's backend '{}'",
                                                d.source_name(), active)
                                  : fmt::format("{}: {}", d.source_name(), why),
                      why.empty() ? "" : "the proxy must send sessions to the sources' server"});
  }
  const auto* to = backend_named(status, plan.proxy_backend);
  std::string why = !to ? fmt::format("the proxy has no backend '{}'", plan.proxy_backend)
                    : plan.proxy_backend == active
                        ? fmt::format("'{}' is the backend in use now, not the target",
                                      plan.proxy_backend)
                        : same_server(*to, plan.target);
  checks.push_back(
      {"proxy backends", why.empty() ? CheckStatus::kPassed : CheckStatus::kFailed,
       why.empty() ? fmt::format("the target is the proxy's backend '{}'", plan.proxy_backend)
                   : why,
       why.empty() ? ""
                   : "add the target server as a backend of the proxy's config (and reload it "
                     "with SIGHUP), then name it with --proxy-backend"});
  return checks;
}

void remember_proxy_backend(MoveStepRun& run) {
  if (run.record().plan.proxy_admin.empty()) return;
  if (run.store().fact(run.id(), "proxy-from")) return;
  auto status = call(run, "GET", "/status");
  std::string backend = status.value("backend", "");
  run.store().set_fact(run.id(), "proxy-from", backend);
  run.log("proxy", fmt::format("the proxy sends sessions to '{}': abort switches back to it",
                               backend),
          {{"backend", backend}});
}

std::string freeze_through_proxy(MoveStepRun& run) {
  if (auto at = run.store().fact(run.id(), "proxy-freeze")) {
    auto status = call(run, "GET", "/status");
    if (status.value("mode", "") != "read-only") {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the proxy at {} was set read-only by this move and is {} now (set "
                              "read-write, or restarted): writes may have reached the source",
                              run.record().plan.proxy_admin, status.value("mode", "?")),
                  "cutover move abort, then start the move again");
    }
    return at->get<std::string>();
  }
  // Set while paused, so that every session between transactions takes it at its next
  // statement; those still in a transaction at the pause timeout are left to the drain.
  std::string at;
  std::int64_t paused_ms = while_paused(
      run,
      [&] {
        call(run, "POST", "/readonly");
        at = utc_now();
        run.store().set_fact(run.id(), "proxy-freeze", at);
      },
      false);
  run.log("freeze",
          fmt::format("the proxy at {} is read-only (set during a pause of {} ms): each "
                      "session's next statement runs read only, and statements that would lift "
                      "it get SQLSTATE 25006",
                      run.record().plan.proxy_admin, paused_ms),
          {{"proxy", run.record().plan.proxy_admin}, {"paused_ms", paused_ms}});
  return at;
}

void switch_proxy_to_target(MoveStepRun& run) {
  const MovePlan& plan = run.record().plan;
  if (plan.proxy_admin.empty()) return;
  auto status = call(run, "GET", "/status");
  std::int64_t paused_ms = 0;
  if (status.value("backend", "") != plan.proxy_backend) {
    if (plan.freeze == FreezeMode::kProxy && status.value("mode", "") != "read-only") {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the proxy at {} is {}, not read-only as data left it (set "
                              "read-write, or restarted): writes may have reached the source "
                              "since it was copied, and a switch would lose them",
                              plan.proxy_admin, status.value("mode", "?")),
                  "cutover move abort, then start the move again");
    }
    // Read-write before the resume: no session's first statement on the target is refused.
    paused_ms = while_paused(run, [&] {
      switch_sessions(run, plan.proxy_backend);
      call(run, "POST", "/readwrite");
    });
  } else {
    // A rerun after a failure or a crash: the proxy is on the target already, maybe paused.
    call(run, "POST", "/readwrite");
    paused_ms = call(run, "POST", "/resume").value("paused_ms", std::int64_t{0});
  }
  auto after = call(run, "GET", "/status");
  run.log("switched",
          fmt::format("the proxy's sessions are on '{}', read-write; the pause held new work "
                      "for {} ms",
                      plan.proxy_backend, paused_ms),
          {{"backend", plan.proxy_backend},
           {"paused_ms", paused_ms},
           {"clients", after.value("clients_active", 0)},
           {"changes", after.value("changes", nlohmann::json::array())}});
}

void switch_proxy_back(MoveStepRun& run, const std::function<void()>& check_target) {
  const MovePlan& plan = run.record().plan;
  auto from = run.store().fact(run.id(), "proxy-from");
  if (plan.proxy_admin.empty() || !from) return;
  const std::string backend = from->get<std::string>();
  auto status = call(run, "GET", "/status");
  if (status.value("backend", "") == backend) {
    if (status.value("paused", false)) call(run, "POST", "/resume");
    return;
  }
  // Writes to the target stop first, so that the check sees all there will be.
  call(run, "POST", "/readonly");
  try {
    check_target();
  } catch (...) {
    call(run, "POST", "/readwrite");
    call(run, "POST", "/resume");
    throw;
  }
  std::int64_t paused_ms = while_paused(run, [&] { switch_sessions(run, backend); });
  run.log("switched back",
          fmt::format("the proxy's sessions are back on '{}', read-only until the sources are "
                      "unfrozen; the pause held new work for {} ms",
                      backend, paused_ms),
          {{"backend", backend}, {"paused_ms", paused_ms}});
}

void unfreeze_through_proxy(MoveStepRun& run) {
  // A switch back leaves the proxy read-only whatever the freeze was.
  if (!run.store().fact(run.id(), "proxy-freeze") && !run.store().fact(run.id(), "proxy-from")) {
    return;
  }
  call(run, "POST", "/readwrite");
  run.store().erase_facts(run.id(), "proxy-freeze");
  run.store().erase_facts(run.id(), "proxy-from");
  run.log("unfrozen", fmt::format("the proxy at {} is read-write again",
                                  run.record().plan.proxy_admin));
}

}  // namespace cutover::move
