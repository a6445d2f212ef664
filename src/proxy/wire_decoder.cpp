// Incremental framing of the PostgreSQL wire protocol.
#include "proxy/wire_decoder.h"

#include <fmt/format.h>

#include <utility>

namespace cutover::proxy {
namespace {

std::uint32_t read_u32(std::string_view bytes) {
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

// 'Q' for a printable type byte, 0x00 otherwise.
std::string describe_type(char type) {
  const auto code = static_cast<unsigned char>(type);
  if (code > 0x20 && code < 0x7f) return fmt::format("'{}'", type);
  return fmt::format("0x{:02x}", code);
}

}  // namespace

namespace detail {

void FrameBuffer::append(std::string_view bytes) {
  if (failed()) return;
  if (read_ > 0) {
    data_.erase(0, read_);
    read_ = 0;
  }
  data_.append(bytes);
}

std::string_view FrameBuffer::take(std::size_t length) {
  std::string_view taken = unread().substr(0, length);
  read_ += taken.size();
  return taken;
}

DecodeResult FrameBuffer::fail(std::string error) {
  // The buffer is kept: views of messages returned before stay valid until the next append().
  if (!failed()) error_ = std::move(error);
  return {.status = DecodeStatus::kMalformed, .error = error_};
}

DecodeResult FrameBuffer::next_typed(bool (*known_type)(char)) {
  if (failed()) return fail({});
  const std::string_view rest = unread();
  if (rest.empty()) return {};
  const char type = rest[0];
  if (known_type != nullptr && !known_type(type)) {
    return fail(fmt::format("unknown message type {}", describe_type(type)));
  }
  if (rest.size() < 5) return {};
  const std::uint32_t length = read_u32(rest.substr(1));
  if (length < 4) {
    return fail(fmt::format("message {} has length {}, below the minimum of 4", describe_type(type),
                            length));
  }
  if (length > max_message_length_) {
    return fail(fmt::format("message {} of {} bytes is over the limit of {}", describe_type(type),
                            length, max_message_length_));
  }
  const std::size_t total = std::size_t{1} + length;
  if (rest.size() < total) return {};
  const std::string_view bytes = take(total);
  return {.status = DecodeStatus::kMessage,
          .message = {.type = type, .payload = bytes.substr(5), .bytes = bytes}};
}

}  // namespace detail

DecodeResult ClientDecoder::next() {
  if (buffer_.failed() || !in_startup_) return buffer_.next_typed(&is_frontend_type);
  return next_startup();
}

DecodeResult ClientDecoder::next_startup() {
  const std::string_view rest = buffer_.unread();
  if (rest.size() < 4) return {};
  const std::uint32_t length = read_u32(rest);
  if (length < 8) {
    return buffer_.fail(
        fmt::format("startup packet has length {}, below the minimum of 8", length));
  }
  if (length - 4 > kMaxStartupPacketLength) {
    return buffer_.fail(fmt::format("startup packet of {} bytes is over the limit of {}", length,
                                    kMaxStartupPacketLength + 4));
  }
  if (rest.size() < 8) return {};
  // The code tells what the packet is as soon as it is here: a bad one fails at once.
  const std::uint32_t code = read_u32(rest.substr(4));
  StartupPacket kind = StartupPacket::kStartupMessage;
  if (code == kCancelRequestCode) {
    kind = StartupPacket::kCancelRequest;
  } else if (code == kSslRequestCode || code == kGssEncRequestCode) {
    kind = code == kSslRequestCode ? StartupPacket::kSslRequest : StartupPacket::kGssEncRequest;
    if (length != 8) {
      return buffer_.fail(fmt::format("{} has length {}, not 8",
                                      code == kSslRequestCode ? "SSLRequest" : "GSSENCRequest",
                                      length));
    }
  } else if (code >> 16 != 3) {
    return buffer_.fail(fmt::format("unsupported frontend protocol {}.{}: only 3.x is supported",
                                    code >> 16, code & 0xffff));
  }
  if (rest.size() < length) return {};
  const std::string_view bytes = buffer_.take(length);
  if (kind == StartupPacket::kStartupMessage) in_startup_ = false;
  return {.status = DecodeStatus::kMessage,
          .message = {.type = 0, .startup = kind, .payload = bytes.substr(4), .bytes = bytes}};
}

}  // namespace cutover::proxy
