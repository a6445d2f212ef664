// Turns a failed libpq command into cutover::Error: SQLSTATE, server message, lost sessions,
// cancels.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>

#include "core/error.h"

namespace cutover::db::pg {

// How a SQLSTATE (possibly empty) on a session in `status` is classified: class 08 and
// 57P01/57P02/57P03 or a CONNECTION_BAD session -> kConnectionLost; 57014 -> kCancelled;
// everything else -> kStatement.
DbFailure classify_failure(std::string_view sqlstate, ConnStatusType status);

// The Error describing why the last command on `conn` failed. `failed` is the error result
// when there is one (the server's SQLSTATE, message, detail and hint come from it); nullptr
// means a client-side failure, described by PQerrorMessage(conn). Always
// ErrorCode::kOperationFailed; the SQLSTATE and DbFailure are set.
Error command_error(PGconn* conn, const PGresult* failed);

// libpq's multi-line message as one line: trimmed, runs of spaces squeezed, an indented line
// that continues a sentence joined by a space, other lines by "; ".
std::string one_line(std::string_view libpq_message);

}  // namespace cutover::db::pg
