// One end of a proxied connection: a TCP socket that may be upgraded to TLS.
#include "proxy/proxy_stream.h"

namespace cutover::proxy {

asio::awaitable<asio::error_code> ProxyStream::handshake(
    asio::ssl::stream_base::handshake_type type) {
  asio::error_code ec;
  co_await stream_.async_handshake(type, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) tls_ = true;
  co_return ec;
}

asio::awaitable<asio::error_code> ProxyStream::read_some(std::string& out) {
  char chunk[16384];
  asio::error_code ec;
  std::size_t n = tls_ ? co_await stream_.async_read_some(
                             asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec))
                       : co_await stream_.next_layer().async_read_some(
                             asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
  out.append(chunk, n);
  co_return ec;
}

asio::awaitable<asio::error_code> ProxyStream::write(std::string_view bytes) {
  asio::error_code ec;
  if (tls_) {
    co_await asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

void ProxyStream::close() {
  asio::error_code ignored;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

}  // namespace cutover::proxy
