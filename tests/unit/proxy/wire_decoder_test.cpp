// Framing of what clients and servers send: every packet kind, byte-at-a-time input, partial
// messages never consumed, and every malformed length, version and type refused.
#include "proxy/wire_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxy/wire_encoder.h"
#include "proxy/wire_parser.h"
#include "unit/proxy/wire_test_bytes.h"

namespace cutover::proxy {
namespace {

using namespace std::string_literals;
using test::be16;
using test::be32;
using test::typed;
using test::untyped;

// A message copied out of the decoder's buffer.
struct Copied {
  char type = 0;
  StartupPacket startup = StartupPacket::kNone;
  std::string payload;
  std::string bytes;
  bool operator==(const Copied&) const = default;
};

Copied copy(const WireMessage& message) {
  return {message.type, message.startup, std::string(message.payload), std::string(message.bytes)};
}

// Every message the decoder returns for `input` appended at once, and the error that ended it.
template <typename Decoder>
std::pair<std::vector<Copied>, std::string> decode_all(Decoder& decoder, std::string_view input) {
  decoder.append(input);
  std::vector<Copied> out;
  while (true) {
    DecodeResult result = decoder.next();
    if (result.status == DecodeStatus::kNeedMore) return {out, ""};
    if (result.status == DecodeStatus::kMalformed) return {out, result.error};
    out.push_back(copy(result.message));
  }
}

// The same, one byte at a time, draining after each byte.
template <typename Decoder>
std::pair<std::vector<Copied>, std::string> decode_bytewise(Decoder& decoder,
                                                            std::string_view input) {
  std::vector<Copied> out;
  for (char c : input) {
    decoder.append(std::string_view(&c, 1));
    while (true) {
      DecodeResult result = decoder.next();
      if (result.status == DecodeStatus::kNeedMore) break;
      if (result.status == DecodeStatus::kMalformed) return {out, result.error};
      out.push_back(copy(result.message));
    }
  }
  return {out, ""};
}

std::string startup_bytes() {
  std::string out;
  append_startup_message(out, {.parameters = {{"user", "app"}, {"database", "shop"}}});
  return out;
}

// What a client sends in a whole session: SSL refused, startup, the password, then queries.
std::string client_session() {
  std::string out;
  append_ssl_request(out);
  out += startup_bytes();
  append_password_message(out, "secret");
  append_query(out, "SELECT 1");
  out += typed('P', "s1\0SELECT $1\0"s + be16(1) + be32(23));
  out += typed('B', "\0s1\0"s + be16(0) + be16(1) + be32(1) + "7" + be16(0));
  out += typed('D', "P\0"s);
  out += typed('E', "\0"s + be32(0));
  out += typed('S', "");
  out += typed('C', "Ss1\0"s);
  out += typed('H', "");
  out += typed('d', "copy data");
  append_terminate(out);
  return out;
}

std::string server_session() {
  std::string out;
  append_authentication_ok(out);
  append_parameter_status(out, "server_version", "16.2");
  append_backend_key_data(out, {.process_id = 4242, .secret_key = "\x01\x02\x03\x04"s});
  append_ready_for_query(out, TransactionStatus::kIdle);
  out += typed('T', be16(0));
  out += typed('C', "SELECT 0\0"s);
  out += typed('v', be32(0x00030000) + be32(0));  // NegotiateProtocolVersion, passed through
  append_ready_for_query(out, TransactionStatus::kInTransaction);
  return out;
}

TEST(WireDecoder, StartupMessageComesUntypedThenTypedMessagesFollow) {
  ClientDecoder decoder;
  EXPECT_TRUE(decoder.in_startup());
  decoder.append(startup_bytes());
  DecodeResult startup = decoder.next();
  ASSERT_EQ(startup.status, DecodeStatus::kMessage) << startup.error;
  EXPECT_EQ(startup.message.type, 0);
  EXPECT_EQ(startup.message.startup, StartupPacket::kStartupMessage);
  EXPECT_EQ(startup.message.bytes, startup_bytes());
  EXPECT_EQ(startup.message.payload, std::string_view(startup_bytes()).substr(4));
  EXPECT_FALSE(decoder.in_startup());
  Parsed<StartupMessage> parsed = parse_startup_message(startup.message.payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->parameter("database"), "shop");

  std::string query;
  append_query(query, "SELECT 1");
  decoder.append(query);
  DecodeResult next = decoder.next();
  ASSERT_EQ(next.status, DecodeStatus::kMessage) << next.error;
  EXPECT_EQ(next.message.type, 'Q');
  EXPECT_EQ(next.message.startup, StartupPacket::kNone);
  EXPECT_EQ(next.message.payload, "SELECT 1\0"s);
  EXPECT_EQ(decoder.next().status, DecodeStatus::kNeedMore);
}

TEST(WireDecoder, SslAndGssEncRequestsKeepTheStartupPhase) {
  ClientDecoder decoder;
  std::string input;
  append_gssenc_request(input);
  append_ssl_request(input);
  auto [messages, error] = decode_all(decoder, input);
  ASSERT_EQ(error, "");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].startup, StartupPacket::kGssEncRequest);
  EXPECT_EQ(messages[0].payload, be32(kGssEncRequestCode));
  EXPECT_EQ(messages[1].startup, StartupPacket::kSslRequest);
  EXPECT_EQ(messages[1].bytes, be32(8) + be32(80877103));
  EXPECT_TRUE(decoder.in_startup());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(WireDecoder, BytesSentAfterAnSslRequestShowAsBuffered) {
  // The client must wait for 'S' before it starts TLS: anything already here came in the clear.
  ClientDecoder decoder;
  std::string input;
  append_ssl_request(input);
  input += startup_bytes();
  decoder.append(input);
  ASSERT_EQ(decoder.next().message.startup, StartupPacket::kSslRequest);
  EXPECT_EQ(decoder.buffered(), startup_bytes().size());
}

TEST(WireDecoder, CancelRequestWithProtocol30AndLongerKeys) {
  ClientDecoder decoder;
  std::string input;
  append_cancel_request(input, {.process_id = 77, .secret_key = "\xde\xad\xbe\xef"s});
  EXPECT_EQ(input, be32(16) + be32(80877102) + be32(77) + "\xde\xad\xbe\xef"s);
  append_cancel_request(input, {.process_id = -1, .secret_key = std::string(32, 'k')});
  auto [messages, error] = decode_all(decoder, input);
  ASSERT_EQ(error, "");
  ASSERT_EQ(messages.size(), 2u);
  for (const Copied& message : messages) {
    EXPECT_EQ(message.startup, StartupPacket::kCancelRequest);
  }
  Parsed<CancelRequest> first = parse_cancel_request(messages[0].payload);
  ASSERT_TRUE(first) << first.error;
  EXPECT_EQ(first->process_id, 77);
  EXPECT_EQ(first->secret_key, "\xde\xad\xbe\xef"s);
  Parsed<CancelRequest> second = parse_cancel_request(messages[1].payload);
  ASSERT_TRUE(second) << second.error;
  EXPECT_EQ(second->process_id, -1);
  EXPECT_EQ(second->secret_key, std::string(32, 'k'));
}

TEST(WireDecoder, EveryFrontendTypeOfASessionIsFramed) {
  ClientDecoder decoder;
  auto [messages, error] = decode_all(decoder, client_session());
  ASSERT_EQ(error, "");
  std::string types;
  for (const Copied& message : messages) types += message.type == 0 ? '0' : message.type;
  EXPECT_EQ(types, "00pQPBDESCHdX");
  EXPECT_EQ(messages[1].startup, StartupPacket::kStartupMessage);
  Parsed<Parse> parse = parse_parse(messages[4].payload);
  ASSERT_TRUE(parse) << parse.error;
  EXPECT_EQ(parse->query, "SELECT $1");
}

TEST(WireDecoder, OneByteAtATimeGivesTheSameMessages) {
  {
    ClientDecoder whole, bytewise;
    auto all = decode_all(whole, client_session());
    auto one = decode_bytewise(bytewise, client_session());
    EXPECT_EQ(all.second, "");
    EXPECT_EQ(one.second, "");
    EXPECT_EQ(all.first, one.first);
    EXPECT_EQ(all.first.size(), 13u);
  }
  {
    ServerDecoder whole, bytewise;
    auto all = decode_all(whole, server_session());
    auto one = decode_bytewise(bytewise, server_session());
    EXPECT_EQ(all.second, "");
    EXPECT_EQ(all.first, one.first);
    EXPECT_EQ(all.first.size(), 8u);
  }
}

TEST(WireDecoder, NeedMoreNeverConsumesAPartialMessage) {
  const std::string session = client_session();
  // Cut after every prefix length: what came before the cut is returned whole, the rest waits.
  for (std::size_t cut = 0; cut <= session.size(); ++cut) {
    ClientDecoder decoder;
    auto [before, error] = decode_all(decoder, std::string_view(session).substr(0, cut));
    ASSERT_EQ(error, "") << "cut at " << cut;
    const std::size_t waiting = decoder.buffered();
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(decoder.next().status, DecodeStatus::kNeedMore);
      ASSERT_EQ(decoder.buffered(), waiting);
    }
    auto [after, rest_error] = decode_all(decoder, std::string_view(session).substr(cut));
    ASSERT_EQ(rest_error, "");
    EXPECT_EQ(before.size() + after.size(), 13u) << "cut at " << cut;
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(WireDecoder, ViewsStayValidUntilTheNextAppend) {
  ServerDecoder decoder;
  decoder.append(server_session());
  std::vector<WireMessage> messages;
  for (DecodeResult r = decoder.next(); r.status == DecodeStatus::kMessage; r = decoder.next()) {
    messages.push_back(r.message);
  }
  ASSERT_EQ(messages.size(), 8u);
  std::string joined;
  for (const WireMessage& message : messages) joined += message.bytes;
  EXPECT_EQ(joined, server_session());
  EXPECT_EQ(messages[1].payload, "server_version\0"s + "16.2\0"s);
}

TEST(WireDecoder, StartupLengthsBelowEightAreMalformed) {
  for (std::uint32_t length : {0u, 3u, 4u, 7u, 0x80000000u}) {
    ClientDecoder decoder;
    decoder.append(be32(length));
    DecodeResult result = decoder.next();
    EXPECT_EQ(result.status, DecodeStatus::kMalformed) << length;
  }
  ClientDecoder decoder;
  decoder.append(be32(4));
  EXPECT_EQ(decoder.next().error, "startup packet has length 4, below the minimum of 8");
}

TEST(WireDecoder, StartupPacketsOverTenThousandBytesAreRefusedFromTheLengthAlone) {
  ClientDecoder at_limit;
  at_limit.append(be32(10004) + be32(kProtocolVersion30));
  EXPECT_EQ(at_limit.next().status, DecodeStatus::kNeedMore);

  ClientDecoder over;
  over.append(be32(10005));
  DecodeResult result = over.next();
  EXPECT_EQ(result.status, DecodeStatus::kMalformed);
  EXPECT_EQ(result.error, "startup packet of 10005 bytes is over the limit of 10004");
}

TEST(WireDecoder, ProtocolVersionsOtherThanThreeAreRefused) {
  for (auto [code, error] :
       {std::pair{0x00020000u, "unsupported frontend protocol 2.0: only 3.x is supported"},
        std::pair{0x00040000u, "unsupported frontend protocol 4.0: only 3.x is supported"},
        std::pair{80877105u, "unsupported frontend protocol 1234.5681: only 3.x is supported"},
        std::pair{0u, "unsupported frontend protocol 0.0: only 3.x is supported"}}) {
    ClientDecoder decoder;
    decoder.append(untyped(be32(code) + "user\0app\0\0"s));
    DecodeResult result = decoder.next();
    EXPECT_EQ(result.status, DecodeStatus::kMalformed);
    EXPECT_EQ(result.error, error);
  }
  // 3.2 (PostgreSQL 18) and any later 3.x minor pass, for the server to negotiate.
  for (std::uint32_t code : {0x00030002u, 0x0003ffffu}) {
    ClientDecoder decoder;
    decoder.append(untyped(be32(code) + "user\0app\0\0"s));
    DecodeResult result = decoder.next();
    ASSERT_EQ(result.status, DecodeStatus::kMessage) << result.error;
    Parsed<StartupMessage> parsed = parse_startup_message(result.message.payload);
    ASSERT_TRUE(parsed) << parsed.error;
    EXPECT_EQ(parsed->minor_version, code & 0xffff);
  }
}

TEST(WireDecoder, SslRequestWithAPayloadIsMalformed) {
  ClientDecoder decoder;
  decoder.append(untyped(be32(kSslRequestCode) + "xxxx"));
  DecodeResult result = decoder.next();
  EXPECT_EQ(result.status, DecodeStatus::kMalformed);
  EXPECT_EQ(result.error, "SSLRequest has length 12, not 8");
}

TEST(WireDecoder, TypedLengthsBelowFourAreMalformed) {
  for (std::uint32_t length : {0u, 1u, 3u}) {
    ServerDecoder decoder;
    decoder.append("Z"s + be32(length));
    DecodeResult result = decoder.next();
    EXPECT_EQ(result.status, DecodeStatus::kMalformed);
    EXPECT_EQ(result.error,
              "message 'Z' has length " + std::to_string(length) + ", below the minimum of 4");
  }
}

TEST(WireDecoder, TypedMessagesOverTheLimitAreRefusedFromTheLengthAlone) {
  ClientDecoder decoder(100);
  std::string input = startup_bytes();
  input += typed('Q', std::string(95, 'x') + '\0');  // length word 100: at the limit
  input += "Q"s + be32(101);
  auto [messages, error] = decode_all(decoder, input);
  EXPECT_EQ(messages.size(), 2u);
  EXPECT_EQ(error, "message 'Q' of 101 bytes is over the limit of 100");

  ServerDecoder server;  // the default limit, 1 GiB - 1
  server.append("D"s + be32(0x3fffffff));
  EXPECT_EQ(server.next().status, DecodeStatus::kNeedMore);
  ServerDecoder over;
  over.append("D"s + be32(0x40000000));
  EXPECT_EQ(over.next().error, "message 'D' of 1073741824 bytes is over the limit of 1073741823");
  ServerDecoder negative;
  negative.append("D"s + be32(0xffffffff));
  EXPECT_EQ(negative.next().status, DecodeStatus::kMalformed);
}

// A session decodes with a small limit until its client has logged in, then raises it.
TEST(WireDecoder, TheLimitCanBeRaisedForLaterMessages) {
  ClientDecoder decoder(kMaxLoginMessageLength);
  EXPECT_EQ(decoder.max_message_length(), kMaxLoginMessageLength);
  std::string input = startup_bytes();
  input += typed('p', std::string(1000, 'x') + '\0');
  auto [messages, error] = decode_all(decoder, input);
  EXPECT_EQ(messages.size(), 2u);
  EXPECT_EQ(error, "");
  decoder.set_max_message_length(kDefaultMaxMessageLength);
  decoder.append("Q"s + be32(1 << 20));  // 1 MiB: over the login limit, under the raised one
  EXPECT_EQ(decoder.next().status, DecodeStatus::kNeedMore);

  ClientDecoder before_login(kMaxLoginMessageLength);
  before_login.append(startup_bytes() + "p"s + be32(kMaxLoginMessageLength + 1));
  EXPECT_EQ(before_login.next().status, DecodeStatus::kMessage);
  EXPECT_EQ(before_login.next().error, "message 'p' of 65537 bytes is over the limit of 65536");
}

TEST(WireDecoder, UnknownFrontendTypesAreRefusedAtTheFirstByte) {
  for (char type : {'Z', 'R', 'T', 'x', '\0', '\xff'}) {
    ClientDecoder decoder;
    decoder.append(startup_bytes());
    ASSERT_EQ(decoder.next().status, DecodeStatus::kMessage);
    decoder.append(std::string(1, type));
    DecodeResult result = decoder.next();
    EXPECT_EQ(result.status, DecodeStatus::kMalformed) << int{type};
  }
  ClientDecoder decoder;
  decode_all(decoder, startup_bytes());
  EXPECT_EQ(decode_all(decoder, "\x01"s).second, "unknown message type 0x01");
  ClientDecoder other;
  decode_all(other, startup_bytes());
  EXPECT_EQ(decode_all(other, "Z"s).second, "unknown message type 'Z'");
}

TEST(WireDecoder, ServerDecoderPassesUnknownTypesThrough) {
  ServerDecoder decoder;
  auto [messages, error] = decode_all(decoder, typed('\x7f', "abc") + typed('v', ""));
  EXPECT_EQ(error, "");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].type, '\x7f');
  EXPECT_EQ(messages[0].payload, "abc");
}

TEST(WireDecoder, AMalformedStreamStaysMalformed) {
  ClientDecoder decoder;
  decoder.append(be32(2));
  const DecodeResult first = decoder.next();
  ASSERT_EQ(first.status, DecodeStatus::kMalformed);
  decoder.append(startup_bytes());
  const DecodeResult again = decoder.next();
  EXPECT_EQ(again.status, DecodeStatus::kMalformed);
  EXPECT_EQ(again.error, first.error);
}

TEST(WireDecoder, MessagesBeforeAMalformedOneStayReadable) {
  ServerDecoder decoder;
  decoder.append(typed('Z', "I") + "C"s + be32(2));
  DecodeResult first = decoder.next();
  ASSERT_EQ(first.status, DecodeStatus::kMessage);
  EXPECT_EQ(decoder.next().status, DecodeStatus::kMalformed);
  EXPECT_EQ(first.message.payload, "I");  // still valid: no append in between
}

}  // namespace
}  // namespace cutover::proxy
