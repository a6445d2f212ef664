// PostgreSQL COPY: raw byte streams in and out (CopyChannel) and row loading in text format
// (BulkLoader).
#include "db/postgres/pg_copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "core/error.h"
#include "db/postgres/pg_errors.h"
#include "db/postgres/pg_protocol.h"

namespace cutover::db::pg {
namespace {

constexpr std::size_t kSendChunk = 64 * 1024;     // bulk-load rows are sent in chunks this big
constexpr std::size_t kMaxCopyMessage = 1 << 20;  // larger source chunks are split (int sizes)

const char* direction_name(ExecStatusType expected) {
  return expected == PGRES_COPY_IN ? "COPY ... FROM STDIN" : "COPY ... TO STDOUT";
}

// Throws the error that ended a COPY (or the session), after reading what is left of it.
[[noreturn]] void throw_copy_failure(PGconn* conn) {
  ResultHandle failed = drain_results(conn);
  throw command_error(conn, failed.get());
}

// Runs `sql` and checks that it opened a COPY in the `expected` direction. Anything else is
// ended before throwing, so the session is ready for the next command.
void start_copy(PGconn* conn, std::string_view sql, ExecStatusType expected) {
  std::string text(sql);
  ResultHandle result(
      PQexecParams(conn, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, /*text*/ 0));
  ExecStatusType status = PQresultStatus(result.get());
  if (status == expected) return;
  if (!result || is_failure(result.get())) {
    Error error = command_error(conn, result.get());
    drain_results(conn);
    throw error;
  }
  drain_results(conn);
  throw Error(ErrorCode::kOperationFailed,
              fmt::format("expected a {} statement, got one that returned {}",
                          direction_name(expected), PQresStatus(status)),
              "pass a COPY statement in the right direction");
}

void put_copy_data(PGconn* conn, std::string_view data) {
  while (!data.empty()) {
    std::size_t size = std::min(data.size(), kMaxCopyMessage);
    if (PQputCopyData(conn, data.data(), static_cast<int>(size)) != 1) throw_copy_failure(conn);
    data.remove_prefix(size);
  }
}

// Reads the result that ends a command; returns the row count of its tag.
std::int64_t finish_command(PGconn* conn) {
  ResultHandle result = next_result(conn);
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    Error error = command_error(conn, result.get());
    drain_results(conn);
    throw error;
  }
  std::int64_t rows = command_rows(result.get());
  if (ResultHandle failed = drain_results(conn)) throw command_error(conn, failed.get());
  return rows;
}

std::int64_t finish_copy_in(PGconn* conn) {
  if (PQputCopyEnd(conn, nullptr) != 1) throw_copy_failure(conn);
  return finish_command(conn);
}

// Ends a COPY FROM STDIN so that the server discards it (it fails with `reason`).
void abort_copy_in(PGconn* conn, const char* reason) noexcept {
  PQputCopyEnd(conn, reason);
  drain_results(conn);
}

// Ends a COPY TO STDOUT early: cancels it and discards what is still in flight.
void abort_copy_out(PGconn* conn) noexcept {
  request_cancel(conn);
  drain_results(conn);
}

// One CopyData message of a COPY TO STDOUT, waiting on the socket rather than blocking inside
// libpq. Returns false at the end of the data.
bool next_copy_chunk(PGconn* conn, LibpqBuffer& chunk, int& size) {
  while (true) {
    char* buffer = nullptr;
    size = PQgetCopyData(conn, &buffer, /*async=*/1);
    chunk.reset(buffer);
    if (size > 0) return true;
    if (size == -1) return false;  // done; the command's result follows
    if (size == -2) throw_copy_failure(conn);
    wait_for_socket(conn, SocketWait::kRead, std::nullopt);
    if (!PQconsumeInput(conn)) throw_copy_failure(conn);
  }
}

class PgBulkLoader final : public BulkLoader {
 public:
  PgBulkLoader(PGconn* conn, std::size_t column_count) : conn_(conn), column_count_(column_count) {
    buffer_.reserve(kSendChunk + kSendChunk / 4);
  }
  ~PgBulkLoader() override {
    if (open_) abort_copy_in(conn_, "bulk load abandoned before finish()");
  }
  PgBulkLoader(const PgBulkLoader&) = delete;
  PgBulkLoader& operator=(const PgBulkLoader&) = delete;

  void add_row(const Row& row) override {
    require_open();
    if (row.size() != column_count_) {
      throw Error(
          ErrorCode::kOperationFailed,
          fmt::format("bulk load row has {} values, expected {}", row.size(), column_count_));
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) buffer_ += '\t';
      append_copy_text_field(buffer_, row[i]);
    }
    buffer_ += '\n';
    if (buffer_.size() >= kSendChunk) flush();
  }

  std::int64_t finish() override {
    require_open();
    flush();
    open_ = false;
    return finish_copy_in(conn_);
  }

 private:
  void require_open() const {
    if (!open_) {
      throw Error(ErrorCode::kOperationFailed, "the bulk load is already finished or failed");
    }
  }

  void flush() {
    open_ = false;  // put_copy_data ends the COPY when it throws
    put_copy_data(conn_, buffer_);
    open_ = true;
    buffer_.clear();
  }

  PGconn* conn_;
  std::size_t column_count_;
  std::string buffer_;
  bool open_ = true;
};

}  // namespace

void append_copy_text_field(std::string& out, const Value& value) {
  if (value.is_null()) {
    out += "\\N";
    return;
  }
  for (char c : value.text()) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

std::int64_t PgCopyChannel::copy_out(std::string_view copy_sql,
                                     const std::function<void(std::string_view)>& sink) {
  start_copy(conn_, copy_sql, PGRES_COPY_OUT);
  LibpqBuffer chunk;
  int size = 0;
  while (next_copy_chunk(conn_, chunk, size)) {
    try {
      sink(std::string_view(chunk.get(), static_cast<std::size_t>(size)));
    } catch (...) {
      abort_copy_out(conn_);
      throw;
    }
  }
  return finish_command(conn_);
}

std::int64_t PgCopyChannel::copy_in(
    std::string_view copy_sql, const std::function<std::optional<std::string_view>()>& source) {
  start_copy(conn_, copy_sql, PGRES_COPY_IN);
  while (true) {
    std::optional<std::string_view> chunk;
    try {
      chunk = source();
    } catch (...) {
      abort_copy_in(conn_, "the data source failed");
      throw;
    }
    if (!chunk) break;
    put_copy_data(conn_, *chunk);
  }
  return finish_copy_in(conn_);
}

std::unique_ptr<BulkLoader> start_bulk_load(PGconn* conn, std::string_view copy_sql,
                                            std::size_t column_count) {
  start_copy(conn, copy_sql, PGRES_COPY_IN);
  return std::make_unique<PgBulkLoader>(conn, column_count);
}

}  // namespace cutover::db::pg
