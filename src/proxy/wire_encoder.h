// Builders of PostgreSQL wire protocol messages: each appends one whole message to a string, the
// proxy's outgoing buffer, and never throws but for std::bad_alloc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/wire_message.h"

namespace cutover::proxy {

// Strings go on the wire NUL-terminated, so a string holding a NUL is cut at it: the output is
// always well-formed. Length-prefixed data (SASL, cancel keys) goes as it is.

// ---- What the proxy sends to a client (backend messages) ----

// ErrorResponse: S and V (severity), C (SQLSTATE), M, and D and H when not empty.
void append_error_response(std::string& out, const ErrorReport& report);
// NoticeResponse: the same fields (severity WARNING, NOTICE, ...).
void append_notice_response(std::string& out, const ErrorReport& report);
// The pre-3.0 error form: 'E', then "<SEVERITY>:  <message>\n" and a NUL, no length word. It is
// what PostgreSQL answers a startup packet asking for another protocol than 3.x with, as only it
// is understood there (libpq recognizes it); any 3.x client gets append_error_response().
void append_startup_error_v2(std::string& out, std::string_view severity, std::string_view message);

void append_authentication_ok(std::string& out);
void append_authentication_cleartext_password(std::string& out);
// `salt` must be 4 bytes (it is cut or padded with NULs to 4).
void append_authentication_md5_password(std::string& out, std::string_view salt);
// AuthenticationSASL with the mechanisms offered, e.g. {"SCRAM-SHA-256"}.
void append_authentication_sasl(std::string& out, const std::vector<std::string>& mechanisms);
void append_authentication_sasl_continue(std::string& out, std::string_view data);
void append_authentication_sasl_final(std::string& out, std::string_view data);

void append_parameter_status(std::string& out, std::string_view name, std::string_view value);
void append_backend_key_data(std::string& out, const BackendKeyData& key);
void append_ready_for_query(std::string& out, TransactionStatus status);

// ---- What the proxy sends to a server (frontend messages) ----

// Parameters with an empty name are left out (an empty name ends the list on the wire).
void append_startup_message(std::string& out, const StartupMessage& startup);
void append_ssl_request(std::string& out);
void append_gssenc_request(std::string& out);
void append_cancel_request(std::string& out, const CancelRequest& cancel);
void append_password_message(std::string& out, std::string_view password);
// `data` absent sends length -1.
void append_sasl_initial_response(std::string& out, std::string_view mechanism,
                                  std::optional<std::string_view> data);
void append_sasl_response(std::string& out, std::string_view data);
void append_query(std::string& out, std::string_view text);
// Parse: `parse.query` prepared as `parse.statement` with its declared parameter types.
void append_parse(std::string& out, const Parse& parse);
// Execute: runs `execute.portal`, up to `max_rows` rows (0: all).
void append_execute(std::string& out, const Execute& execute);
void append_sync(std::string& out);
void append_terminate(std::string& out);

}  // namespace cutover::proxy
