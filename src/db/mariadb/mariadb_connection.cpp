// The MariaDB/MySQL driver of db::Connection, on libmariadb (MariaDB Connector/C).
#include "db/mariadb/mariadb_connection.h"

#include <fmt/format.h>
#include <mysqld_error.h>

#include "core/error.h"
#include "db/error_kind.h"
#include "db/mariadb/mariadb_bulk.h"
#include "db/mariadb/mariadb_canceller.h"
#include "db/mariadb/mariadb_error.h"
#include "db/mariadb/mariadb_grants.h"
#include "db/mariadb/mariadb_introspect.h"
#include "db/mariadb/mariadb_lock_wait_watchdog.h"
#include "db/mariadb/mariadb_params.h"
#include "db/mariadb/mariadb_prepared.h"
#include "db/mariadb/mariadb_server_info.h"
#include "db/mariadb/mariadb_session.h"
#include "db/mariadb/mariadb_text_query.h"
#include "db/transaction.h"

namespace cutover::db {
namespace {

using mariadb::Fetch;
using mariadb::MysqlHandle;
using mariadb::RowReader;
using mariadb::SessionConfig;

std::string quote_backticks(std::string_view name) {
  std::string quoted = "`";
  for (char c : name) quoted += c == '`' ? std::string("``") : std::string(1, c);
  return quoted + "`";
}

// Whole seconds, rounded up, at least 1: MariaDB's lock timeouts take no fractions.
std::int64_t lock_seconds(std::chrono::milliseconds lock) {
  return std::max<std::int64_t>(1, (lock.count() + 999) / 1000);
}

// Parameterless statements use the text protocol, which runs everything (MariaDB cannot
// prepare some DDL and admin statements); statements with parameters are prepared, with $n
// rewritten to ?, and bound in order of appearance.
std::unique_ptr<RowReader> run_statement(MYSQL* mysql, std::string_view sql, const Params& params,
                                         Fetch fetch) {
  if (params.empty()) return mariadb::run_text_query(mysql, sql, fetch);
  mariadb::PositionalSql positional = mariadb::rewrite_placeholders(sql);
  if (positional.highest != params.size()) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("the statement uses parameters up to ${} but {} were given",
                            positional.highest, params.size()),
                "pass one value for each of $1..$n")
        .with_db_failure(DbFailure::kStatement);
  }
  Params ordered;
  ordered.reserve(positional.bind_order.size());
  for (std::size_t index : positional.bind_order) ordered.push_back(params[index]);
  auto statement = std::make_unique<mariadb::PreparedStatement>(mysql, positional.sql);
  statement->execute(ordered);
  return statement;
}

class MariaDbConnection final : public Connection {
 public:
  MariaDbConnection(std::shared_ptr<const SessionConfig> config, MysqlHandle mysql)
      : config_(std::move(config)),
        mysql_(std::move(mysql)),
        server_(mariadb::read_server_info(mysql_.get())) {}

  const ServerInfo& server() const override { return server_; }
  const std::string& redacted_url() const override { return config_->redacted_url; }

  Result query(std::string_view sql, const Params& params) override {
    return noting_failure([&] {
      auto reader =
          watched([&] { return run_statement(mysql_.get(), sql, params, Fetch::kBuffered); });
      Result result;
      result.columns = reader->columns();
      Row row;
      while (reader->next(row)) result.rows.push_back(std::move(row));
      result.affected_rows = reader->affected_rows();
      return result;
    });
  }

  // Stopping early drops the unread rows (the reader drains them), so the session stays usable.
  std::vector<std::string> query_stream(std::string_view sql, const Params& params,
                                        const std::function<bool(const Row&)>& on_row) override {
    return noting_failure([&] {
      auto reader =
          watched([&] { return run_statement(mysql_.get(), sql, params, Fetch::kStreamed); });
      Row row;
      while (reader->next(row)) {
        if (!on_row(row)) break;
      }
      return reader->columns();
    });
  }

  // START TRANSACTION would commit an open transaction silently: refuse it as the other
  // drivers do.
  void begin() override {
    if (in_transaction()) throw transaction_already_open();
    command("START TRANSACTION");
  }
  void commit() override { command("COMMIT"); }
  void rollback() override {
    if (in_transaction()) command("ROLLBACK");
  }

  // The server reports the state with every successful reply, including after statements
  // that commit implicitly (DDL). An error reply carries none, yet the server may have rolled
  // the transaction back (deadlock, Galera certification failure), so after a failure one
  // trivial statement fetches the state afresh. A lost session has no transaction.
  bool in_transaction() const override {
    if (status_unknown_) {
      try {
        mariadb::run_command(mysql_.get(), "DO 0");
      } catch (const Error& error) {
        if (error.db_failure() == DbFailure::kConnectionLost) return false;
        throw;
      }
      status_unknown_ = false;
    }
    unsigned int status = 0;
    mariadb_get_infov(mysql_.get(), MARIADB_CONNECTION_SERVER_STATUS, &status);
    return (status & SERVER_STATUS_IN_TRANS) != 0;
  }

  // A zero lock timeout restores the server's configured default (SET ... = DEFAULT). The
  // server takes whole seconds: a limit with a fraction of a second is set rounded up there,
  // and a LockWaitWatchdog cancels a statement waiting for a table lock once the limit itself
  // has passed.
  void set_timeouts(const Timeouts& timeouts) override {
    const std::string lock =
        timeouts.lock.count() == 0 ? "DEFAULT" : std::to_string(lock_seconds(timeouts.lock));
    command(fmt::format(
        "SET SESSION lock_wait_timeout = {0}, SESSION innodb_lock_wait_timeout = {0}", lock));
    watchdog_.reset();
    lock_limit_ = timeouts.lock;
    if (timeouts.lock.count() % 1000 != 0) {
      watchdog_ = std::make_unique<mariadb::LockWaitWatchdog>(
          canceller_session_config(), mysql_thread_id(mysql_.get()), timeouts.lock);
    }
    if (server_.flavor == Flavor::kMySql) {  // MySQL's limit is in milliseconds, SELECT only
      command(fmt::format("SET SESSION max_execution_time = {}", timeouts.statement.count()));
    } else {
      command(fmt::format("SET SESSION max_statement_time = {:.3f}",
                          static_cast<double>(timeouts.statement.count()) / 1000.0));
    }
  }

  std::shared_ptr<Canceller> canceller() override {
    return mariadb::make_canceller(canceller_session_config(), mysql_thread_id(mysql_.get()));
  }

  Catalog introspect(std::string_view schema) override {
    std::string database = schema.empty() ? current_database() : std::string(schema);
    if (database.empty()) {
      throw Error(ErrorCode::kBadInput,
                  "no database to introspect: none was named and " + config_->redacted_url +
                      " selects none",
                  "name the database in the URL (mariadb://host:port/database)");
    }
    // Reading information_schema while another session runs DDL can end in a deadlock (1213)
    // or, on Galera, a certification failure: the reads changed nothing, so read again.
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
      try {
        return mariadb::introspect_database(*this, server_.flavor, database);
      } catch (const Error& e) {
        const bool conflict = is_lock_conflict(classify(server_.flavor, e));
        // In a transaction, a deadlock rolled the caller's transaction back: theirs to redo.
        if (attempt == kAttempts || in_transaction() || !conflict) throw;
      }
    }
  }

  bool can_create_tables() override {
    return mariadb::may_create_tables(*this, current_database());
  }

  std::unique_ptr<BulkLoader> bulk_load(std::string_view table,
                                        const std::vector<std::string>& columns) override {
    std::vector<std::string> quoted;
    quoted.reserve(columns.size());
    for (const auto& column : columns) quoted.push_back(quote_backticks(column));
    return mariadb::make_bulk_loader(mysql_.get(), quote_backticks(table), std::move(quoted));
  }

  std::string quote_identifier(std::string_view name) const override {
    return quote_backticks(name);
  }

 private:
  void command(std::string_view sql) {
    noting_failure([&] { mariadb::run_command(mysql_.get(), sql); });
  }

  // Runs `work`; if it throws, the transaction state the client last saw may be stale.
  template <typename Work>
  auto noting_failure(Work work) -> decltype(work()) {
    try {
      return work();
    } catch (...) {
      status_unknown_ = true;
      throw;
    }
  }

  // The config of the second sessions that cancel or watch this one: they need no database,
  // and must not fail if it has been dropped.
  std::shared_ptr<const SessionConfig> canceller_session_config() {
    if (!canceller_config_) {
      auto config = std::make_shared<SessionConfig>(*config_);
      config->database.clear();
      canceller_config_ = std::move(config);
    }
    return canceller_config_;
  }

  // Runs `send` (which sends one statement and returns its reader) under the lock-wait
  // watchdog, if there is one. A statement the watchdog cancelled fails as a lock wait
  // timeout (1205), as it would have with a server limit in milliseconds.
  template <typename Send>
  auto watched(Send send) -> decltype(send()) {
    if (!watchdog_) return send();
    watchdog_->start();
    try {
      auto reader = send();
      watchdog_->stop();
      return reader;
    } catch (const Error& error) {
      if (!watchdog_->stop()) throw;
      throw mariadb::statement_error(
          {ER_LOCK_WAIT_TIMEOUT, "HY000",
           fmt::format("Lock wait timeout exceeded: waited {} ms for a table lock, so cutover "
                       "cancelled the statement ({})",
                       lock_limit_.count(), error.message())},
          "statement");
    }
  }

  // DATABASE() now: USE may have changed it since connecting.
  std::string current_database() { return query("SELECT DATABASE()", {}).scalar().text(); }

  std::shared_ptr<const SessionConfig> config_;
  std::shared_ptr<const SessionConfig> canceller_config_;
  MysqlHandle mysql_;
  ServerInfo server_;
  mutable bool status_unknown_ = false;
  std::chrono::milliseconds lock_limit_{0};
  std::unique_ptr<mariadb::LockWaitWatchdog> watchdog_;  // with a limit below whole seconds
};

}  // namespace

std::unique_ptr<Connection> open_mariadb(const ConnectionUrl& url, const ConnectOptions& options) {
  auto config = std::make_shared<const SessionConfig>(mariadb::make_session_config(url, options));
  MysqlHandle mysql = mariadb::open_session(*config);
  return std::make_unique<MariaDbConnection>(std::move(config), std::move(mysql));
}

}  // namespace cutover::db
