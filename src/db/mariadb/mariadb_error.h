// MariaDB error numbers turned into cutover::Error: which failure, which hint.
#pragma once

#include <mysql.h>

#include <string>

#include "core/error.h"

namespace cutover::db::mariadb {

// The last error a client handle or a prepared statement reported.
struct ServerError {
  unsigned number = 0;   // mysql_errno: server errors < 2000, client library errors 2000..2999
  std::string sqlstate;  // "HY000" when the server sent none
  std::string message;   // the server's or the library's words, passwords redacted
};

ServerError last_error(MYSQL* mysql);
// A statement's own error, or its connection's when libmariadb filed it there (it does so
// for some fetch failures, e.g. after KILL QUERY).
ServerError last_error(MYSQL_STMT* stmt, MYSQL* mysql);

// Whether the session is gone after this error (server restarted, connection killed, network
// dropped), as opposed to a statement the server refused.
bool is_connection_lost(unsigned number);
// Whether the statement was interrupted by KILL QUERY or by max_statement_time.
bool is_cancelled(unsigned number);

// Error(kOperationFailed) for a failed statement or fetch: DbFailure kConnectionLost,
// kCancelled or kStatement, with the error number, SQLSTATE and a hint where one helps.
// `doing` says what failed, e.g. "query", "fetch".
Error statement_error(const ServerError& error, const std::string& doing);

}  // namespace cutover::db::mariadb
