// The one interface to a database, implemented by the PostgreSQL, MariaDB and SQLite drivers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "db/catalog.h"
#include "db/result.h"
#include "db/server_info.h"
#include "db/value.h"

namespace cutover::db {

// Limits applied to every following statement of a session; zero means no limit.
// PostgreSQL: lock_timeout / statement_timeout. MariaDB: lock_wait_timeout and
// innodb_lock_wait_timeout (rounded up to whole seconds) / max_statement_time.
// SQLite: busy timeout / a progress handler that interrupts the statement.
struct Timeouts {
  std::chrono::milliseconds lock{0};
  std::chrono::milliseconds statement{0};
};

// Cancels whatever statement is running on the connection it came from. Thread-safe: meant
// to be called from another thread. A statement cancelled this way throws
// Error(kOperationFailed) with DbFailure::kCancelled; the connection stays usable.
class Canceller {
 public:
  virtual ~Canceller() = default;
  virtual void cancel() = 0;
};

// Loads rows into one table as fast as the database allows: COPY on PostgreSQL, batched
// multi-row INSERTs elsewhere. Rows are sent as they come; finish() sends the rest.
class BulkLoader {
 public:
  virtual ~BulkLoader() = default;
  // `row` has one value per column given to bulk_load(), in that order.
  virtual void add_row(const Row& row) = 0;
  // Flushes and returns the number of rows loaded. Throws Error on failure; the loader is
  // unusable afterwards either way.
  virtual std::int64_t finish() = 0;
};

// PostgreSQL COPY as raw byte streams (any format, binary included), for the fastest copy of
// a table between two PostgreSQL servers. Available only where copy() returns non-null.
class CopyChannel {
 public:
  virtual ~CopyChannel() = default;
  // Runs `copy_sql` ("COPY ... TO STDOUT ...") and hands each chunk of data to `sink` as it
  // arrives. Returns the number of rows copied.
  virtual std::int64_t copy_out(std::string_view copy_sql,
                                const std::function<void(std::string_view)>& sink) = 0;
  // Runs `copy_sql` ("COPY ... FROM STDIN ...") and sends what `source` yields until it
  // returns nullopt. Returns the number of rows loaded.
  virtual std::int64_t copy_in(
      std::string_view copy_sql,
      const std::function<std::optional<std::string_view>()>& source) = 0;
};

// One open session. Not thread-safe except for the Canceller. Every method throws
// cutover::Error on failure, with the SQLSTATE, the MariaDB error number and the DbFailure
// set where known; messages never contain a password.
//
// Parameters are written $1, $2, ... in every dialect; a parameter may appear several times.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual const ServerInfo& server() const = 0;
  // The connection string this session was opened with, password removed.
  virtual const std::string& redacted_url() const = 0;

  // Runs one statement and returns its rows (if any) and affected-row count.
  virtual Result query(std::string_view sql, const Params& params = {}) = 0;
  // Runs one statement; returns the affected-row count.
  std::int64_t execute(std::string_view sql, const Params& params = {}) {
    return query(sql, params).affected_rows;
  }
  // Runs one query and hands each row to `on_row` as it arrives, without holding the whole
  // result in memory; `on_row` returns false to stop early. Returns the column names.
  virtual std::vector<std::string> query_stream(std::string_view sql, const Params& params,
                                                const std::function<bool(const Row&)>& on_row) = 0;

  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;  // no-op when no transaction is open
  virtual bool in_transaction() const = 0;

  virtual void set_timeouts(const Timeouts& timeouts) = 0;
  virtual std::shared_ptr<Canceller> canceller() = 0;

  // Tables, views and sequences of one schema (PostgreSQL; default: current_schema()), one
  // database (MariaDB; default: the current one) or "main" (SQLite).
  virtual Catalog introspect(std::string_view schema = {}) = 0;
  // Whether the session's user may create tables in its current schema or database.
  virtual bool can_create_tables() = 0;

  virtual std::unique_ptr<BulkLoader> bulk_load(std::string_view table,
                                                const std::vector<std::string>& columns) = 0;
  // Non-null on PostgreSQL only; owned by the connection.
  virtual CopyChannel* copy() { return nullptr; }
  // copy() where only PostgreSQL can be: anywhere else a bug (std::logic_error).
  CopyChannel& postgres_copy() {
    CopyChannel* channel = copy();
    if (channel == nullptr)
      throw std::logic_error("COPY asked of a connection that is not PostgreSQL");
    return *channel;
  }

  // Quotes an identifier for this dialect: "name" or `name`.
  virtual std::string quote_identifier(std::string_view name) const = 0;
};

}  // namespace cutover::db
