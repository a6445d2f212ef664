// Garbled input, deterministic: random and mutated byte streams through the decoders and every
// payload parser, in random pieces, must never crash, overrun or loop (run under ASan too).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "proxy/wire_decoder.h"
#include "proxy/wire_encoder.h"
#include "proxy/wire_parser.h"

namespace cutover::proxy {
namespace {

// std::mt19937's output is fixed by the standard (distributions are not), so use it raw.
class Random {
 public:
  explicit Random(std::uint32_t seed) : engine_(seed) {}
  std::size_t below(std::size_t n) { return n == 0 ? 0 : engine_() % n; }
  char byte() { return static_cast<char>(engine_() & 0xff); }
  std::string bytes(std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = byte();
    return out;
  }

 private:
  std::mt19937 engine_;
};

// A valid stream of both sides' messages to mutate.
std::string valid_client_stream() {
  std::string out;
  append_ssl_request(out);
  append_startup_message(out, {.parameters = {{"user", "app"}, {"database", "shop"}}});
  append_sasl_initial_response(out, "SCRAM-SHA-256", "n,,n=,r=abc");
  append_sasl_response(out, "c=biws,r=abcdef,p=xyz");
  append_query(out, "SELECT 1");
  append_password_message(out, "pw");
  append_terminate(out);
  return out;
}

std::string valid_server_stream() {
  std::string out;
  append_authentication_sasl(out, {"SCRAM-SHA-256"});
  append_authentication_md5_password(out, "salt");
  append_authentication_ok(out);
  append_parameter_status(out, "a", "b");
  append_backend_key_data(out, {.process_id = 1, .secret_key = "abcd"});
  append_error_response(out, {.sqlstate = "25006", .message = "m", .detail = "d"});
  append_ready_for_query(out, TransactionStatus::kIdle);
  return out;
}

std::string mutate(Random& random, std::string text) {
  const std::size_t edits = 1 + random.below(4);
  for (std::size_t i = 0; i < edits && !text.empty(); ++i) {
    const std::size_t at = random.below(text.size());
    switch (random.below(4)) {
      case 0:
        text[at] = random.byte();
        break;
      case 1:
        text.erase(at, 1 + random.below(8));
        break;
      case 2:
        text.insert(at, random.bytes(1 + random.below(8)));
        break;
      default:
        text[at] = static_cast<char>(text[at] ^ (1 << random.below(8)));
        break;
    }
  }
  return text;
}

// Every parser on a payload: each returns a value or an error, never both, never neither.
void parse_every_way(std::string_view payload) {
  auto check = [](const auto& parsed) {
    ASSERT_NE(parsed.value.has_value(), !parsed.error.empty());
  };
  check(parse_startup_message(payload));
  check(parse_cancel_request(payload));
  check(parse_query(payload));
  check(parse_parse(payload));
  check(parse_bind(payload));
  check(parse_describe(payload));
  check(parse_close(payload));
  check(parse_execute(payload));
  check(parse_password_message(payload));
  check(parse_sasl_initial_response(payload));
  check(parse_sasl_response(payload));
  check(parse_authentication(payload));
  check(parse_backend_key_data(payload));
  check(parse_parameter_status(payload));
  check(parse_ready_for_query(payload));
  check(parse_error_fields(payload));
  check(parse_command_complete(payload));
}

// Feeds `input` in random pieces, parsing every message; returns how many came out.
template <typename Decoder>
std::size_t feed(Random& random, Decoder& decoder, const std::string& input) {
  std::size_t at = 0, messages = 0;
  while (at < input.size()) {
    const std::size_t piece = 1 + random.below(64);
    decoder.append(std::string_view(input).substr(at, piece));
    at += piece;
    while (true) {
      DecodeResult result = decoder.next();
      if (result.status == DecodeStatus::kNeedMore) break;
      if (result.status == DecodeStatus::kMalformed) {
        EXPECT_FALSE(result.error.empty());
        return messages;
      }
      ++messages;
      EXPECT_GE(result.message.bytes.size(), result.message.payload.size() + 4);
      parse_every_way(result.message.payload);
    }
  }
  return messages;
}

TEST(WireFuzz, GarbledStreamsNeverCrashTheDecodersOrParsers) {
  Random random(20240612);
  const std::string client = valid_client_stream(), server = valid_server_stream();
  std::size_t messages = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    switch (round % 3) {
      case 0:
        input = random.bytes(random.below(200));
        break;
      case 1:
        input = mutate(random, client);
        break;
      default:
        input = mutate(random, server);
        break;
    }
    ClientDecoder client_decoder(1 << 16);
    ServerDecoder server_decoder(1 << 16);
    messages += feed(random, client_decoder, input);
    messages += feed(random, server_decoder, input);
    parse_every_way(input);
  }
  // Mutations leave most messages whole: the loop really reached the parsers.
  EXPECT_GT(messages, 3000u);
}

}  // namespace
}  // namespace cutover::proxy
