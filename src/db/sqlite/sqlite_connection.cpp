// The sqlite driver of db::Connection.
#include "db/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include "db/sqlite/sqlite_bulk.h"
#include "db/sqlite/sqlite_introspect.h"
#include "db/sqlite/sqlite_quote.h"
#include "db/sqlite/sqlite_session.h"
#include "db/sqlite/sqlite_statement.h"
#include "db/transaction.h"

namespace cutover::db {
namespace {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const ConnectionUrl& url)
      : session_(url), redacted_url_(url.redacted()) {
    info_.flavor = Flavor::kSqlite;
    info_.version = sqlite3_libversion();
    info_.version_number = sqlite3_libversion_number();
    info_.database = session_.path();
    info_.read_only = session_.read_only();
  }

  const ServerInfo& server() const override { return info_; }
  const std::string& redacted_url() const override { return redacted_url_; }

  Result query(std::string_view sql, const Params& params) override {
    session_.start_statement();
    SqliteStatement statement(session_, sql);
    statement.bind(params);
    Result result;
    result.columns = statement.column_names();
    // sqlite3_changes keeps the count of the last INSERT/UPDATE/DELETE, even across later
    // queries and DDL; only a statement that changed something reports it.
    sqlite3_int64 changes_before = sqlite3_total_changes64(session_.handle());
    while (statement.step()) result.rows.push_back(statement.row());
    if (sqlite3_total_changes64(session_.handle()) != changes_before) {
      result.affected_rows = sqlite3_changes64(session_.handle());
    }
    return result;
  }

  std::vector<std::string> query_stream(std::string_view sql, const Params& params,
                                        const std::function<bool(const Row&)>& on_row) override {
    session_.start_statement();
    SqliteStatement statement(session_, sql);
    statement.bind(params);
    std::vector<std::string> columns = statement.column_names();
    while (statement.step()) {
      if (!on_row(statement.row())) break;
    }
    return columns;  // the statement is finalized here, so an early stop leaves no reader
  }

  // IMMEDIATE takes the write lock at once. A deferred transaction starts as a reader and
  // upgrades at its first write; if another process wrote in between, the upgrade can never
  // succeed however long it waits (a stale snapshot: SQLITE_BUSY_SNAPSHOT in WAL mode, a lock
  // deadlock in rollback-journal mode), so the whole transaction fails. Taking the lock up
  // front makes the second process wait its turn instead, bounded by the lock timeout.
  void begin() override {
    if (in_transaction()) throw transaction_already_open();
    sqlite_run(session_, "BEGIN IMMEDIATE");
  }
  void commit() override { sqlite_run(session_, "COMMIT"); }
  void rollback() override {
    if (in_transaction()) sqlite_run(session_, "ROLLBACK");
  }
  bool in_transaction() const override { return sqlite3_get_autocommit(session_.handle()) == 0; }

  void set_timeouts(const Timeouts& timeouts) override { session_.set_timeouts(timeouts); }
  std::shared_ptr<Canceller> canceller() override { return session_.canceller(); }

  Catalog introspect(std::string_view schema) override { return sqlite_introspect(*this, schema); }
  bool can_create_tables() override { return !session_.read_only(); }

  std::unique_ptr<BulkLoader> bulk_load(std::string_view table,
                                        const std::vector<std::string>& columns) override {
    return make_sqlite_bulk_loader(session_, table, columns);
  }

  std::string quote_identifier(std::string_view name) const override {
    return sqlite_quote_identifier(name);
  }

 private:
  SqliteSession session_;
  std::string redacted_url_;
  ServerInfo info_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const ConnectionUrl& url,
                                        const ConnectOptions& /*options*/) {
  // connect_timeout has no meaning for a local file (waiting for another process's lock
  // while opening is bounded by the lock timeout); no password or application name either.
  return std::make_unique<SqliteConnection>(url);
}

}  // namespace cutover::db
