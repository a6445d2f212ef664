// Opening a libpq session from a connection string: parameters, password file, readable failures.
#include "db/postgres/pg_connect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/password_file.h"
#include "db/postgres/pg_errors.h"
#include "db/postgres/pg_protocol.h"

namespace cutover::db::pg {
namespace {

constexpr const char* kPasswordHint =
    "check the user and the password (a password in the connection string, PGPASSWORD, "
    "~/.pgpass or PGPASSFILE, PGSERVICE, --password-file)";

// The server's notices (login WARNINGs, RAISE NOTICE) would otherwise go to stderr.
void discard_notice(void* /*arg*/, const PGresult* /*notice*/) {}

// One connection attempt, kept when it failed so that the failure can be explained.
struct Attempt {
  ConnHandle conn;
  bool timed_out = false;
  int timeout_seconds = 0;

  bool ok() const { return conn && PQstatus(conn.get()) == CONNECTION_OK; }
};

// The connect_timeout libpq settled on (the string's, else ours, else PGCONNECT_TIMEOUT),
// with libpq's own rule that a positive timeout is at least 2 seconds.
int effective_connect_timeout(PGconn* conn) {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(conn),
                                                                       PQconninfoFree);
  int seconds = 0;
  for (PQconninfoOption* option = options.get(); option && option->keyword; ++option) {
    if (std::strcmp(option->keyword, "connect_timeout") == 0 && option->val) {
      seconds = std::atoi(option->val);
    }
  }
  return seconds <= 0 ? 0 : std::max(seconds, 2);
}

// Drives PQconnectPoll ourselves rather than calling PQconnectdbParams: only this way can the
// notice receiver be installed before the server's first message (a login WARNING would
// otherwise be printed). libpq ignores connect_timeout in this mode, so it is enforced here.
Attempt connect_once(const ConnectionUrl& url, const ConnectOptions& options,
                     const std::optional<PasswordFile>& file) {
  // Keywords before "dbname" are defaults that the expanded connection string overrides.
  std::vector<std::pair<std::string, std::string>> params = {
      {"connect_timeout", std::to_string(options.connect_timeout.count())},
      {"application_name", options.application_name},
      {"client_encoding", "UTF8"},
      {"dbname", url.text},
  };
  // A --password-file of pgpass lines is libpq's own passfile, matched per host by libpq.
  if (file && file->password) params.emplace_back("password", *file->password);
  if (file && !file->password) params.emplace_back("passfile", file->path);
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  Attempt attempt;
  attempt.conn.reset(PQconnectStartParams(keys.data(), values.data(), /*expand_dbname=*/1));
  if (!attempt.conn) throw Error(ErrorCode::kOperationFailed, "libpq is out of memory");
  PGconn* conn = attempt.conn.get();
  PQsetNoticeReceiver(conn, discard_notice, nullptr);
  if (PQstatus(conn) == CONNECTION_BAD) return attempt;  // e.g. a malformed string

  attempt.timeout_seconds = effective_connect_timeout(conn);
  std::optional<Clock::time_point> deadline;
  if (attempt.timeout_seconds > 0)
    deadline = Clock::now() + std::chrono::seconds(attempt.timeout_seconds);
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
    if (PQsocket(conn) < 0) break;
    SocketWait wait = state == PGRES_POLLING_READING ? SocketWait::kRead : SocketWait::kWrite;
    if (!wait_for_socket(conn, wait, deadline)) {
      attempt.timed_out = true;
      break;
    }
    state = PQconnectPoll(conn);
  }
  return attempt;
}

// "127.0.0.1:5432", or "the socket in /run/postgresql (port 5432)".
std::string server_address(PGconn* conn) {
  std::string host = PQhost(conn) ? PQhost(conn) : "";
  std::string port = PQport(conn) ? PQport(conn) : "";
  if (port.empty()) port = "5432";
  if (host.empty()) return "the default socket (port " + port + ")";
  if (host.front() == '/' || host.front() == '@') {
    return "the socket in " + host + " (port " + port + ")";
  }
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

struct Diagnosis {
  std::string reason;
  std::string hint;
};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Reads libpq's failure message (English: libpq follows the process locale, which cutover
// leaves at "C"; a server with another lc_messages falls through to the generic reason, and
// the server's own words are still appended to the message).
Diagnosis diagnose(const Attempt& attempt) {
  PGconn* conn = attempt.conn.get();
  std::string address = server_address(conn);
  std::string user = PQuser(conn) ? PQuser(conn) : "";
  std::string database = PQdb(conn) ? PQdb(conn) : "";
  std::string text = PQerrorMessage(conn);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  if (attempt.timed_out) {
    return {fmt::format("timed out after {} s waiting for {}", attempt.timeout_seconds, address),
            "is the server reachable at " + address +
                "? A firewall may be dropping packets; a slow network needs a longer "
                "connect_timeout"};
  }
  if (contains(text, "password authentication failed") ||
      contains(text, "sasl authentication failed")) {  // PgBouncer's words for a bad password
    return {"password authentication failed for user \"" + user + "\"", kPasswordHint};
  }
  if (PQconnectionNeedsPassword(conn) || contains(text, "no password supplied")) {
    return {"the server asks for a password for user \"" + user + "\" and none was given",
            kPasswordHint};
  }
  if (contains(text, "database \"") && contains(text, "does not exist")) {
    return {"database \"" + database + "\" does not exist",
            "check the database name in the connection string (or PGDATABASE), or create it"};
  }
  if (contains(text, "role \"") && contains(text, "does not exist")) {
    return {"user \"" + user + "\" does not exist on the server",
            "check the user name in the connection string (or PGUSER)"};
  }
  if (contains(text, "connection refused")) {
    return {"connection refused", "is the server running and listening on " + address + "?"};
  }
  if (contains(text, "no such file or directory") && contains(text, "socket")) {
    return {"no server is listening on " + address,
            "is the server running? To connect over TCP, give a host name in the connection "
            "string"};
  }
  if (contains(text, "could not translate host name")) {
    return {"unknown host name", "check the host name in the connection string (or PGHOST)"};
  }
  if (contains(text, "no route to host") || contains(text, "network is unreachable") ||
      contains(text, "host is unreachable") || contains(text, "timeout expired")) {
    return {"server unreachable at " + address,
            "check the host and port, the network and any firewall in between"};
  }
  if (contains(text, "authentication failed")) {  // ident, peer, cert, PAM, LDAP, ...
    return {"authentication failed for user \"" + user + "\"",
            "check the user name and the authentication method pg_hba.conf requires for it"};
  }
  if (contains(text, "no pg_hba.conf entry")) {
    return {
        "the server's pg_hba.conf does not allow this connection",
        "ask the administrator to allow user \"" + user + "\" from this host, or check sslmode"};
  }
  if (contains(text, "too many connections") || contains(text, "connection slots")) {
    return {"the server has no free connection slots",
            "close idle sessions, raise max_connections or connect through a pooler"};
  }
  if (contains(text, "starting up") || contains(text, "shutting down") ||
      contains(text, "recovery mode") || contains(text, "not yet accepting")) {
    return {"the server is not accepting connections right now",
            "wait until the server has started and retry"};
  }
  if (contains(text, "permission denied for database") ||
      contains(text, "not permitted to log in")) {
    return {"user \"" + user + "\" may not connect to database \"" + database + "\"",
            "grant the user LOGIN and CONNECT on the database"};
  }
  if (contains(text, "ssl") || contains(text, "certificate")) {
    return {"the TLS handshake failed", "check sslmode and the server's TLS settings"};
  }
  if (contains(text, "invalid") || contains(text, "missing \"=\"") ||
      contains(text, "unrecognized")) {
    return {"the connection string is not valid",
            "see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING"};
  }
  return {"connection failed", "is the server running and reachable at " + address + "?"};
}

// Replaces every known password in `text` by "***", after the usual URL redaction.
std::string without_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out = redact(text);
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

Error connect_error(const Attempt& attempt, const ConnectionUrl& url,
                    const std::vector<std::string>& secrets) {
  Diagnosis diagnosis = diagnose(attempt);
  std::string message = fmt::format("cannot connect to {}: {}", url.redacted(), diagnosis.reason);
  // After our own timeout libpq has only the start of a message.
  std::string libpq_words = attempt.timed_out ? "" : one_line(PQerrorMessage(attempt.conn.get()));
  if (!libpq_words.empty()) message += " (libpq: " + libpq_words + ")";
  Error error(ErrorCode::kBadInput, without_secrets(message, secrets),
              without_secrets(diagnosis.hint, secrets));
  error.with_db_failure(DbFailure::kConnect);
  return error;
}

}  // namespace

ConnHandle open_session(const ConnectionUrl& url, const ConnectOptions& options) {
  std::optional<PasswordFile> file;
  if (options.password_file) file = load_password_file(*options.password_file);

  // An explicit --password-file beats PGPASSWORD and ~/.pgpass; a password written in the
  // connection string itself still wins, since connect_once() lets the URL override it.
  Attempt attempt = connect_once(url, options, file);
  if (!attempt.ok()) {
    std::vector<std::string> secrets;
    if (url.password) secrets.push_back(*url.password);
    if (file && file->password) secrets.push_back(*file->password);
    if (file) {
      for (const auto& entry : file->entries) secrets.push_back(entry.password);
    }
    if (const char* env = std::getenv("PGPASSWORD")) secrets.emplace_back(env);
    throw connect_error(attempt, url, secrets);
  }
  return std::move(attempt.conn);
}

}  // namespace cutover::db::pg
