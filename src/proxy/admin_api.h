// The proxy's admin API: a small HTTP/1.1 server on a loopback port. GET /status (JSON),
// GET /metrics (Prometheus text), POST /readonly, /readwrite, /pause?timeout=DURATION,
// /resume, /prepare?backend=NAME and /switch?backend=NAME.
#pragma once

#include <asio.hpp>
#include <string>

#include "proxy/client_session.h"

namespace cutover::proxy {

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Answers one request (its method and target, query string included).
asio::awaitable<AdminResponse> answer_admin_request(ProxyContext& context,
                                                    const std::string& method,
                                                    const std::string& target);

// Serves the admin API on `acceptor` until it is closed. One request per connection.
asio::awaitable<void> serve_admin_api(asio::ip::tcp::acceptor& acceptor, ProxyContext& context);

}  // namespace cutover::proxy
