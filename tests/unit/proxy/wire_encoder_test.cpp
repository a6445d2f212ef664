// Message builders: exact bytes for an ErrorResponse and AuthenticationOk, and every builder
// read back through the decoders and parsers.
#include "proxy/wire_encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/wire_decoder.h"
#include "proxy/wire_parser.h"
#include "unit/proxy/wire_test_bytes.h"

namespace cutover::proxy {
namespace {

using namespace std::string_literals;
using test::be32;

// The one message in `bytes`, through a ServerDecoder (backend messages).
WireMessage only_server_message(ServerDecoder& decoder, const std::string& bytes) {
  decoder.append(bytes);
  DecodeResult result = decoder.next();
  EXPECT_EQ(result.status, DecodeStatus::kMessage) << result.error;
  EXPECT_EQ(result.message.bytes.size(), bytes.size());
  EXPECT_EQ(decoder.next().status, DecodeStatus::kNeedMore);
  return result.message;
}

// The one message in `bytes`, through a ClientDecoder already past the startup packet.
WireMessage only_client_message(ClientDecoder& decoder, const std::string& bytes) {
  if (decoder.in_startup()) {
    std::string startup;
    append_startup_message(startup, {.parameters = {{"user", "u"}}});
    decoder.append(startup);
    EXPECT_EQ(decoder.next().status, DecodeStatus::kMessage);
  }
  decoder.append(bytes);
  DecodeResult result = decoder.next();
  EXPECT_EQ(result.status, DecodeStatus::kMessage) << result.error;
  EXPECT_EQ(result.message.bytes.size(), bytes.size());
  return result.message;
}

TEST(WireEncoder, ErrorResponseExactBytes) {
  std::string out = "already here";
  append_error_response(out, {.severity = "FATAL",
                              .sqlstate = "28P01",
                              .message = "password authentication failed for user \"app\""});
  const std::string expected =
      "already here"
      "E\x00\x00\x00\x49"
      "SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"app\"\0\0"s;
  EXPECT_EQ(out, expected);
}

TEST(WireEncoder, AuthenticationOkExactBytes) {
  std::string out;
  append_authentication_ok(out);
  EXPECT_EQ(out, "R\x00\x00\x00\x08\x00\x00\x00\x00"s);
}

TEST(WireEncoder, ErrorResponseWithDetailAndHintRoundTrips) {
  const ErrorReport report{.severity = "ERROR",
                           .sqlstate = "25006",
                           .message = "cannot execute UPDATE in a read-only transaction",
                           .detail = "cutover proxy is read-only",
                           .hint = "retry after the cutover"};
  std::string out;
  append_error_response(out, report);
  EXPECT_EQ(out.substr(0, 5), "E"s + be32(0x81));
  ServerDecoder decoder;
  WireMessage message = only_server_message(decoder, out);
  EXPECT_EQ(message.type, 'E');
  Parsed<ErrorFields> fields = parse_error_fields(message.payload);
  ASSERT_TRUE(fields) << fields.error;
  EXPECT_EQ(fields->fields.size(), 6u);
  EXPECT_EQ(fields->severity(), "ERROR");
  EXPECT_EQ(fields->field(error_field::kSeverity), "ERROR");
  EXPECT_EQ(fields->sqlstate(), "25006");
  EXPECT_EQ(fields->message(), report.message);
  EXPECT_EQ(fields->field(error_field::kDetail), report.detail);
  EXPECT_EQ(fields->field(error_field::kHint), report.hint);
}

TEST(WireEncoder, NoticeResponseRoundTrips) {
  std::string out;
  append_notice_response(out, {.severity = "NOTICE", .sqlstate = "00000", .message = "hello"});
  ServerDecoder decoder;
  WireMessage message = only_server_message(decoder, out);
  EXPECT_EQ(message.type, 'N');
  Parsed<ErrorFields> fields = parse_error_fields(message.payload);
  ASSERT_TRUE(fields) << fields.error;
  EXPECT_EQ(fields->fields.size(), 4u);  // no empty detail or hint
  EXPECT_EQ(fields->severity(), "NOTICE");
  EXPECT_EQ(fields->message(), "hello");
}

TEST(WireEncoder, AStringWithANulIsCutThere) {
  std::string out;
  append_error_response(out, {.sqlstate = "XX000", .message = "before\0after"s});
  ServerDecoder decoder;
  Parsed<ErrorFields> fields = parse_error_fields(only_server_message(decoder, out).payload);
  ASSERT_TRUE(fields) << fields.error;
  EXPECT_EQ(fields->message(), "before");

  std::string query;
  append_query(query, "SELECT 1\0; DROP TABLE t"s);
  ClientDecoder client;
  Parsed<Query> parsed = parse_query(only_client_message(client, query).payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->text, "SELECT 1");
}

TEST(WireEncoder, StartupErrorInThePreThreeForm) {
  std::string out;
  append_startup_error_v2(out, "FATAL", "unsupported frontend protocol 2.0");
  EXPECT_EQ(out, "EFATAL:  unsupported frontend protocol 2.0\n\0"s);
}

TEST(WireEncoder, AuthenticationRequestsRoundTrip) {
  ServerDecoder decoder;
  auto request = [&](const std::string& bytes) {
    WireMessage message = only_server_message(decoder, bytes);
    EXPECT_EQ(message.type, 'R');
    Parsed<AuthenticationRequest> parsed = parse_authentication(message.payload);
    EXPECT_TRUE(parsed) << parsed.error;
    return parsed.value.value_or(AuthenticationRequest{});
  };
  std::string out;
  append_authentication_cleartext_password(out);
  EXPECT_EQ(request(out).kind, AuthKind::kCleartextPassword);

  out.clear();
  append_authentication_md5_password(out, "\xde\xad\xbe\xef"s);
  AuthenticationRequest md5 = request(out);
  EXPECT_EQ(md5.kind, AuthKind::kMd5Password);
  EXPECT_EQ(md5.md5_salt, "\xde\xad\xbe\xef"s);
  EXPECT_EQ(out, "R"s + be32(12) + be32(5) + "\xde\xad\xbe\xef"s);

  out.clear();
  append_authentication_sasl(out, {"SCRAM-SHA-256"});
  AuthenticationRequest sasl = request(out);
  EXPECT_EQ(sasl.kind, AuthKind::kSasl);
  EXPECT_EQ(sasl.sasl_mechanisms, std::vector<std::string>{"SCRAM-SHA-256"});
  EXPECT_EQ(out, "R"s + be32(23) + be32(10) + "SCRAM-SHA-256\0\0"s);

  out.clear();
  append_authentication_sasl_continue(out, "r=abc,s=c2FsdA==,i=4096");
  AuthenticationRequest more = request(out);
  EXPECT_EQ(more.kind, AuthKind::kSaslContinue);
  EXPECT_EQ(more.data, "r=abc,s=c2FsdA==,i=4096");

  out.clear();
  append_authentication_sasl_final(out, "v=abc");
  AuthenticationRequest last = request(out);
  EXPECT_EQ(last.kind, AuthKind::kSaslFinal);
  EXPECT_EQ(last.data, "v=abc");

  out.clear();
  append_authentication_ok(out);
  EXPECT_EQ(request(out).kind, AuthKind::kOk);
}

TEST(WireEncoder, SessionStartMessagesRoundTrip) {
  std::string out;
  append_parameter_status(out, "client_encoding", "UTF8");
  append_backend_key_data(out, {.process_id = 99, .secret_key = "\x00\x01\x02\x03"s});
  append_ready_for_query(out, TransactionStatus::kFailed);
  ServerDecoder decoder;
  decoder.append(out);

  DecodeResult status = decoder.next();
  ASSERT_EQ(status.message.type, 'S');
  Parsed<ParameterStatus> parameter = parse_parameter_status(status.message.payload);
  ASSERT_TRUE(parameter) << parameter.error;
  EXPECT_EQ(parameter->name, "client_encoding");
  EXPECT_EQ(parameter->value, "UTF8");

  DecodeResult key = decoder.next();
  ASSERT_EQ(key.message.type, 'K');
  Parsed<BackendKeyData> key_data = parse_backend_key_data(key.message.payload);
  ASSERT_TRUE(key_data) << key_data.error;
  EXPECT_EQ(key_data->process_id, 99);
  EXPECT_EQ(key_data->secret_key, "\x00\x01\x02\x03"s);

  DecodeResult ready = decoder.next();
  ASSERT_EQ(ready.message.type, 'Z');
  EXPECT_EQ(ready.message.bytes,
            "Z\x00\x00\x00\x05"
            "E"s);
  Parsed<ReadyForQuery> ready_parsed = parse_ready_for_query(ready.message.payload);
  ASSERT_TRUE(ready_parsed);
  EXPECT_EQ(ready_parsed->status, TransactionStatus::kFailed);
}

TEST(WireEncoder, StartupPacketsRoundTrip) {
  std::string out;
  append_ssl_request(out);
  append_cancel_request(out, {.process_id = 7, .secret_key = "abcd"});
  EXPECT_EQ(out.substr(0, 8), be32(8) + be32(80877103));
  append_startup_message(
      out, {.minor_version = 2,
            .parameters = {
                {"user", "app"}, {"", "dropped: an empty name"}, {"application_name", "psql"}}});
  ClientDecoder decoder;
  decoder.append(out);
  EXPECT_EQ(decoder.next().message.startup, StartupPacket::kSslRequest);
  EXPECT_EQ(decoder.next().message.startup, StartupPacket::kCancelRequest);
  DecodeResult startup = decoder.next();
  ASSERT_EQ(startup.message.startup, StartupPacket::kStartupMessage) << startup.error;
  Parsed<StartupMessage> parsed = parse_startup_message(startup.message.payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->minor_version, 2);
  ASSERT_EQ(parsed->parameters.size(), 2u);
  EXPECT_EQ(parsed->parameter("application_name"), "psql");
}

TEST(WireEncoder, FrontendMessagesRoundTrip) {
  ClientDecoder decoder;
  std::string out;
  append_password_message(out, "md5abcdef");
  WireMessage password = only_client_message(decoder, out);
  EXPECT_EQ(password.type, 'p');
  EXPECT_EQ(parse_password_message(password.payload)->password, "md5abcdef");

  out.clear();
  append_sasl_initial_response(out, "SCRAM-SHA-256", "n,,n=,r=nonce");
  Parsed<SaslInitialResponse> initial =
      parse_sasl_initial_response(only_client_message(decoder, out).payload);
  ASSERT_TRUE(initial) << initial.error;
  EXPECT_EQ(initial->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(initial->data, "n,,n=,r=nonce");

  out.clear();
  append_sasl_initial_response(out, "SCRAM-SHA-256", std::nullopt);
  EXPECT_EQ(out, "p"s + be32(22) + "SCRAM-SHA-256\0"s + be32(0xffffffff));
  Parsed<SaslInitialResponse> no_data =
      parse_sasl_initial_response(only_client_message(decoder, out).payload);
  ASSERT_TRUE(no_data) << no_data.error;
  EXPECT_EQ(no_data->data, std::nullopt);

  out.clear();
  append_sasl_response(out, "c=biws,r=nonce,p=proof");
  EXPECT_EQ(parse_sasl_response(only_client_message(decoder, out).payload)->data,
            "c=biws,r=nonce,p=proof");

  out.clear();
  append_query(out, "SELECT 1");
  WireMessage query = only_client_message(decoder, out);
  EXPECT_EQ(query.type, 'Q');
  EXPECT_EQ(parse_query(query.payload)->text, "SELECT 1");

  out.clear();
  append_execute(out, {.portal = "p1", .max_rows = 10});
  WireMessage execute = only_client_message(decoder, out);
  EXPECT_EQ(execute.type, 'E');
  Parsed<Execute> executed = parse_execute(execute.payload);
  ASSERT_TRUE(executed) << executed.error;
  EXPECT_EQ(executed->portal, "p1");
  EXPECT_EQ(executed->max_rows, 10);

  out.clear();
  append_terminate(out);
  EXPECT_EQ(out, "X\x00\x00\x00\x04"s);
  EXPECT_EQ(only_client_message(decoder, out).type, 'X');
}

}  // namespace
}  // namespace cutover::proxy
