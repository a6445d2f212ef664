// Parsers of the message payloads the proxy looks into.
#include "proxy/wire_parser.h"

#include <fmt/format.h>

#include <cstdint>
#include <utility>

namespace cutover::proxy {
namespace {

// Reads fields off the front of a payload; the first failure is kept in error() and makes every
// later read fail too, so a parser can chain reads and check once.
class Reader {
 public:
  Reader(const char* message, std::string_view payload) : message_(message), rest_(payload) {}

  // A NUL-terminated string; the NUL is consumed and not stored.
  bool string(std::string& out, const char* field) {
    if (!error_.empty()) return false;
    const std::size_t nul = rest_.find('\0');
    if (nul == std::string_view::npos) return fail(fmt::format("{} is not NUL-terminated", field));
    out.assign(rest_.substr(0, nul));
    rest_.remove_prefix(nul + 1);
    return true;
  }

  bool bytes(std::size_t count, std::string& out, const char* field) {
    if (!error_.empty()) return false;
    if (rest_.size() < count) {
      return fail(fmt::format("{} needs {} bytes, {} left", field, count, rest_.size()));
    }
    out.assign(rest_.substr(0, count));
    rest_.remove_prefix(count);
    return true;
  }

  bool byte(char& out, const char* field) {
    std::string one;
    if (!bytes(1, one, field)) return false;
    out = one[0];
    return true;
  }

  bool int16(std::int16_t& out, const char* field) {
    std::uint32_t value = 0;
    if (!big_endian(2, value, field)) return false;
    out = static_cast<std::int16_t>(static_cast<std::uint16_t>(value));
    return true;
  }

  bool int32(std::int32_t& out, const char* field) {
    std::uint32_t value = 0;
    if (!big_endian(4, value, field)) return false;
    out = static_cast<std::int32_t>(value);
    return true;
  }

  bool uint32(std::uint32_t& out, const char* field) { return big_endian(4, out, field); }

  // All that is left, consumed.
  std::string take_rest() {
    std::string out(rest_);
    rest_ = {};
    return out;
  }

  bool at_end() const { return rest_.empty(); }

  // Nothing may follow the last field.
  bool end() {
    if (!error_.empty()) return false;
    if (!rest_.empty()) {
      return fail(fmt::format("{} unexpected bytes after the last field", rest_.size()));
    }
    return true;
  }

  bool fail(std::string reason) {
    if (error_.empty()) error_ = fmt::format("{}: {}", message_, reason);
    return false;
  }

  template <typename T>
  Parsed<T> failure() const {
    return {.value = std::nullopt, .error = error_};
  }

 private:
  bool big_endian(std::size_t size, std::uint32_t& out, const char* field) {
    std::string raw;
    if (!bytes(size, raw, field)) return false;
    out = 0;
    for (char c : raw) out = out << 8 | static_cast<unsigned char>(c);
    return true;
  }

  const char* message_;
  std::string_view rest_;
  std::string error_;
};

template <typename T>
Parsed<T> success(T value) {
  return {.value = std::move(value), .error = {}};
}

// A cancel key after its process id: 4 bytes in protocol 3.0, up to 256 from 3.2.
bool cancel_key(Reader& in, std::string& key) {
  key = in.take_rest();
  if (key.size() < kMinCancelKeyLength || key.size() > kMaxCancelKeyLength) {
    return in.fail(fmt::format("the secret key has {} bytes, not {} to {}", key.size(),
                               kMinCancelKeyLength, kMaxCancelKeyLength));
  }
  return true;
}

template <typename T>
Parsed<T> kind_and_name(const char* message, std::string_view payload) {
  Reader in(message, payload);
  T out;
  if (!in.byte(out.kind, "the kind") || !in.string(out.name, "the name") || !in.end()) {
    return in.failure<T>();
  }
  if (out.kind != 'S' && out.kind != 'P') {
    in.fail(fmt::format("kind is 0x{:02x}, not 'S' or 'P'", static_cast<unsigned char>(out.kind)));
    return in.failure<T>();
  }
  return success(std::move(out));
}

}  // namespace

Parsed<StartupMessage> parse_startup_message(std::string_view payload) {
  Reader in("StartupMessage", payload);
  StartupMessage out;
  std::uint32_t version = 0;
  if (!in.uint32(version, "the protocol version")) return in.failure<StartupMessage>();
  if (version >> 16 != 3) {
    in.fail(fmt::format("unsupported protocol {}.{}: only 3.x is supported", version >> 16,
                        version & 0xffff));
    return in.failure<StartupMessage>();
  }
  out.major_version = static_cast<std::uint16_t>(version >> 16);
  out.minor_version = static_cast<std::uint16_t>(version & 0xffff);
  while (true) {
    if (in.at_end()) {
      in.fail("the parameter list has no terminating NUL");
      return in.failure<StartupMessage>();
    }
    std::string name, value;
    if (!in.string(name, "a parameter name")) return in.failure<StartupMessage>();
    if (name.empty()) break;  // the terminator
    if (!in.string(value, "a parameter value")) return in.failure<StartupMessage>();
    out.parameters.emplace_back(std::move(name), std::move(value));
  }
  if (!in.end()) return in.failure<StartupMessage>();
  return success(std::move(out));
}

Parsed<CancelRequest> parse_cancel_request(std::string_view payload) {
  Reader in("CancelRequest", payload);
  CancelRequest out;
  std::uint32_t code = 0;
  if (!in.uint32(code, "the request code") || !in.int32(out.process_id, "the process id")) {
    return in.failure<CancelRequest>();
  }
  if (code != kCancelRequestCode) {
    in.fail(fmt::format("the request code is {}, not {}", code, kCancelRequestCode));
    return in.failure<CancelRequest>();
  }
  if (!cancel_key(in, out.secret_key)) return in.failure<CancelRequest>();
  return success(std::move(out));
}

Parsed<Query> parse_query(std::string_view payload) {
  Reader in("Query", payload);
  Query out;
  if (!in.string(out.text, "the query text") || !in.end()) return in.failure<Query>();
  return success(std::move(out));
}

Parsed<Parse> parse_parse(std::string_view payload) {
  Reader in("Parse", payload);
  Parse out;
  std::int16_t count = 0;
  if (!in.string(out.statement, "the statement name") || !in.string(out.query, "the query") ||
      !in.int16(count, "the parameter type count")) {
    return in.failure<Parse>();
  }
  if (count < 0) {
    in.fail(fmt::format("negative parameter type count {}", count));
    return in.failure<Parse>();
  }
  out.parameter_types.resize(static_cast<std::size_t>(count));
  for (std::uint32_t& oid : out.parameter_types) {
    if (!in.uint32(oid, "a parameter type")) return in.failure<Parse>();
  }
  if (!in.end()) return in.failure<Parse>();
  return success(std::move(out));
}

Parsed<Bind> parse_bind(std::string_view payload) {
  Reader in("Bind", payload);
  Bind out;
  if (!in.string(out.portal, "the portal name") ||
      !in.string(out.statement, "the statement name")) {
    return in.failure<Bind>();
  }
  return success(std::move(out));
}

Parsed<Describe> parse_describe(std::string_view payload) {
  return kind_and_name<Describe>("Describe", payload);
}

Parsed<Close> parse_close(std::string_view payload) {
  return kind_and_name<Close>("Close", payload);
}

Parsed<Execute> parse_execute(std::string_view payload) {
  Reader in("Execute", payload);
  Execute out;
  if (!in.string(out.portal, "the portal name") || !in.int32(out.max_rows, "the row limit") ||
      !in.end()) {
    return in.failure<Execute>();
  }
  return success(std::move(out));
}

Parsed<PasswordMessage> parse_password_message(std::string_view payload) {
  Reader in("PasswordMessage", payload);
  PasswordMessage out;
  if (!in.string(out.password, "the password") || !in.end()) return in.failure<PasswordMessage>();
  return success(std::move(out));
}

Parsed<SaslInitialResponse> parse_sasl_initial_response(std::string_view payload) {
  Reader in("SASLInitialResponse", payload);
  SaslInitialResponse out;
  std::int32_t length = 0;
  if (!in.string(out.mechanism, "the mechanism") || !in.int32(length, "the data length")) {
    return in.failure<SaslInitialResponse>();
  }
  if (length < -1) {
    in.fail(fmt::format("the data length is {}", length));
    return in.failure<SaslInitialResponse>();
  }
  if (length >= 0) {
    out.data.emplace();
    if (!in.bytes(static_cast<std::size_t>(length), *out.data, "the data")) {
      return in.failure<SaslInitialResponse>();
    }
  }
  if (!in.end()) return in.failure<SaslInitialResponse>();
  return success(std::move(out));
}

Parsed<SaslResponse> parse_sasl_response(std::string_view payload) {
  return success(SaslResponse{.data = std::string(payload)});
}

Parsed<AuthenticationRequest> parse_authentication(std::string_view payload) {
  Reader in("Authentication", payload);
  AuthenticationRequest out;
  std::int32_t kind = 0;
  if (!in.int32(kind, "the request kind")) return in.failure<AuthenticationRequest>();
  out.kind = static_cast<AuthKind>(kind);
  switch (out.kind) {
    case AuthKind::kOk:
    case AuthKind::kKerberosV5:
    case AuthKind::kCleartextPassword:
    case AuthKind::kGss:
    case AuthKind::kSspi:
      break;
    case AuthKind::kMd5Password:
      in.bytes(4, out.md5_salt, "the md5 salt");
      break;
    case AuthKind::kSasl:
      while (true) {
        if (in.at_end()) {
          in.fail("the mechanism list has no terminating NUL");
          break;
        }
        std::string mechanism;
        if (!in.string(mechanism, "a mechanism") || mechanism.empty()) break;
        out.sasl_mechanisms.push_back(std::move(mechanism));
      }
      break;
    case AuthKind::kGssContinue:
    case AuthKind::kSaslContinue:
    case AuthKind::kSaslFinal:
      out.data = in.take_rest();
      break;
    default:
      in.fail(fmt::format("unknown request kind {}", kind));
      break;
  }
  if (!in.end()) return in.failure<AuthenticationRequest>();
  return success(std::move(out));
}

Parsed<BackendKeyData> parse_backend_key_data(std::string_view payload) {
  Reader in("BackendKeyData", payload);
  BackendKeyData out;
  if (!in.int32(out.process_id, "the process id") || !cancel_key(in, out.secret_key)) {
    return in.failure<BackendKeyData>();
  }
  return success(std::move(out));
}

Parsed<ParameterStatus> parse_parameter_status(std::string_view payload) {
  Reader in("ParameterStatus", payload);
  ParameterStatus out;
  if (!in.string(out.name, "the name") || !in.string(out.value, "the value") || !in.end()) {
    return in.failure<ParameterStatus>();
  }
  return success(std::move(out));
}

Parsed<ReadyForQuery> parse_ready_for_query(std::string_view payload) {
  Reader in("ReadyForQuery", payload);
  char status = 0;
  if (!in.byte(status, "the transaction status") || !in.end()) return in.failure<ReadyForQuery>();
  if (status != 'I' && status != 'T' && status != 'E') {
    in.fail(fmt::format("unknown transaction status 0x{:02x}", static_cast<unsigned char>(status)));
    return in.failure<ReadyForQuery>();
  }
  return success(ReadyForQuery{.status = static_cast<TransactionStatus>(status)});
}

Parsed<ErrorFields> parse_error_fields(std::string_view payload) {
  Reader in("ErrorResponse/NoticeResponse", payload);
  ErrorFields out;
  while (true) {
    if (in.at_end()) {
      in.fail("the field list has no terminating NUL");
      return in.failure<ErrorFields>();
    }
    char code = 0;
    in.byte(code, "a field code");
    if (code == '\0') break;
    std::string value;
    if (!in.string(value, "a field value")) return in.failure<ErrorFields>();
    out.fields.emplace_back(code, std::move(value));
  }
  if (!in.end()) return in.failure<ErrorFields>();
  return success(std::move(out));
}

Parsed<CommandComplete> parse_command_complete(std::string_view payload) {
  Reader in("CommandComplete", payload);
  CommandComplete out;
  if (!in.string(out.tag, "the command tag") || !in.end()) return in.failure<CommandComplete>();
  return success(std::move(out));
}

}  // namespace cutover::proxy
