// The operations behind the admin API that act on every session: pause (wait until each is
// between transactions), resume, and switch (move each to another backend while paused).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "proxy/client_session.h"

namespace cutover::proxy {

// Pauses the proxy and waits until every session is between transactions (its new work then
// waits), or until `timeout`. Returns {"paused", "waited_ms", "busy_sessions"}: busy sessions
// are those still in a transaction at the timeout; the proxy stays paused either way.
asio::awaitable<nlohmann::json> pause_sessions(ProxyContext& context,
                                               std::chrono::milliseconds timeout);

// Lets held work go on. Returns the pause's length in milliseconds (0 when not paused).
nlohmann::json resume_sessions(ProxyContext& context);

// While paused with every session between transactions: moves each session to `backend`, then
// makes it the backend of new sessions. Returns {"switched", "failed": [{"session", "error"}]};
// "error" set when the proxy is not paused, a session is in a transaction, `backend` is not
// configured, or the state file cannot be written (nothing is moved then).
asio::awaitable<nlohmann::json> switch_sessions(ProxyContext& context, const std::string& backend);

// Before a switch, paused or not: logs every session in to `backend` beside its current server,
// so that the switch only replays each session's state there (a shorter pause). Returns
// {"prepared", "failed": [{"session", "error"}]} (those log in during the switch instead), or
// {"error"} for an unknown backend. Resume closes the links a switch did not use.
asio::awaitable<nlohmann::json> prepare_sessions(ProxyContext& context,
                                                 const std::string& backend);

}  // namespace cutover::proxy
