// Small libpq steps the driver repeats: waiting on the socket, reading and draining results,
// counting rows, cancelling the running statement.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "db/postgres/pg_handles.h"

namespace cutover::db::pg {

using Clock = std::chrono::steady_clock;

enum class SocketWait { kRead, kWrite };

// Waits until the session's socket is readable or writable, or until `deadline` (none: no
// limit). Returns false on timeout. Throws Error(kOperationFailed, kConnectionLost) when the
// session has no socket or poll() fails.
bool wait_for_socket(PGconn* conn, SocketWait what, std::optional<Clock::time_point> deadline);

// The next result of the command in progress; nullptr when the command is complete.
inline ResultHandle next_result(PGconn* conn) { return ResultHandle(PQgetResult(conn)); }

bool is_failure(const PGresult* result);

// Reads and discards every result left of the command in progress, leaving the session ready
// for the next command (a COPY still in progress is ended). Returns the first failed result,
// or nullptr when there was none. Never throws.
ResultHandle drain_results(PGconn* conn) noexcept;

// The row count a command reports in its tag ("INSERT 0 5", "COPY 12"); 0 when it has none.
std::int64_t command_rows(PGresult* result);

// Asks the server to cancel the statement running on `conn`, through a separate connection.
// Best effort: returns false when the request could not be sent (the statement then runs on).
bool request_cancel(PGconn* conn) noexcept;

}  // namespace cutover::db::pg
