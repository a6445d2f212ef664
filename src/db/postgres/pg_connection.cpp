// The postgres driver of db::Connection: one libpq session with queries, streaming,
// transactions, timeouts and cancellation; catalog and COPY work lives in pg_introspect/pg_copy.
#include "db/postgres/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "db/postgres/pg_connect.h"
#include "db/postgres/pg_copy.h"
#include "db/postgres/pg_errors.h"
#include "db/postgres/pg_handles.h"
#include "db/postgres/pg_introspect.h"
#include "db/postgres/pg_protocol.h"
#include "db/postgres/pg_server_info.h"
#include "db/transaction.h"

namespace cutover::db {
namespace {

// Savepoint that lets a stream stopped early inside a transaction cancel its statement
// without aborting the transaction.
constexpr const char* kStreamSavepoint = "cutover_stream";

// Parameters in libpq's text format (NULL as a null pointer), alive as long as this object.
class TextParams {
 public:
  explicit TextParams(const Params& params) {
    texts_.reserve(params.size());
    for (const Value& value : params) texts_.push_back(value.as_optional_text());
    for (const auto& text : texts_) pointers_.push_back(text ? text->c_str() : nullptr);
  }
  int count() const { return static_cast<int>(pointers_.size()); }
  const char* const* values() const { return pointers_.data(); }

 private:
  std::vector<std::optional<std::string>> texts_;
  std::vector<const char*> pointers_;
};

std::vector<std::string> column_names(const PGresult* result) {
  std::vector<std::string> names;
  for (int column = 0; column < PQnfields(result); ++column) {
    names.emplace_back(PQfname(result, column));
  }
  return names;
}

Row row_at(const PGresult* result, int row) {
  Row values;
  values.reserve(static_cast<size_t>(PQnfields(result)));
  for (int column = 0; column < PQnfields(result); ++column) {
    if (PQgetisnull(result, row, column)) {
      values.emplace_back();
    } else {
      values.emplace_back(std::string(PQgetvalue(result, row, column),
                                      static_cast<size_t>(PQgetlength(result, row, column))));
    }
  }
  return values;
}

// PQcmdTuples also counts the rows a SELECT or FETCH returned; Result counts changed rows only
// (INSERT ... RETURNING still reports its inserts).
std::int64_t changed_rows(PGresult* result) {
  std::string_view tag = PQcmdStatus(result);
  bool is_read = tag.substr(0, 6) == "SELECT" || tag.substr(0, 5) == "FETCH";
  if (PQresultStatus(result) == PGRES_TUPLES_OK && is_read) return 0;
  return pg::command_rows(result);
}

bool is_copy(ExecStatusType status) {
  return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

Error copy_through_query_error() {
  Error error(ErrorCode::kOperationFailed,
              "COPY ... FROM STDIN and COPY ... TO STDOUT cannot run through query()",
              "use Connection::copy() or bulk_load()");
  error.with_db_failure(DbFailure::kStatement);
  return error;
}

class PgCanceller final : public Canceller {
 public:
  explicit PgCanceller(pg::CancelHandle cancel) : cancel_(std::move(cancel)) {}

  // PQcancel reads only the PGcancel object, never the session, so any thread may call it at
  // any time, even after the connection is closed. Best effort: when the request cannot be
  // sent the statement runs on, and statement_timeout remains the backstop.
  void cancel() override {
    char error[256];
    PQcancel(cancel_.get(), error, sizeof error);
  }

 private:
  pg::CancelHandle cancel_;
};

class PgConnection final : public Connection {
 public:
  PgConnection(pg::ConnHandle conn, std::string redacted_url)
      : conn_(std::move(conn)), redacted_url_(std::move(redacted_url)), copy_(conn_.get()) {
    server_ = pg::read_server_info(conn_.get(), *this);
  }

  const ServerInfo& server() const override { return server_; }
  const std::string& redacted_url() const override { return redacted_url_; }

  Result query(std::string_view sql, const Params& params) override;
  std::vector<std::string> query_stream(std::string_view sql, const Params& params,
                                        const std::function<bool(const Row&)>& on_row) override;

  void begin() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const override;

  void set_timeouts(const Timeouts& timeouts) override;
  std::shared_ptr<Canceller> canceller() override;

  Catalog introspect(std::string_view schema) override {
    return pg::introspect_schema(*this, schema);
  }
  bool can_create_tables() override;

  std::unique_ptr<BulkLoader> bulk_load(std::string_view table,
                                        const std::vector<std::string>& columns) override;
  CopyChannel* copy() override { return &copy_; }

  std::string quote_identifier(std::string_view name) const override;

 private:
  PGconn* conn() const { return conn_.get(); }
  void send(std::string_view sql, const Params& params);
  bool end_stopped_statement();
  void stop_stream(bool inside_savepoint);

  pg::ConnHandle conn_;
  std::string redacted_url_;
  ServerInfo server_;
  pg::PgCopyChannel copy_;
  std::shared_ptr<Canceller> canceller_;
};

// Sends one statement with text parameters (extended protocol: one statement per call).
void PgConnection::send(std::string_view sql, const Params& params) {
  std::string text(sql);
  TextParams values(params);
  if (!PQsendQueryParams(conn(), text.c_str(), values.count(), /*paramTypes=*/nullptr,
                         values.values(), /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                         /*resultFormat=text*/ 0)) {
    throw pg::command_error(conn(), nullptr);
  }
}

Result PgConnection::query(std::string_view sql, const Params& params) {
  send(sql, params);
  Result out;
  std::optional<Error> failure;
  // Read to the end even after a failure, so that the session is ready for the next command.
  while (pg::ResultHandle result = pg::next_result(conn())) {
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_TUPLES_OK) {
      out.columns = column_names(result.get());
      for (int row = 0; row < PQntuples(result.get()); ++row) {
        out.rows.push_back(row_at(result.get(), row));
      }
      out.affected_rows = changed_rows(result.get());
    } else if (status == PGRES_COMMAND_OK) {
      out.affected_rows = pg::command_rows(result.get());
    } else if (is_copy(status)) {
      pg::drain_results(conn());
      failure = copy_through_query_error();
    } else if (pg::is_failure(result.get()) && !failure) {
      failure = pg::command_error(conn(), result.get());
    }
  }
  if (failure) throw *failure;
  return out;
}

std::vector<std::string> PgConnection::query_stream(std::string_view sql, const Params& params,
                                                    const std::function<bool(const Row&)>& on_row) {
  bool inside_savepoint = PQtransactionStatus(conn()) == PQTRANS_INTRANS;
  if (inside_savepoint) execute(fmt::format("SAVEPOINT {}", kStreamSavepoint));
  send(sql, params);
  PQsetSingleRowMode(conn());  // cannot fail right after a successful send

  std::vector<std::string> columns;
  std::optional<Error> failure;
  while (pg::ResultHandle result = pg::next_result(conn())) {
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK) {
      if (columns.empty()) columns = column_names(result.get());
      if (status == PGRES_TUPLES_OK) continue;  // the end of the rows
      bool more = false;
      try {
        more = on_row(row_at(result.get(), 0));
      } catch (...) {
        stop_stream(inside_savepoint);
        throw;
      }
      if (!more) {
        stop_stream(inside_savepoint);
        return columns;
      }
    } else if (is_copy(status)) {
      pg::drain_results(conn());
      failure = copy_through_query_error();
    } else if (pg::is_failure(result.get()) && !failure) {
      failure = pg::command_error(conn(), result.get());
    }
  }
  if (failure) throw *failure;  // a failed transaction stays failed, as after query()
  if (inside_savepoint) execute(fmt::format("RELEASE SAVEPOINT {}", kStreamSavepoint));
  return columns;
}

// Ends the statement of a stream stopped early; returns whether it ended in an error (usually
// the cancel). Rows already received may complete it, so it is cancelled only when the server
// still has more to send: no needless cancel connection for a small result.
bool PgConnection::end_stopped_statement() {
  bool failed = false;
  PQconsumeInput(conn());  // once: a fast server must not keep us reading forever
  while (!PQisBusy(conn())) {
    pg::ResultHandle result = pg::next_result(conn());
    if (!result) return failed;
    failed = pg::is_failure(result.get()) || failed;
  }
  pg::request_cancel(conn());
  return pg::drain_results(conn()) != nullptr || failed;
}

void PgConnection::stop_stream(bool inside_savepoint) {
  bool failed = end_stopped_statement();
  if (PQstatus(conn()) == CONNECTION_BAD) throw pg::command_error(conn(), nullptr);
  if (!inside_savepoint) return;
  if (failed) execute(fmt::format("ROLLBACK TO SAVEPOINT {}", kStreamSavepoint));
  execute(fmt::format("RELEASE SAVEPOINT {}", kStreamSavepoint));
}

void PgConnection::begin() {
  if (in_transaction()) throw transaction_already_open();
  execute("BEGIN");
}

void PgConnection::commit() {
  switch (PQtransactionStatus(conn())) {
    case PQTRANS_IDLE:
      throw Error(ErrorCode::kOperationFailed, "commit() without an open transaction",
                  "call begin() first");
    case PQTRANS_INERROR:
      // COMMIT would quietly roll back (its tag says ROLLBACK); say so instead.
      execute("ROLLBACK");
      throw Error(ErrorCode::kOperationFailed,
                  "the transaction was rolled back, not committed: a statement in it failed",
                  "handle the failed statement's error before committing")
          .with_sqlstate("25P02")
          .with_db_failure(DbFailure::kStatement);
    default:
      execute("COMMIT");
  }
}

void PgConnection::rollback() {
  if (in_transaction()) execute("ROLLBACK");
}

bool PgConnection::in_transaction() const {
  PGTransactionStatusType status = PQtransactionStatus(conn());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

void PgConnection::set_timeouts(const Timeouts& timeouts) {
  auto setting = [](std::chrono::milliseconds limit) {
    return Value(fmt::format("{}ms", limit.count() > 0 ? limit.count() : 0));
  };
  // Session-level, like SET: kept until changed (and undone if the transaction rolls back).
  query("select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
        {setting(timeouts.lock), setting(timeouts.statement)});
}

std::shared_ptr<Canceller> PgConnection::canceller() {
  if (!canceller_) {
    pg::CancelHandle cancel(PQgetCancel(conn()));
    if (!cancel) throw pg::command_error(conn(), nullptr);
    canceller_ = std::make_shared<PgCanceller>(std::move(cancel));
  }
  return canceller_;
}

bool PgConnection::can_create_tables() {
  // has_schema_privilege(NULL, ...) is NULL when the search_path names no existing schema.
  return query("select coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)", {})
             .scalar()
             .text() == "t";
}

// `table` is quoted as one identifier unless it is already quoted (starts with a double
// quote), which is how a caller passes a schema-qualified name: "\"s\".\"t\"".
std::unique_ptr<BulkLoader> PgConnection::bulk_load(std::string_view table,
                                                    const std::vector<std::string>& columns) {
  if (columns.empty()) {
    throw Error(ErrorCode::kOperationFailed, "bulk_load() needs the list of columns to load");
  }
  std::string sql = "COPY ";
  sql += !table.empty() && table.front() == '"' ? std::string(table) : quote_identifier(table);
  sql += " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += quote_identifier(columns[i]);
  }
  sql += ") FROM STDIN";
  return pg::start_bulk_load(conn(), sql, columns.size());
}

std::string PgConnection::quote_identifier(std::string_view name) const {
  pg::LibpqBuffer quoted(PQescapeIdentifier(conn(), name.data(), name.size()));
  if (!quoted) {
    throw Error(ErrorCode::kBadInput,
                "cannot quote the identifier: " + pg::one_line(PQerrorMessage(conn())),
                "identifiers must be valid in the client encoding (UTF-8)");
  }
  return quoted.get();
}

}  // namespace

std::unique_ptr<Connection> open_postgres(const ConnectionUrl& url, const ConnectOptions& options) {
  return std::make_unique<PgConnection>(pg::open_session(url, options), url.redacted());
}

}  // namespace cutover::db
