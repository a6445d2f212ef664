// One end of a proxied connection: a TCP socket that may be upgraded to TLS, read and written
// through coroutines that report errors as codes (the proxy's data path throws nothing).
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <string>
#include <string_view>

namespace cutover::proxy {

class ProxyStream {
 public:
  ProxyStream(asio::ip::tcp::socket socket, asio::ssl::context& tls)
      : stream_(std::move(socket), tls) {}

  asio::ip::tcp::socket& socket() { return stream_.next_layer(); }
  bool tls() const { return tls_; }

  // The TLS handshake as a server (clients) or as a client (backends); on success, later reads
  // and writes are encrypted.
  asio::awaitable<asio::error_code> handshake(asio::ssl::stream_base::handshake_type type);

  // Appends what one read returned to `out`; an error when the peer closed or broke.
  asio::awaitable<asio::error_code> read_some(std::string& out);
  // Writes all of `bytes`.
  asio::awaitable<asio::error_code> write(std::string_view bytes);
  // Closes the socket; pending reads and writes end with an error. Never fails.
  void close();

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  bool tls_ = false;
};

}  // namespace cutover::proxy
