// PostgreSQL wire protocol v3: type bytes, codes, limits, and the messages as plain structs.
// As in PostgreSQL's documentation, frontend means what a client sends, backend a server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cutover::proxy {

// The codes a startup-phase packet carries after its length word (no type byte there).
inline constexpr std::uint32_t kProtocolVersion30 = 3u << 16;  // 3.0: major << 16 | minor
inline constexpr std::uint32_t kCancelRequestCode = 80877102;  // 1234.5678
inline constexpr std::uint32_t kSslRequestCode = 80877103;     // 1234.5679
inline constexpr std::uint32_t kGssEncRequestCode = 80877104;  // 1234.5680

// PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the most a startup packet may hold after its length word.
inline constexpr std::size_t kMaxStartupPacketLength = 10000;
// PostgreSQL's limit for a typed message: its length word (which counts itself, not the type
// byte) at most MaxAllocSize = 1 GiB - 1.
inline constexpr std::size_t kDefaultMaxMessageLength = (std::size_t{1} << 30) - 1;
// What the proxy lets a client send in a typed message before it has logged in: password and
// SASL messages are small, and one thread must not be held reading a huge one from a stranger.
inline constexpr std::size_t kMaxLoginMessageLength = 64 * 1024;
// A cancel key: 4 bytes in protocol 3.0, up to 256 from 3.2 (PostgreSQL 18).
inline constexpr std::size_t kMinCancelKeyLength = 4;
inline constexpr std::size_t kMaxCancelKeyLength = 256;

// Type bytes of the messages a client sends after the startup packet.
namespace frontend_type {
inline constexpr char kBind = 'B';
inline constexpr char kClose = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kFlush = 'H';
inline constexpr char kFunctionCall = 'F';
inline constexpr char kParse = 'P';
// PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share it: which one it is
// follows from the authentication request the server sent last.
inline constexpr char kPassword = 'p';
inline constexpr char kQuery = 'Q';
inline constexpr char kSync = 'S';
inline constexpr char kTerminate = 'X';
}  // namespace frontend_type

// True for the type bytes above: the only ones a client may send.
constexpr bool is_frontend_type(char type) {
  return std::string_view("BCdcfDEHFPpQSX").find(type) != std::string_view::npos;
}

// Type bytes of the messages a server sends.
namespace backend_type {
inline constexpr char kAuthentication = 'R';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kCopyBothResponse = 'W';
inline constexpr char kDataRow = 'D';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kFunctionCallResponse = 'V';
inline constexpr char kNegotiateProtocolVersion = 'v';
inline constexpr char kNoData = 'n';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kNotificationResponse = 'A';
inline constexpr char kParameterDescription = 't';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kParseComplete = '1';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
}  // namespace backend_type

// The field codes of an ErrorResponse or NoticeResponse.
namespace error_field {
inline constexpr char kSeverity = 'S';       // localized
inline constexpr char kSeverityPlain = 'V';  // never localized (PostgreSQL 9.6+)
inline constexpr char kSqlState = 'C';
inline constexpr char kMessage = 'M';
inline constexpr char kDetail = 'D';
inline constexpr char kHint = 'H';
inline constexpr char kPosition = 'P';
inline constexpr char kInternalPosition = 'p';
inline constexpr char kInternalQuery = 'q';
inline constexpr char kWhere = 'W';
inline constexpr char kSchema = 's';
inline constexpr char kTable = 't';
inline constexpr char kColumn = 'c';
inline constexpr char kDataType = 'd';
inline constexpr char kConstraint = 'n';
inline constexpr char kFile = 'F';
inline constexpr char kLine = 'L';
inline constexpr char kRoutine = 'R';
}  // namespace error_field

// ---- Startup phase (untyped packets) ----

// The first packet of a session: protocol version and parameters ("user", "database",
// "application_name", "options", "_pq_.*", ...) in the order the client sent them.
struct StartupMessage {
  std::uint16_t major_version = 3;
  std::uint16_t minor_version = 0;
  std::vector<std::pair<std::string, std::string>> parameters;

  // The value of the first parameter called `name`, if any. Valid while this struct lives.
  std::optional<std::string_view> parameter(std::string_view name) const {
    for (const auto& [key, value] : parameters) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

// Sent on a new connection to cancel the query running in another session.
struct CancelRequest {
  std::int32_t process_id = 0;
  std::string secret_key;  // raw bytes: 4 in protocol 3.0, up to 256 from 3.2
};

// ---- Frontend messages ----

struct Query {
  std::string text;
};

// Parse: prepares `query` as `statement` ("" is the unnamed statement).
struct Parse {
  std::string statement;
  std::string query;
  std::vector<std::uint32_t> parameter_types;  // OIDs; 0 means unspecified
};

// Bind: only the names; the parameter formats and values are left on the wire.
struct Bind {
  std::string portal;
  std::string statement;
};

// Describe and Close name a prepared statement ('S') or a portal ('P').
struct Describe {
  char kind = 'S';
  std::string name;
};
struct Close {
  char kind = 'S';
  std::string name;
};

struct Execute {
  std::string portal;
  std::int32_t max_rows = 0;  // 0: no limit
};

// PasswordMessage: a cleartext password or an md5 response ("md5" + 32 hex digits).
struct PasswordMessage {
  std::string password;
};

// The first message of a SASL exchange. `data` is absent when the client sent length -1.
struct SaslInitialResponse {
  std::string mechanism;
  std::optional<std::string> data;
};

// A later message of a SASL exchange: the whole payload is mechanism data.
struct SaslResponse {
  std::string data;
};

// ---- Backend messages ----

// The subtype of an Authentication ('R') message.
enum class AuthKind : std::int32_t {
  kOk = 0,
  kKerberosV5 = 2,
  kCleartextPassword = 3,
  kMd5Password = 5,
  kGss = 7,
  kGssContinue = 8,
  kSspi = 9,
  kSasl = 10,
  kSaslContinue = 11,
  kSaslFinal = 12,
};

// An Authentication message: what the server asks for, or that it is satisfied.
struct AuthenticationRequest {
  AuthKind kind = AuthKind::kOk;
  std::string md5_salt;                      // kMd5Password: 4 bytes
  std::vector<std::string> sasl_mechanisms;  // kSasl: in the server's order of preference
  std::string data;                          // kSaslContinue, kSaslFinal, kGssContinue
};

// The key a client needs to cancel this session's queries later.
struct BackendKeyData {
  std::int32_t process_id = 0;
  std::string secret_key;  // raw bytes: 4 in protocol 3.0, up to 256 from 3.2
};

struct ParameterStatus {
  std::string name;
  std::string value;
};

// The transaction status a ReadyForQuery reports.
enum class TransactionStatus : char {
  kIdle = 'I',
  kInTransaction = 'T',
  kFailed = 'E',  // in a transaction that failed: statements are refused until it ends
};

struct ReadyForQuery {
  TransactionStatus status = TransactionStatus::kIdle;
};

// The fields of an ErrorResponse or NoticeResponse, in wire order (codes in error_field).
struct ErrorFields {
  std::vector<std::pair<char, std::string>> fields;

  // The first field with `code`, or "" when there is none. Valid while this struct lives.
  std::string_view field(char code) const {
    for (const auto& [key, value] : fields) {
      if (key == code) return value;
    }
    return {};
  }
  // The unlocalized severity when the server sent one, else the localized one.
  std::string_view severity() const {
    std::string_view plain = field(error_field::kSeverityPlain);
    return plain.empty() ? field(error_field::kSeverity) : plain;
  }
  std::string_view sqlstate() const { return field(error_field::kSqlState); }
  std::string_view message() const { return field(error_field::kMessage); }
};

// An error or notice the proxy itself reports. Empty detail and hint are left out.
struct ErrorReport {
  std::string severity = "ERROR";  // errors: ERROR, FATAL, PANIC; notices: WARNING, NOTICE, ...
  std::string sqlstate;            // five characters, e.g. "25006"
  std::string message;
  std::string detail;
  std::string hint;
};

// CommandComplete: the command tag, e.g. "INSERT 0 1", "SELECT 3", "BEGIN".
struct CommandComplete {
  std::string tag;
};

}  // namespace cutover::proxy
