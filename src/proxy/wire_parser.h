// Parsers of the message payloads the proxy looks into: bounds-checked, never throwing on bad
// input, each returning the message or why its payload is malformed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy/wire_message.h"

namespace cutover::proxy {

// What a payload parser returns: the message, or why the payload is malformed.
template <typename T>
struct Parsed {
  std::optional<T> value;  // set on success
  std::string error;       // set on failure, e.g. "Query: text is not NUL-terminated"

  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

// Every parser takes a WireMessage's payload (for untyped packets, starting with the code) and
// copies what it returns, so the result outlives the decoder's buffer. Every string must end
// with a NUL inside the payload, every count must fit, and nothing may follow the last field
// (except in Bind, of which only the names are read).

// Startup phase (ClientDecoder, StartupPacket::kStartupMessage / kCancelRequest).
Parsed<StartupMessage> parse_startup_message(std::string_view payload);
Parsed<CancelRequest> parse_cancel_request(std::string_view payload);

// Frontend, after startup.
Parsed<Query> parse_query(std::string_view payload);
Parsed<Parse> parse_parse(std::string_view payload);
Parsed<Bind> parse_bind(std::string_view payload);
Parsed<Describe> parse_describe(std::string_view payload);
Parsed<Close> parse_close(std::string_view payload);
Parsed<Execute> parse_execute(std::string_view payload);
// The three readings of a 'p' message: which one applies follows from the authentication
// request the server sent (cleartext or md5: PasswordMessage; SASL: the initial response, then
// SASLResponse for each SASLContinue).
Parsed<PasswordMessage> parse_password_message(std::string_view payload);
Parsed<SaslInitialResponse> parse_sasl_initial_response(std::string_view payload);
Parsed<SaslResponse> parse_sasl_response(std::string_view payload);

// Backend.
Parsed<AuthenticationRequest> parse_authentication(std::string_view payload);
Parsed<BackendKeyData> parse_backend_key_data(std::string_view payload);
Parsed<ParameterStatus> parse_parameter_status(std::string_view payload);
Parsed<ReadyForQuery> parse_ready_for_query(std::string_view payload);
// ErrorResponse and NoticeResponse share their layout: (code byte, string)*, then a NUL.
Parsed<ErrorFields> parse_error_fields(std::string_view payload);
Parsed<CommandComplete> parse_command_complete(std::string_view payload);

}  // namespace cutover::proxy
