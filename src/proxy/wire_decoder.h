// Incremental framing of the PostgreSQL wire protocol: bytes in, whole messages out, one decoder
// for what a client sends (startup packets, then typed messages) and one for what a server sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/wire_message.h"

namespace cutover::proxy {

// Which untyped packet of the startup phase a message is (kNone for typed messages).
enum class StartupPacket : std::uint8_t {
  kNone,
  kStartupMessage,  // protocol 3.x: its payload goes to parse_startup_message()
  kSslRequest,
  kGssEncRequest,
  kCancelRequest,  // its payload goes to parse_cancel_request()
};

// One complete message. The views point into the decoder's buffer: they stay valid until the
// next append() or the decoder's destruction, so all the messages that one read completed can
// be handled, or forwarded as `bytes`, before reading again. Copy what must live longer.
struct WireMessage {
  char type = 0;  // the type byte; 0 for the startup phase's untyped packets
  StartupPacket startup = StartupPacket::kNone;
  // What follows the length word. For untyped packets it starts with the 4-byte code (protocol
  // version or request code), as PostgreSQL's own parsing sees it.
  std::string_view payload;
  std::string_view bytes;  // the whole message as it came: type byte, length word, payload
};

enum class DecodeStatus {
  kNeedMore,   // no complete message buffered: append more bytes (nothing was consumed)
  kMessage,    // `message` is the next one; it has been consumed
  kMalformed,  // the stream is broken (`error` says how): close the connection
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kNeedMore;
  WireMessage message;  // kMessage only
  std::string error;    // kMalformed only
};

namespace detail {

// The buffer both decoders frame from: bytes appended at the end, consumed from the front.
class FrameBuffer {
 public:
  explicit FrameBuffer(std::size_t max_message_length) : max_message_length_(max_message_length) {}

  void append(std::string_view bytes);
  std::string_view unread() const { return std::string_view(data_).substr(read_); }
  // Consumes `length` bytes and returns them as a view valid until the next append().
  std::string_view take(std::size_t length);
  // A typed message: type byte, then a length word counting itself and the payload. Only
  // `known_type` bytes are accepted when it is given.
  DecodeResult next_typed(bool (*known_type)(char));
  // Every later call to next() returns this error; appended bytes are dropped.
  DecodeResult fail(std::string error);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t max_message_length() const { return max_message_length_; }
  void set_max_message_length(std::size_t length) { max_message_length_ = length; }

 private:
  std::string data_;
  std::size_t read_ = 0;  // bytes of data_ already handed out
  std::size_t max_message_length_;
  std::string error_;
};

}  // namespace detail

// Frames what a client sends: first untyped startup-phase packets (SSLRequest, GSSENCRequest,
// CancelRequest, StartupMessage), and from the StartupMessage on, typed messages. Never blocks,
// never throws on bad input; a malformed stream stays malformed (the connection must be closed).
class ClientDecoder {
 public:
  // `max_message_length` bounds a typed message's length word (startup packets are bounded by
  // kMaxStartupPacketLength, as in PostgreSQL).
  explicit ClientDecoder(std::size_t max_message_length = kDefaultMaxMessageLength)
      : buffer_(max_message_length) {}

  // Adds bytes read from the client. Invalidates the views of messages returned so far.
  void append(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete message, if one is buffered. Startup packets are malformed when their
  // length word is below 8 or over kMaxStartupPacketLength + 4, when SSLRequest or GSSENCRequest
  // carry anything after their code, or when the protocol version is not 3.x (PostgreSQL 18
  // knows 3.0 and 3.2; a newer minor is for the server to negotiate down, so any 3.x passes).
  // Typed messages are malformed when their length word is below 4 or over the maximum, or their
  // type byte is not a frontend type. A partial message is never consumed.
  DecodeResult next();

  // The bound on later typed messages' length words: a session keeps it small until its client
  // has logged in, then raises it.
  void set_max_message_length(std::size_t length) { buffer_.set_max_message_length(length); }
  std::size_t max_message_length() const { return buffer_.max_message_length(); }

  // True until a StartupMessage has been returned: untyped packets are expected.
  bool in_startup() const { return in_startup_; }
  // Bytes appended but not yet returned. After an SSLRequest or GSSENCRequest the client must
  // wait for the answer: bytes already buffered then were sent in the clear before encryption
  // (CVE-2021-23214), and the caller must refuse them.
  std::size_t buffered() const { return buffer_.unread().size(); }

 private:
  DecodeResult next_startup();

  detail::FrameBuffer buffer_;
  bool in_startup_ = true;
};

// Frames what a server sends: typed messages only. The one-byte answer to an SSLRequest or
// GSSENCRequest ('S', 'N', 'G') is not a message: read it before handing bytes to this decoder.
// Unknown type bytes are passed through (newer servers may add messages).
class ServerDecoder {
 public:
  explicit ServerDecoder(std::size_t max_message_length = kDefaultMaxMessageLength)
      : buffer_(max_message_length) {}

  // Adds bytes read from the server. Invalidates the views of messages returned so far.
  void append(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete message: as ClientDecoder::next() for typed messages, any type byte.
  DecodeResult next() { return buffer_.next_typed(nullptr); }
  std::size_t buffered() const { return buffer_.unread().size(); }

 private:
  detail::FrameBuffer buffer_;
};

}  // namespace cutover::proxy
