// Small libpq steps the driver repeats: waiting on the socket, reading and draining results,
// counting rows, cancelling the running statement.
#include "db/postgres/pg_protocol.h"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "core/error.h"

namespace cutover::db::pg {
namespace {

[[noreturn]] void throw_socket_failure(const std::string& what) {
  throw Error(ErrorCode::kOperationFailed, "lost the connection to the server: " + what,
              "open a new connection and retry")
      .with_db_failure(DbFailure::kConnectionLost);
}

int poll_timeout_ms(std::optional<Clock::time_point> deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 60'000 ? 60'000 : static_cast<int>(left);  // re-checked in the loop
}

}  // namespace

bool wait_for_socket(PGconn* conn, SocketWait what, std::optional<Clock::time_point> deadline) {
  int fd = PQsocket(conn);
  if (fd < 0) throw_socket_failure("the session has no socket");
  pollfd entry{};
  entry.fd = fd;
  entry.events = what == SocketWait::kRead ? POLLIN : POLLOUT;
  while (true) {
    int timeout_ms = poll_timeout_ms(deadline);
    int ready = poll(&entry, 1, timeout_ms);
    if (ready > 0) return true;  // POLLERR/POLLHUP also wake us: libpq then reports the failure
    if (ready < 0 && errno != EINTR) throw_socket_failure(std::strerror(errno));
    if (ready == 0 && deadline && Clock::now() >= *deadline) return false;
  }
}

bool is_failure(const PGresult* result) {
  ExecStatusType status = PQresultStatus(result);
  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
         status == PGRES_NONFATAL_ERROR;
}

ResultHandle drain_results(PGconn* conn) noexcept {
  ResultHandle first_failure;
  while (ResultHandle result = next_result(conn)) {
    switch (PQresultStatus(result.get())) {
      case PGRES_COPY_IN:
      case PGRES_COPY_BOTH:
        PQputCopyEnd(conn, "abandoned by the client");
        break;
      case PGRES_COPY_OUT: {
        char* buffer = nullptr;
        while (PQgetCopyData(conn, &buffer, 0) > 0) {
          LibpqBuffer discarded(buffer);
        }
        break;
      }
      default:
        if (is_failure(result.get()) && !first_failure) first_failure = std::move(result);
        break;
    }
    if (PQstatus(conn) == CONNECTION_BAD) break;  // PQgetResult may keep failing forever
  }
  return first_failure;
}

std::int64_t command_rows(PGresult* result) {
  std::string_view text = PQcmdTuples(result);
  std::int64_t rows = 0;
  std::from_chars(text.data(), text.data() + text.size(), rows);
  return rows;
}

bool request_cancel(PGconn* conn) noexcept {
  CancelHandle cancel(PQgetCancel(conn));
  if (!cancel) return false;
  char error[256];
  return PQcancel(cancel.get(), error, sizeof error) == 1;
}

}  // namespace cutover::db::pg
