// Payload parsers: each message read, and every missing NUL, short field and trailing byte
// refused with a reason.
#include "proxy/wire_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/proxy/wire_test_bytes.h"

namespace cutover::proxy {
namespace {

using namespace std::string_literals;
using test::be16;
using test::be32;

// Every proper prefix of a valid payload is malformed: a field or its NUL is always missing.
template <typename Parser>
void expect_every_prefix_refused(Parser parse, const std::string& payload) {
  for (std::size_t size = 0; size < payload.size(); ++size) {
    auto parsed = parse(std::string_view(payload).substr(0, size));
    EXPECT_FALSE(parsed) << "prefix of " << size << " bytes";
    EXPECT_NE(parsed.error, "") << "prefix of " << size << " bytes";
  }
  EXPECT_TRUE(parse(payload)) << parse(payload).error;
}

// And a byte after the last field is refused too.
template <typename Parser>
void expect_trailing_byte_refused(Parser parse, const std::string& payload) {
  auto parsed = parse(payload + "x");
  EXPECT_FALSE(parsed);
  EXPECT_NE(parsed.error.find("1 unexpected bytes after the last field"), std::string::npos)
      << parsed.error;
}

template <typename Parser>
void expect_strict(Parser parse, const std::string& payload) {
  expect_every_prefix_refused(parse, payload);
  expect_trailing_byte_refused(parse, payload);
}

TEST(WireParser, StartupMessageKeepsParametersInOrder) {
  const std::string payload = be32(0x00030000) + "user\0app\0database\0shop\0options\0-c x=1\0\0"s;
  Parsed<StartupMessage> parsed = parse_startup_message(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->major_version, 3);
  EXPECT_EQ(parsed->minor_version, 0);
  ASSERT_EQ(parsed->parameters.size(), 3u);
  EXPECT_EQ(parsed->parameters[0], (std::pair<std::string, std::string>{"user", "app"}));
  EXPECT_EQ(parsed->parameters[2].second, "-c x=1");
  EXPECT_EQ(parsed->parameter("user"), "app");
  EXPECT_EQ(parsed->parameter("replication"), std::nullopt);
  expect_strict(parse_startup_message, payload);

  EXPECT_EQ(parse_startup_message(be32(0x00030000)).error,
            "StartupMessage: the parameter list has no terminating NUL");
  EXPECT_EQ(parse_startup_message(be32(0x00030000) + "user\0app"s).error,
            "StartupMessage: a parameter value is not NUL-terminated");
  EXPECT_EQ(parse_startup_message(be32(0x00020000) + "\0"s).error,
            "StartupMessage: unsupported protocol 2.0: only 3.x is supported");
  EXPECT_TRUE(parse_startup_message(be32(0x00030000) + "\0"s));  // no parameters at all
}

TEST(WireParser, CancelRequestKeyLengths) {
  const std::string payload = be32(80877102) + be32(1234) + "abcd";
  Parsed<CancelRequest> parsed = parse_cancel_request(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->process_id, 1234);
  EXPECT_EQ(parsed->secret_key, "abcd");
  expect_every_prefix_refused(parse_cancel_request, payload);
  EXPECT_TRUE(parse_cancel_request(be32(80877102) + be32(1) + std::string(256, 'k')));
  EXPECT_EQ(parse_cancel_request(be32(80877102) + be32(1) + std::string(257, 'k')).error,
            "CancelRequest: the secret key has 257 bytes, not 4 to 256");
  EXPECT_EQ(parse_cancel_request(be32(80877103) + be32(1) + "abcd").error,
            "CancelRequest: the request code is 80877103, not 80877102");
}

TEST(WireParser, Query) {
  Parsed<Query> parsed = parse_query("SELECT 'a';\0"s);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->text, "SELECT 'a';");
  EXPECT_EQ(parse_query("SELECT 1").error, "Query: the query text is not NUL-terminated");
  EXPECT_EQ(parse_query("").error, "Query: the query text is not NUL-terminated");
  expect_strict(parse_query, "SELECT 1\0"s);
  // A NUL inside the text ends it: what follows is trailing garbage.
  EXPECT_FALSE(parse_query("SELECT 1\0; DROP TABLE t\0"s));
}

TEST(WireParser, ParseWithParameterTypes) {
  const std::string payload = "stmt\0SELECT $1, $2\0"s + be16(2) + be32(23) + be32(0);
  Parsed<Parse> parsed = parse_parse(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->statement, "stmt");
  EXPECT_EQ(parsed->query, "SELECT $1, $2");
  EXPECT_EQ(parsed->parameter_types, (std::vector<std::uint32_t>{23, 0}));
  expect_strict(parse_parse, payload);
  EXPECT_TRUE(parse_parse("\0SELECT 1\0"s + be16(0)));
  EXPECT_EQ(parse_parse("\0q\0"s + be16(0xffff)).error, "Parse: negative parameter type count -1");
  EXPECT_EQ(parse_parse("\0q\0"s + be16(3) + be32(1)).error,
            "Parse: a parameter type needs 4 bytes, 0 left");
  EXPECT_EQ(parse_parse("stmt").error, "Parse: the statement name is not NUL-terminated");
  EXPECT_EQ(parse_parse("stmt\0SELECT"s).error, "Parse: the query is not NUL-terminated");
}

TEST(WireParser, BindReadsOnlyTheNames) {
  const std::string payload = "portal\0stmt\0"s + be16(0) + be16(1) + be32(1) + "7" + be16(0);
  Parsed<Bind> parsed = parse_bind(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->portal, "portal");
  EXPECT_EQ(parsed->statement, "stmt");
  EXPECT_EQ(parse_bind("portal\0stmt"s).error, "Bind: the statement name is not NUL-terminated");
  EXPECT_EQ(parse_bind("portal").error, "Bind: the portal name is not NUL-terminated");
}

TEST(WireParser, DescribeAndClose) {
  Parsed<Describe> describe = parse_describe("Pmy_portal\0"s);
  ASSERT_TRUE(describe) << describe.error;
  EXPECT_EQ(describe->kind, 'P');
  EXPECT_EQ(describe->name, "my_portal");
  expect_strict(parse_describe, "S\0"s);
  Parsed<Close> close = parse_close("Sstmt\0"s);
  ASSERT_TRUE(close) << close.error;
  EXPECT_EQ(close->kind, 'S');
  EXPECT_EQ(close->name, "stmt");
  expect_strict(parse_close, "Pp\0"s);
  EXPECT_EQ(parse_close("Xname\0"s).error, "Close: kind is 0x58, not 'S' or 'P'");
}

TEST(WireParser, Execute) {
  const std::string payload = "portal\0"s + be32(100);
  Parsed<Execute> parsed = parse_execute(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->portal, "portal");
  EXPECT_EQ(parsed->max_rows, 100);
  expect_strict(parse_execute, payload);
}

TEST(WireParser, PasswordMessage) {
  Parsed<PasswordMessage> parsed = parse_password_message("md5abc\0"s);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->password, "md5abc");
  expect_strict(parse_password_message, "secret\0"s);
}

TEST(WireParser, SaslInitialResponseWithDataAndWithout) {
  const std::string payload = "SCRAM-SHA-256\0"s + be32(8) + "n,,n=,r=";
  Parsed<SaslInitialResponse> parsed = parse_sasl_initial_response(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(parsed->data, "n,,n=,r=");
  expect_strict(parse_sasl_initial_response, payload);

  Parsed<SaslInitialResponse> none =
      parse_sasl_initial_response("SCRAM-SHA-256\0"s + be32(0xffffffff));
  ASSERT_TRUE(none) << none.error;
  EXPECT_EQ(none->data, std::nullopt);
  Parsed<SaslInitialResponse> empty = parse_sasl_initial_response("M\0"s + be32(0));
  ASSERT_TRUE(empty) << empty.error;
  EXPECT_EQ(empty->data, "");
  EXPECT_EQ(parse_sasl_initial_response("M\0"s + be32(0xfffffffe)).error,
            "SASLInitialResponse: the data length is -2");
  EXPECT_EQ(parse_sasl_initial_response("M\0"s + be32(0x7fffffff) + "abc").error,
            "SASLInitialResponse: the data needs 2147483647 bytes, 3 left");
  EXPECT_EQ(parse_sasl_initial_response("SCRAM-SHA-256").error,
            "SASLInitialResponse: the mechanism is not NUL-terminated");
}

TEST(WireParser, SaslResponseIsTheWholePayload) {
  Parsed<SaslResponse> parsed = parse_sasl_response("c=biws,r=abc,p=xyz\0\x01"s);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->data, "c=biws,r=abc,p=xyz\0\x01"s);
}

TEST(WireParser, AuthenticationRequestsOfEveryKind) {
  for (auto kind : {AuthKind::kOk, AuthKind::kCleartextPassword, AuthKind::kKerberosV5,
                    AuthKind::kGss, AuthKind::kSspi}) {
    const std::string payload = be32(static_cast<std::uint32_t>(kind));
    Parsed<AuthenticationRequest> parsed = parse_authentication(payload);
    ASSERT_TRUE(parsed) << parsed.error;
    EXPECT_EQ(parsed->kind, kind);
    expect_strict(parse_authentication, payload);
  }
  const std::string md5 = be32(5) + "\x01\x02\x03\x04"s;
  Parsed<AuthenticationRequest> salt = parse_authentication(md5);
  ASSERT_TRUE(salt) << salt.error;
  EXPECT_EQ(salt->kind, AuthKind::kMd5Password);
  EXPECT_EQ(salt->md5_salt, "\x01\x02\x03\x04"s);
  expect_strict(parse_authentication, md5);

  const std::string sasl = be32(10) + "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"s;
  Parsed<AuthenticationRequest> mechanisms = parse_authentication(sasl);
  ASSERT_TRUE(mechanisms) << mechanisms.error;
  EXPECT_EQ(mechanisms->sasl_mechanisms,
            (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  expect_strict(parse_authentication, sasl);
  EXPECT_EQ(parse_authentication(be32(10) + "SCRAM-SHA-256\0"s).error,
            "Authentication: the mechanism list has no terminating NUL");

  for (std::uint32_t kind : {8u, 11u, 12u}) {
    Parsed<AuthenticationRequest> data = parse_authentication(be32(kind) + "r=abc,s=x\0y"s);
    ASSERT_TRUE(data) << data.error;
    EXPECT_EQ(static_cast<std::uint32_t>(data->kind), kind);
    EXPECT_EQ(data->data, "r=abc,s=x\0y"s);
  }
  EXPECT_EQ(parse_authentication(be32(6)).error, "Authentication: unknown request kind 6");
  EXPECT_EQ(parse_authentication(be32(0xffffffff)).error,
            "Authentication: unknown request kind -1");
  EXPECT_FALSE(parse_authentication("\0\0"s));
}

TEST(WireParser, BackendKeyData) {
  const std::string payload = be32(4242) + "\x01\x02\x03\x04"s;
  Parsed<BackendKeyData> parsed = parse_backend_key_data(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->process_id, 4242);
  EXPECT_EQ(parsed->secret_key, "\x01\x02\x03\x04"s);
  expect_every_prefix_refused(parse_backend_key_data, payload);
  EXPECT_TRUE(parse_backend_key_data(be32(1) + std::string(32, 'k')));  // protocol 3.2
  EXPECT_FALSE(parse_backend_key_data(be32(1) + std::string(257, 'k')));
}

TEST(WireParser, ParameterStatus) {
  const std::string payload = "TimeZone\0Europe/Berlin\0"s;
  Parsed<ParameterStatus> parsed = parse_parameter_status(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->name, "TimeZone");
  EXPECT_EQ(parsed->value, "Europe/Berlin");
  expect_strict(parse_parameter_status, payload);
}

TEST(WireParser, ReadyForQuery) {
  for (char status : {'I', 'T', 'E'}) {
    Parsed<ReadyForQuery> parsed = parse_ready_for_query(std::string(1, status));
    ASSERT_TRUE(parsed) << parsed.error;
    EXPECT_EQ(static_cast<char>(parsed->status), status);
  }
  expect_strict(parse_ready_for_query, "T");
  EXPECT_EQ(parse_ready_for_query("X").error, "ReadyForQuery: unknown transaction status 0x58");
}

TEST(WireParser, ErrorAndNoticeFields) {
  const std::string payload =
      "SERROR\0VERROR\0C25006\0Mcannot execute INSERT in a read-only transaction\0"
      "Dthe proxy is read-only\0Htry later\0Fpostgres.c\0L1234\0\0"s;
  Parsed<ErrorFields> parsed = parse_error_fields(payload);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->fields.size(), 8u);
  EXPECT_EQ(parsed->severity(), "ERROR");
  EXPECT_EQ(parsed->sqlstate(), "25006");
  EXPECT_EQ(parsed->message(), "cannot execute INSERT in a read-only transaction");
  EXPECT_EQ(parsed->field(error_field::kDetail), "the proxy is read-only");
  EXPECT_EQ(parsed->field(error_field::kHint), "try later");
  EXPECT_EQ(parsed->field(error_field::kLine), "1234");
  EXPECT_EQ(parsed->field(error_field::kSchema), "");
  expect_strict(parse_error_fields, payload);
  EXPECT_EQ(parse_error_fields("SERROR\0"s).error,
            "ErrorResponse/NoticeResponse: the field list has no terminating NUL");
  EXPECT_EQ(parse_error_fields("SERROR"s).error,
            "ErrorResponse/NoticeResponse: a field value is not NUL-terminated");
  Parsed<ErrorFields> localized = parse_error_fields("SFEHLER\0C42P01\0\0"s);
  ASSERT_TRUE(localized);
  EXPECT_EQ(localized->severity(), "FEHLER");  // no V: the localized one
}

TEST(WireParser, CommandComplete) {
  Parsed<CommandComplete> parsed = parse_command_complete("INSERT 0 1\0"s);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed->tag, "INSERT 0 1");
  expect_strict(parse_command_complete, "BEGIN\0"s);
}

}  // namespace
}  // namespace cutover::proxy
