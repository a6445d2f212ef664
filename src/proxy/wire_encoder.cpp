// Builders of PostgreSQL wire protocol messages.
#include "proxy/wire_encoder.h"

#include <cstddef>
#include <utility>

namespace cutover::proxy {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>(value >> 24 & 0xff));
  out.push_back(static_cast<char>(value >> 16 & 0xff));
  out.push_back(static_cast<char>(value >> 8 & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

void put_i32(std::string& out, std::int32_t value) {
  put_u32(out, static_cast<std::uint32_t>(value));
}

// A string and its terminating NUL; a NUL inside ends it there.
void put_string(std::string& out, std::string_view text) {
  out.append(text.substr(0, text.find('\0')));
  out.push_back('\0');
}

// One message being appended: the type byte (none for startup packets) and a length word that
// the destructor fills in once the payload is there.
class Message {
 public:
  Message(std::string& out, char type) : out_(out) {
    if (type != '\0') out_.push_back(type);
    start_ = out_.size();
    put_u32(out_, 0);
  }
  ~Message() {
    const auto length = static_cast<std::uint32_t>(out_.size() - start_);
    for (std::size_t i = 0; i < 4; ++i) {
      out_[start_ + i] = static_cast<char>(length >> (24 - 8 * i) & 0xff);
    }
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

 private:
  std::string& out_;
  std::size_t start_ = 0;
};

void append_error_fields(std::string& out, char type, const ErrorReport& report) {
  Message message(out, type);
  for (auto [code, value] : {std::pair{error_field::kSeverity, &report.severity},
                             std::pair{error_field::kSeverityPlain, &report.severity},
                             std::pair{error_field::kSqlState, &report.sqlstate},
                             std::pair{error_field::kMessage, &report.message},
                             std::pair{error_field::kDetail, &report.detail},
                             std::pair{error_field::kHint, &report.hint}}) {
    if (value->empty() && (code == error_field::kDetail || code == error_field::kHint)) continue;
    out.push_back(code);
    put_string(out, *value);
  }
  out.push_back('\0');
}

void append_authentication(std::string& out, AuthKind kind, std::string_view data = {}) {
  Message message(out, backend_type::kAuthentication);
  put_i32(out, static_cast<std::int32_t>(kind));
  out.append(data);
}

}  // namespace

void append_error_response(std::string& out, const ErrorReport& report) {
  append_error_fields(out, backend_type::kErrorResponse, report);
}

void append_notice_response(std::string& out, const ErrorReport& report) {
  append_error_fields(out, backend_type::kNoticeResponse, report);
}

void append_startup_error_v2(std::string& out, std::string_view severity,
                             std::string_view message) {
  out.push_back(backend_type::kErrorResponse);
  std::string text(severity);
  text.append(":  ").append(message).push_back('\n');
  put_string(out, text);
}

void append_authentication_ok(std::string& out) { append_authentication(out, AuthKind::kOk); }

void append_authentication_cleartext_password(std::string& out) {
  append_authentication(out, AuthKind::kCleartextPassword);
}

void append_authentication_md5_password(std::string& out, std::string_view salt) {
  std::string four(salt.substr(0, 4));
  four.resize(4, '\0');
  append_authentication(out, AuthKind::kMd5Password, four);
}

void append_authentication_sasl(std::string& out, const std::vector<std::string>& mechanisms) {
  Message message(out, backend_type::kAuthentication);
  put_i32(out, static_cast<std::int32_t>(AuthKind::kSasl));
  for (const std::string& mechanism : mechanisms) {
    if (!mechanism.empty() && mechanism.front() != '\0') put_string(out, mechanism);
  }
  out.push_back('\0');
}

void append_authentication_sasl_continue(std::string& out, std::string_view data) {
  append_authentication(out, AuthKind::kSaslContinue, data);
}

void append_authentication_sasl_final(std::string& out, std::string_view data) {
  append_authentication(out, AuthKind::kSaslFinal, data);
}

void append_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  Message message(out, backend_type::kParameterStatus);
  put_string(out, name);
  put_string(out, value);
}

void append_backend_key_data(std::string& out, const BackendKeyData& key) {
  Message message(out, backend_type::kBackendKeyData);
  put_i32(out, key.process_id);
  out.append(key.secret_key);
}

void append_ready_for_query(std::string& out, TransactionStatus status) {
  Message message(out, backend_type::kReadyForQuery);
  out.push_back(static_cast<char>(status));
}

void append_startup_message(std::string& out, const StartupMessage& startup) {
  Message message(out, '\0');
  put_u32(out, static_cast<std::uint32_t>(startup.major_version) << 16 | startup.minor_version);
  for (const auto& [name, value] : startup.parameters) {
    if (name.empty() || name.front() == '\0') continue;
    put_string(out, name);
    put_string(out, value);
  }
  out.push_back('\0');
}

void append_ssl_request(std::string& out) {
  Message message(out, '\0');
  put_u32(out, kSslRequestCode);
}

void append_gssenc_request(std::string& out) {
  Message message(out, '\0');
  put_u32(out, kGssEncRequestCode);
}

void append_cancel_request(std::string& out, const CancelRequest& cancel) {
  Message message(out, '\0');
  put_u32(out, kCancelRequestCode);
  put_i32(out, cancel.process_id);
  out.append(cancel.secret_key);
}

void append_password_message(std::string& out, std::string_view password) {
  Message message(out, frontend_type::kPassword);
  put_string(out, password);
}

void append_sasl_initial_response(std::string& out, std::string_view mechanism,
                                  std::optional<std::string_view> data) {
  Message message(out, frontend_type::kPassword);
  put_string(out, mechanism);
  if (!data) {
    put_i32(out, -1);
    return;
  }
  put_u32(out, static_cast<std::uint32_t>(data->size()));
  out.append(*data);
}

void append_sasl_response(std::string& out, std::string_view data) {
  Message message(out, frontend_type::kPassword);
  out.append(data);
}

void append_query(std::string& out, std::string_view text) {
  Message message(out, frontend_type::kQuery);
  put_string(out, text);
}

void append_parse(std::string& out, const Parse& parse) {
  Message message(out, frontend_type::kParse);
  put_string(out, parse.statement);
  put_string(out, parse.query);
  out += static_cast<char>((parse.parameter_types.size() >> 8) & 0xff);
  out += static_cast<char>(parse.parameter_types.size() & 0xff);
  for (std::uint32_t type : parse.parameter_types) put_u32(out, type);
}

void append_execute(std::string& out, const Execute& execute) {
  Message message(out, frontend_type::kExecute);
  put_string(out, execute.portal);
  put_u32(out, static_cast<std::uint32_t>(execute.max_rows));
}

void append_sync(std::string& out) { Message message(out, frontend_type::kSync); }

void append_terminate(std::string& out) { Message message(out, frontend_type::kTerminate); }

}  // namespace cutover::proxy
