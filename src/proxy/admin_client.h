// A client of the proxy's admin API (admin_api.h), for `cutover proxy ctl` and `cutover move
// --proxy`: one HTTP request per call, bounded in time.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "proxy/proxy_config.h"

namespace cutover::proxy {

// "HOST:PORT" or "http://HOST:PORT[/]". Throws Error(kBadInput) naming the accepted forms.
Endpoint parse_admin_address(std::string_view text, std::string_view option);

struct AdminAnswer {
  int status = 0;    // the HTTP status
  std::string body;  // JSON, or Prometheus text for /metrics
};

// Sends one request and reads the whole answer. Throws Error(kBadInput) when the admin API
// cannot be reached (the hint says how to point at it), Error(kOperationFailed) when it does not
// answer within `timeout` or not in HTTP.
AdminAnswer admin_request(const Endpoint& admin, const std::string& method,
                          const std::string& path,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// admin_request() for a JSON answer that must be 200: throws Error(kOperationFailed) with the
// proxy's own reason ("the proxy refused switch (HTTP 409): ...") otherwise.
nlohmann::json admin_call(const Endpoint& admin, const std::string& method,
                          const std::string& path,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace cutover::proxy
