// The operations behind the admin API that act on every session: pause, resume, switch.
#include "proxy/proxy_control.h"

#include <vector>

#include "core/error.h"

namespace cutover::proxy {
namespace {

std::vector<std::shared_ptr<ClientSession>> live_sessions(ProxyContext& context) {
  std::vector<std::shared_ptr<ClientSession>> out;
  for (auto& [id, weak] : context.sessions) {
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

std::int64_t busy_sessions(ProxyContext& context) {
  std::int64_t busy = 0;
  for (const auto& session : live_sessions(context)) {
    if (!session->between_transactions()) ++busy;
  }
  return busy;
}

using SessionOperation = std::function<asio::awaitable<std::string>(ClientSession&)>;

struct SessionOutcomes {
  std::int64_t done = 0;
  nlohmann::json failed = nlohmann::json::array();  // [{"session", "error"}]
};

// Runs `operation` on every live session at once and waits for all. (Callers pass a named
// operation and take the result into a named variable: GCC 12 mishandles temporaries and
// structured bindings around co_await, here a double free.)
asio::awaitable<SessionOutcomes> on_every_session(ProxyContext& context,
                                                  const SessionOperation& operation) {
  SessionOutcomes outcomes;
  auto sessions = live_sessions(context);
  std::size_t pending = sessions.size();
  asio::steady_timer all_done(co_await asio::this_coro::executor,
                              std::chrono::steady_clock::time_point::max());
  for (const auto& session : sessions) {
    asio::co_spawn(all_done.get_executor(), operation(*session),
                   [&, session](std::exception_ptr, std::string error) {
                     if (error.empty()) {
                       ++outcomes.done;
                     } else {
                       outcomes.failed.push_back(
                           {{"session", session->process_id()}, {"error", error}});
                     }
                     if (--pending == 0) all_done.cancel();
                   });
  }
  if (pending > 0) {
    asio::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return outcomes;
}

}  // namespace

asio::awaitable<nlohmann::json> pause_sessions(ProxyContext& context,
                                               std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  context.state.set_paused(true);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::int64_t busy = busy_sessions(context);
  while (busy > 0 && std::chrono::steady_clock::now() - start < timeout) {
    timer.expires_after(std::chrono::milliseconds(2));
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    busy = busy_sessions(context);
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (busy > 0) {
    context.log("pause_timeout", std::to_string(busy) +
                                     " session(s) still in a transaction after " +
                                     std::to_string(waited.count()) + " ms");
  }
  co_return nlohmann::json{
      {"paused", true}, {"waited_ms", waited.count()}, {"busy_sessions", busy}};
}

nlohmann::json resume_sessions(ProxyContext& context) {
  std::int64_t paused_ms = context.state.paused_for().count();
  context.state.set_paused(false);
  for (const auto& session : live_sessions(context)) {
    session->discard_prepared();  // a switch that was prepared and did not happen
    session->wake();
  }
  return {{"resumed", true}, {"paused_ms", paused_ms}};
}

asio::awaitable<nlohmann::json> switch_sessions(ProxyContext& context, const std::string& backend) {
  const Backend* found = context.config.backend(backend);
  if (found == nullptr)
    co_return nlohmann::json{{"error", "no backend is called '" + backend + "'"}};
  if (!context.state.paused()) {
    co_return nlohmann::json{
        {"error", "pause first: a switch moves sessions between transactions"}};
  }
  if (auto busy = busy_sessions(context); busy > 0) {
    co_return nlohmann::json{{"error", std::to_string(busy) +
                                           " session(s) still in a transaction: pause again with "
                                           "a longer timeout, or resume"}};
  }
  Backend to = *found;  // a copy: a reload may replace the config meanwhile
  // New logins go to the new backend from now on; one that began before moves itself once
  // logged in (ClientSession::open_first_backend). Persisted first: when it cannot be, no
  // session is moved.
  std::string not_kept;
  try {
    context.state.set_active_backend(backend);
  } catch (const Error& e) {
    not_kept = e.message() + " (" + e.hint() + ")";
  }
  if (!not_kept.empty()) co_return nlohmann::json{{"error", not_kept}};
  SessionOperation move_one = [to](ClientSession& session) { return session.switch_backend(to); };
  SessionOutcomes outcomes = co_await on_every_session(context, move_one);
  co_return nlohmann::json{
      {"switched", outcomes.done}, {"failed", outcomes.failed}, {"backend", backend}};
}

asio::awaitable<nlohmann::json> prepare_sessions(ProxyContext& context,
                                                 const std::string& backend) {
  const Backend* found = context.config.backend(backend);
  if (found == nullptr)
    co_return nlohmann::json{{"error", "no backend is called '" + backend + "'"}};
  Backend to = *found;
  SessionOperation log_in_one = [to](ClientSession& session) {
    return session.prepare_backend(to);
  };
  SessionOutcomes outcomes = co_await on_every_session(context, log_in_one);
  co_return nlohmann::json{
      {"prepared", outcomes.done}, {"failed", outcomes.failed}, {"backend", backend}};
}

}  // namespace cutover::proxy
