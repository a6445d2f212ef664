// Turns a failed libpq command into cutover::Error: SQLSTATE, server message, lost sessions,
// cancels.
#include "db/postgres/pg_errors.h"

#include <fmt/format.h>

#include <cctype>

namespace cutover::db::pg {
namespace {

constexpr std::string_view kQueryCanceled = "57014";

bool is_connection_sqlstate(std::string_view sqlstate) {
  return sqlstate.substr(0, 2) == "08" ||  // connection exception
         sqlstate == "57P01" ||            // admin_shutdown (pg_terminate_backend, fast stop)
         sqlstate == "57P02" ||            // crash_shutdown
         sqlstate == "57P03" ||            // cannot_connect_now
         sqlstate == "25P03" ||            // idle_in_transaction_session_timeout ended it
         sqlstate == "57P05";              // idle_session_timeout ended it
}

std::string field(const PGresult* result, int code) {
  const char* value = result ? PQresultErrorField(result, code) : nullptr;
  return value ? value : "";
}

// "host:port" of the session, or the socket directory for a Unix-socket session.
std::string server_address(PGconn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  if (!host || !*host) return "the server";
  if (host[0] == '/')
    return fmt::format("the server on socket {} (port {})", host, port ? port : "");
  return fmt::format("the server at {}:{}", host, port ? port : "");
}

Error lost_connection_error(PGconn* conn, const std::string& sqlstate, const std::string& reason) {
  Error error(ErrorCode::kOperationFailed,
              fmt::format("lost the connection to {}: {}", server_address(conn), reason),
              "the server restarted, crashed or ended the session (pg_terminate_backend, an idle "
              "timeout, a pooler); open a new connection and retry");
  error.with_sqlstate(sqlstate).with_db_failure(DbFailure::kConnectionLost);
  return error;
}

}  // namespace

DbFailure classify_failure(std::string_view sqlstate, ConnStatusType status) {
  if (status == CONNECTION_BAD || is_connection_sqlstate(sqlstate)) {
    return DbFailure::kConnectionLost;
  }
  if (sqlstate == kQueryCanceled) return DbFailure::kCancelled;
  return DbFailure::kStatement;
}

std::string one_line(std::string_view libpq_message) {
  std::string out;
  bool at_line_start = false;  // after a newline, before the line's first visible character
  bool indented = false;       // the current line began with whitespace: it continues the last
  bool pending_space = false;
  for (char c : libpq_message) {
    if (c == '\n') {
      at_line_start = true;
      indented = false;
      pending_space = false;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (at_line_start) {
        indented = true;
      } else {
        pending_space = !out.empty();
      }
    } else {
      if (at_line_start && !out.empty()) {
        // An indented line continues the sentence above unless it starts a new one.
        bool continues = indented && std::islower(static_cast<unsigned char>(c));
        out += continues ? " " : "; ";
      } else if (pending_space) {
        out += ' ';
      }
      at_line_start = indented = pending_space = false;
      out += c;
    }
  }
  return out;
}

Error command_error(PGconn* conn, const PGresult* failed) {
  std::string sqlstate = field(failed, PG_DIAG_SQLSTATE);
  std::string primary = field(failed, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) {
    // A client-side failure (no server error): libpq's own words.
    const char* libpq_message = failed ? PQresultErrorMessage(failed) : "";
    if (!*libpq_message) libpq_message = PQerrorMessage(conn);
    primary = one_line(libpq_message);
    if (primary.empty()) primary = "the command failed without an error message";
  }

  DbFailure failure = classify_failure(sqlstate, PQstatus(conn));
  if (failure == DbFailure::kConnectionLost) return lost_connection_error(conn, sqlstate, primary);

  std::string message = primary;
  if (std::string detail = field(failed, PG_DIAG_MESSAGE_DETAIL); !detail.empty()) {
    message += ": " + one_line(detail);
  }
  std::string hint = one_line(field(failed, PG_DIAG_MESSAGE_HINT));
  if (hint.empty() && failure == DbFailure::kCancelled) {
    hint = "the statement was cancelled by statement_timeout or a cancel request";
  }
  Error error(ErrorCode::kOperationFailed, std::move(message), std::move(hint));
  error.with_sqlstate(std::move(sqlstate)).with_db_failure(failure);
  return error;
}

}  // namespace cutover::db::pg
