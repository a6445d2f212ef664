#include "proxy/admin_client.h"

#include <asio.hpp>

#include "core/error.h"

namespace cutover::proxy {

Endpoint parse_admin_address(std::string_view text, std::string_view option) {
  std::string_view rest = text;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  auto colon = rest.rfind(':');
  int port = 0;
  if (colon != std::string_view::npos && colon > 0 && colon + 1 < rest.size()) {
    std::string digits(rest.substr(colon + 1));
    if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() <= 5) {
      port = std::stoi(digits);
    }
  }
  if (port <= 0 || port > 65535 || rest.find('/') != std::string_view::npos) {
    throw Error(ErrorCode::kBadInput,
                std::string(option) + " must be the proxy's admin address, got '" +
                    std::string(text) + "'",
                "HOST:PORT or http://HOST:PORT, as `admin:` in the proxy's config (for example "
                "127.0.0.1:6433)");
  }
  return {std::string(rest.substr(0, colon)), port};
}

AdminAnswer admin_request(const Endpoint& admin, const std::string& method,
                          const std::string& path, std::chrono::milliseconds timeout) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::ip::tcp::resolver resolver(io);
  asio::error_code failure;
  auto endpoints = resolver.resolve(admin.host, std::to_string(admin.port), failure);
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + admin.host +
                              "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  std::string response;
  bool answered = false;
  bool reached = false;
  if (!failure) {
    asio::async_connect(socket, endpoints, [&](asio::error_code connected, const auto&) {
      if (connected) {
        failure = connected;
        return;
      }
      reached = true;
      asio::async_write(socket, asio::buffer(request), [&](asio::error_code written, std::size_t) {
        if (written) {
          failure = written;
          return;
        }
        // The answer ends when the proxy closes the connection.
        asio::async_read(socket, asio::dynamic_buffer(response),
                         [&](asio::error_code read, std::size_t) {
                           if (read && read != asio::error::eof) failure = read;
                           answered = true;
                         });
      });
    });
    io.run_for(timeout);
  }
  if (!reached) {
    throw Error(ErrorCode::kBadInput,
                "cannot reach the proxy's admin API at " + admin.to_string() + ": " +
                    (failure ? failure.message() : "no answer to connect"),
                "is `cutover proxy` running? give its admin address (the `admin:` of its config)");
  }
  if (!answered) {
    throw Error(ErrorCode::kOperationFailed,
                "the proxy's admin API at " + admin.to_string() + " did not answer " + method +
                    " " + path + " within " + std::to_string(timeout.count() / 1000) + " s");
  }
  auto header_end = response.find("\r\n\r\n");
  if (failure || !response.starts_with("HTTP/1.1 ") || header_end == std::string::npos) {
    throw Error(ErrorCode::kOperationFailed,
                "the admin API at " + admin.to_string() + " gave no HTTP answer" +
                    (failure ? ": " + failure.message() : ""));
  }
  return {std::stoi(response.substr(9, 3)), response.substr(header_end + 4)};
}

nlohmann::json admin_call(const Endpoint& admin, const std::string& method,
                          const std::string& path, std::chrono::milliseconds timeout) {
  auto [status, body] = admin_request(admin, method, path, timeout);
  auto answer = nlohmann::json::parse(body, nullptr, false);
  if (status != 200) {
    std::string why = answer.is_object() ? answer.value("error", body) : body;
    std::string action = path.substr(1, path.find('?') - 1);
    throw Error(ErrorCode::kOperationFailed,
                "the proxy at " + admin.to_string() + " refused " + action + " (HTTP " +
                    std::to_string(status) + "): " + why,
                answer.is_object() ? answer.value("hint", "") : "");
  }
  if (answer.is_discarded()) {
    throw Error(ErrorCode::kOperationFailed,
                "the proxy at " + admin.to_string() + " answered " + path + " with no JSON");
  }
  return answer;
}

}  // namespace cutover::proxy
