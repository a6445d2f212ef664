#include "move/proxy_handoff.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "core/error.h"
#include "move/database_address.h"
#include "move/move_store.h"
#include "proxy/admin_client.h"

namespace cutover::move {
namespace {

constexpr std::chrono::seconds kAdminTimeout{30};

nlohmann::json call(MoveStepRun& run, const std::string& admin, const std::string& method,
                    const std::string& path) {
  return proxy::admin_call(proxy::parse_admin_address(admin, "the plan's proxy"), method, path,
                           kAdminTimeout + run.options().pause_timeout);
}

// A request to each proxy at once (a pause of one should not wait for another's): `paths`
// maps each admin address to its path. Their answers by address; throws the first failure
// once every call has ended.
std::map<std::string, nlohmann::json> call_each(MoveStepRun& run, const std::string& method,
                                                const std::map<std::string, std::string>& paths) {
  std::map<std::string, std::future<nlohmann::json>> calls;
  for (const auto& [admin, path] : paths) {
    calls[admin] = std::async(std::launch::async,
                              [&run, admin, method, path] { return call(run, admin, method, path); });
  }
  std::map<std::string, nlohmann::json> answers;
  std::exception_ptr failure;
  for (auto& [admin, answer] : calls) {
    try {
      answers[admin] = answer.get();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return answers;
}

// The same request to every proxy of the plan.
std::map<std::string, nlohmann::json> call_all(MoveStepRun& run, const std::string& method,
                                               const std::string& path) {
  std::map<std::string, std::string> paths;
  for (const auto& admin : run.record().plan.proxy_admins) paths[admin] = path;
  return call_each(run, method, paths);
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

// Pauses every proxy, runs `act` once every session is between transactions (or, unless
// `require_idle`, once the pause timeout is over), and resumes them whatever happens; returns
// the longest pause, in milliseconds.
std::int64_t while_paused(MoveStepRun& run, const std::function<void()>& act,
                          bool require_idle = true) {
  try {
    auto paused =
        call_all(run, "POST", fmt::format("/pause?timeout={}ms", run.options().pause_timeout.count()));
    std::int64_t busy = 0;
    for (const auto& [admin, answer] : paused) busy += answer.value("busy_sessions", 0);
    if (busy > 0 && require_idle) {
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
      call_all(run, "POST", "/resume");
    } catch (const Error&) {
      // The first failure is the one to report; say how to resume by hand.
      run.say("warning", "could not resume every proxy: run cutover proxy ctl resume --admin "
                         "ADDRESS for each of them");
    }
    throw;
  }
  std::int64_t longest = 0;
  for (const auto& [admin, answer] : call_all(run, "POST", "/resume")) {
    longest = std::max(longest, answer.value("paused_ms", std::int64_t{0}));
  }
  return longest;
}

// POSTs /ACTION?backend=B to each proxy of `to` (admin address -> backend) at once: "prepare"
// (every session logs in to B beside its server, so that the switch's pause is shorter) or
// "switch". Logs the sessions a proxy could not act on.
void on_each_proxy(MoveStepRun& run, const std::map<std::string, std::string>& to,
                   const std::string& action) {
  std::map<std::string, std::string> paths;
  for (const auto& [admin, backend] : to) paths[admin] = "/" + action + "?backend=" + backend;
  auto answers = call_each(run, "POST", paths);
  // Logged here, on the step's own thread: the store and the output are not shared.
  for (const auto& [admin, backend] : to) {
    const auto failed = answers[admin].value("failed", nlohmann::json::array());
    if (failed.empty()) continue;
    run.log("proxy",
            fmt::format("{}: {} session{} {}: {}", admin, failed.size(),
                        failed.size() == 1 ? "" : "s",
                        action == "switch"
                            ? "could not be moved to '" + backend +
                                  "' and were closed (57P01): their clients reconnect there"
                            : "could not log in to '" + backend +
                                  "' ahead of the switch, and will during it",
                        failed.dump()),
            {{"proxy", admin}, {"failed", failed}});
  }
}

// The checks of one proxy.
void check_proxy(const MovePlan& plan, const std::string& admin, std::vector<CheckResult>& checks) {
  nlohmann::json status;
  try {
    status = proxy::admin_call(proxy::parse_admin_address(admin, "--proxy"), "GET", "/status",
                               kAdminTimeout);
  } catch (const Error& e) {
    checks.push_back({"proxy", CheckStatus::kFailed, e.message(),
                      "start cutover proxy, or give its admin address (its config's `admin:`) "
                      "to --proxy"});
    return;
  }
  std::string active = status.value("backend", "");
  if (status.value("mode", "") != "read-write" || status.value("paused", false)) {
    checks.push_back({"proxy", CheckStatus::kFailed,
                      fmt::format("the proxy at {} is {}{}: a move starts from a proxy in "
                                  "normal service",
                                  admin, status.value("mode", "?"),
                                  status.value("paused", false) ? ", paused" : ""),
                      "cutover proxy ctl readwrite, then resume, if no other cutover holds it"});
  } else {
    checks.push_back({"proxy", CheckStatus::kPassed,
                      fmt::format("the proxy at {} answers: read-write, {} client session(s), "
                                  "sessions go to backend '{}'",
                                  admin, status.value("clients_active", 0), active)});
  }
  const auto* from = backend_named(status, active);
  for (const auto& d : plan.databases) {
    std::string why = from ? same_server(*from, d.source) : "the proxy lists no active backend";
    checks.push_back({"proxy backends", why.empty() ? CheckStatus::kPassed : CheckStatus::kFailed,
                      why.empty() ? fmt::format("{}: {} reaches it through backend '{}'",
                                                d.source_name(), admin, active)
                                  : fmt::format("{}: {}: {}", d.source_name(), admin, why),
                      why.empty() ? "" : "the proxy must send sessions to the sources' server"});
  }
  const auto* to = backend_named(status, plan.proxy_backend);
  std::string why = !to ? fmt::format("the proxy at {} has no backend '{}'", admin,
                                      plan.proxy_backend)
                    : plan.proxy_backend == active
                        ? fmt::format("'{}' is the backend {} uses now, not the target",
                                      plan.proxy_backend, admin)
                        : same_server(*to, plan.target);
  checks.push_back(
      {"proxy backends", why.empty() ? CheckStatus::kPassed : CheckStatus::kFailed,
       why.empty() ? fmt::format("the target is backend '{}' of {}", plan.proxy_backend, admin)
                   : why,
       why.empty() ? ""
                   : "add the target server as a backend of the proxy's config (and reload it "
                     "with SIGHUP), then name it with --proxy-backend"});
}

}  // namespace

std::vector<CheckResult> proxy_checks(const MovePlan& plan) {
  std::vector<CheckResult> checks;
  for (const auto& admin : plan.proxy_admins) check_proxy(plan, admin, checks);
  return checks;
}

void remember_proxy_backend(MoveStepRun& run) {
  if (run.record().plan.proxy_admins.empty()) return;
  if (run.store().fact(run.id(), "proxy-from")) return;
  nlohmann::json from = nlohmann::json::object();
  for (const auto& [admin, status] : call_all(run, "GET", "/status")) {
    from[admin] = status.value("backend", "");
  }
  run.store().set_fact(run.id(), "proxy-from", from);
  run.log("proxy", fmt::format("the proxies' backends: {}; abort switches back to them",
                               from.dump()),
          {{"backends", from}});
}

std::string freeze_through_proxy(MoveStepRun& run) {
  if (auto at = run.store().fact(run.id(), "proxy-freeze")) {
    for (const auto& [admin, status] : call_all(run, "GET", "/status")) {
      if (status.value("mode", "") == "read-only") continue;
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the proxy at {} was set read-only by this move and is {} now (set "
                              "read-write, or restarted): writes may have reached the source",
                              admin, status.value("mode", "?")),
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
        call_all(run, "POST", "/readonly");
        at = utc_now();
        run.store().set_fact(run.id(), "proxy-freeze", at);
      },
      false);
  run.log("freeze",
          fmt::format("the prox{} read-only (set during a pause of {} ms): each session's next "
                      "statement runs read only, and statements that would lift it get SQLSTATE "
                      "25006",
                      run.record().plan.proxy_admins.size() == 1 ? "y is" : "ies are", paused_ms),
          {{"proxies", run.record().plan.proxy_admins}, {"paused_ms", paused_ms}});
  return at;
}

void switch_proxy_to_target(MoveStepRun& run) {
  const MovePlan& plan = run.record().plan;
  if (plan.proxy_admins.empty()) return;
  std::map<std::string, std::string> to_switch;
  for (const auto& [admin, status] : call_all(run, "GET", "/status")) {
    if (status.value("backend", "") == plan.proxy_backend) continue;  // a rerun
    if (plan.freeze == FreezeMode::kProxy && status.value("mode", "") != "read-only") {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the proxy at {} is {}, not read-only as data left it (set "
                              "read-write, or restarted): writes may have reached the source "
                              "since it was copied, and a switch would lose them",
                              admin, status.value("mode", "?")),
                  "cutover move abort, then start the move again");
    }
    to_switch[admin] = plan.proxy_backend;
  }
  std::int64_t paused_ms = 0;
  if (!to_switch.empty()) {
    on_each_proxy(run, to_switch, "prepare");
    // Read-write before the resume: no session's first statement on the target is refused.
    paused_ms = while_paused(run, [&] {
      on_each_proxy(run, to_switch, "switch");
      call_all(run, "POST", "/readwrite");
    });
  } else {
    // A rerun after a failure or a crash: every proxy is on the target already, maybe paused.
    call_all(run, "POST", "/readwrite");
    for (const auto& [admin, answer] : call_all(run, "POST", "/resume")) {
      paused_ms = std::max(paused_ms, answer.value("paused_ms", std::int64_t{0}));
    }
  }
  nlohmann::json sessions = nlohmann::json::object();
  for (const auto& [admin, status] : call_all(run, "GET", "/status")) {
    sessions[admin] = status.value("clients_active", 0);
  }
  run.log("switched",
          fmt::format("the proxies' sessions are on '{}', read-write; the pause held new work "
                      "for {} ms",
                      plan.proxy_backend, paused_ms),
          {{"backend", plan.proxy_backend}, {"paused_ms", paused_ms}, {"sessions", sessions}});
}

void switch_proxy_back(MoveStepRun& run, const std::function<void()>& check_target) {
  const MovePlan& plan = run.record().plan;
  auto from = run.store().fact(run.id(), "proxy-from");
  if (plan.proxy_admins.empty() || !from) return;
  std::map<std::string, std::string> to_switch;
  for (const auto& [admin, status] : call_all(run, "GET", "/status")) {
    std::string backend = from->value(admin, "");
    if (!backend.empty() && status.value("backend", "") != backend) to_switch[admin] = backend;
  }
  if (to_switch.empty()) {
    call_all(run, "POST", "/resume");  // a rerun after a crash while paused
    return;
  }
  // Writes to the target stop first, so that the check sees all there will be.
  call_all(run, "POST", "/readonly");
  try {
    check_target();
  } catch (...) {
    call_all(run, "POST", "/readwrite");
    throw;
  }
  on_each_proxy(run, to_switch, "prepare");
  std::int64_t paused_ms = while_paused(run, [&] { on_each_proxy(run, to_switch, "switch"); });
  run.log("switched back",
          fmt::format("the proxies' sessions are back where they were, read-only until the "
                      "sources are unfrozen; the pause held new work for {} ms",
                      paused_ms),
          {{"backends", *from}, {"paused_ms", paused_ms}});
}

void unfreeze_through_proxy(MoveStepRun& run) {
  // A switch back leaves the proxies read-only whatever the freeze was.
  if (!run.store().fact(run.id(), "proxy-freeze") && !run.store().fact(run.id(), "proxy-from")) {
    return;
  }
  call_all(run, "POST", "/readwrite");
  run.store().erase_facts(run.id(), "proxy-freeze");
  run.store().erase_facts(run.id(), "proxy-from");
  run.log("unfrozen", "the proxies are read-write again",
          {{"proxies", run.record().plan.proxy_admins}});
}

}  // namespace cutover::move
