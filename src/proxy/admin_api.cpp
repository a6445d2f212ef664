// The proxy's admin API: a small HTTP/1.1 server on a loopback port.
#include "proxy/admin_api.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/duration.h"
#include "core/error.h"
#include "proxy/proxy_control.h"

namespace cutover::proxy {
namespace {

constexpr std::size_t kMaxRequestBytes = 8192;

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

AdminResponse error(int status, const std::string& message, const std::string& hint = "") {
  nlohmann::json body{{"error", message}};
  if (!hint.empty()) body["hint"] = hint;
  return {status, "application/json", body.dump() + "\n"};
}

asio::awaitable<void> serve_one(asio::ip::tcp::socket socket, ProxyContext& context) {
  std::string request;
  asio::error_code ec;
  co_await asio::async_read_until(socket, asio::dynamic_buffer(request, kMaxRequestBytes),
                                  "\r\n\r\n", asio::redirect_error(asio::use_awaitable, ec));
  AdminResponse response;
  auto line_end = request.find("\r\n");
  auto first_space = request.find(' ');
  auto second_space =
      first_space == std::string::npos ? std::string::npos : request.find(' ', first_space + 1);
  if (ec || line_end == std::string::npos || second_space == std::string::npos ||
      second_space > line_end) {
    response = error(400, "not an HTTP request");
  } else {
    std::string method = request.substr(0, first_space);
    std::string target = request.substr(first_space + 1, second_space - first_space - 1);
    response = co_await answer_admin_request(context, method, target);
  }
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      response.status, reason_phrase(response.status), response.content_type, response.body.size(),
      response.body);
  co_await asio::async_write(socket, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

// The value of `name` in the query string of `target`, or "".
std::string query_parameter(const std::string& target, const std::string& name) {
  auto question = target.find('?');
  if (question == std::string::npos) return "";
  std::string query = target.substr(question + 1);
  for (std::size_t start = 0; start <= query.size();) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    start = end + 1;
  }
  return "";
}

AdminResponse json_response(const nlohmann::json& body) {
  return {body.contains("error") ? 409 : 200, "application/json", body.dump() + "\n"};
}

}  // namespace

asio::awaitable<AdminResponse> answer_admin_request(ProxyContext& context,
                                                    const std::string& method,
                                                    const std::string& target) {
  ProxyState& state = context.state;
  std::string path = target.substr(0, target.find('?'));
  if (path == "/status" || path == "/metrics") {
    if (method != "GET") co_return error(405, path + " takes GET");
    if (path == "/metrics")
      co_return AdminResponse{200, "text/plain; version=0.0.4", state.metrics_text()};
    nlohmann::json status = state.status_json();
    status["state_file"] = context.config.state_file.string();
    // What each backend is, so that a tool driving the proxy (cutover move --proxy) can check
    // that a name means the server it expects.
    status["backends"] = nlohmann::json::array();
    for (const auto& b : context.config.backends) {
      status["backends"].push_back(
          {{"name", b.name}, {"host", b.address.host}, {"port", b.address.port}});
    }
    co_return json_response(status);
  }
  bool known = path == "/readonly" || path == "/readwrite" || path == "/pause" ||
               path == "/resume" || path == "/switch" || path == "/prepare";
  if (known && method != "POST") co_return error(405, path + " takes POST");
  if (path == "/readonly" || path == "/readwrite") {
    // Persisted before the answer; when it cannot be, nothing changes and the answer says why.
    std::optional<Error> not_kept;
    try {
      state.set_mode(path == "/readonly" ? ProxyMode::kReadOnly : ProxyMode::kReadWrite);
    } catch (const Error& e) {
      not_kept = e;
    }
    if (not_kept) co_return error(500, not_kept->message(), not_kept->hint());
    co_return json_response(state.status_json());
  }
  if (path == "/pause") {
    auto timeout = context.config.pause_timeout;
    std::string given = query_parameter(target, "timeout");
    if (!given.empty()) {
      try {
        timeout = parse_duration(given, "timeout");
      } catch (const Error& e) {
        co_return error(400, e.message());
      }
    }
    co_return json_response(co_await pause_sessions(context, timeout));
  }
  if (path == "/resume") co_return json_response(resume_sessions(context));
  if (path == "/switch" || path == "/prepare") {
    std::string backend = query_parameter(target, "backend");
    if (backend.empty()) co_return error(400, path + " needs ?backend=NAME");
    if (path == "/prepare") co_return json_response(co_await prepare_sessions(context, backend));
    co_return json_response(co_await switch_sessions(context, backend));
  }
  co_return error(404, "no such endpoint: " + path +
                           " (GET /status, /metrics; POST /readonly, /readwrite, /pause, /resume, "
                           "/prepare?backend=NAME, /switch?backend=NAME)");
}

asio::awaitable<void> serve_admin_api(asio::ip::tcp::acceptor& acceptor, ProxyContext& context) {
  for (;;) {
    asio::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), serve_one(std::move(socket), context), asio::detached);
  }
}

}  // namespace cutover::proxy
