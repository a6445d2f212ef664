// Loading many rows into one SQLite table: one prepared INSERT, committed in batches.
#include "db/sqlite/sqlite_bulk.h"

#include <fmt/format.h>

#include "core/error.h"
#include "db/sqlite/sqlite_quote.h"
#include "db/sqlite/sqlite_statement.h"

namespace cutover::db {
namespace {

std::string insert_sql(std::string_view table, const std::vector<std::string>& columns) {
  if (columns.empty()) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("bulk load into '{}' names no columns", table),
                "pass the columns the rows hold values for");
  }
  std::string names;
  std::string placeholders;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) {
      names += ", ";
      placeholders += ", ";
    }
    names += sqlite_quote_identifier(columns[i]);
    placeholders += fmt::format("${}", i + 1);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", sqlite_quote_identifier(table), names,
                     placeholders);
}

class SqliteBulkLoader : public BulkLoader {
 public:
  SqliteBulkLoader(SqliteSession& session, std::string_view table,
                   const std::vector<std::string>& columns)
      : session_(session),
        table_(table),
        column_count_(columns.size()),
        insert_(session, insert_sql(table, columns)) {}

  ~SqliteBulkLoader() override { abandon_own_batch(); }

  void add_row(const Row& row) override {
    require_usable();
    if (row.size() != column_count_) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("bulk load into '{}': a row has {} values for {} columns", table_,
                              row.size(), column_count_));
    }
    // Inside the caller's transaction the rows simply join it; otherwise batches of our own.
    if (!own_batch_open_ && sqlite3_get_autocommit(session_.handle()) != 0) {
      sqlite_run(session_, "BEGIN IMMEDIATE");
      own_batch_open_ = true;
    }
    try {
      session_.start_statement();
      insert_.bind(row);
      insert_.step();
      insert_.reset();
      ++rows_;
      if (own_batch_open_ && ++rows_in_batch_ >= kSqliteBulkBatchRows) commit_own_batch();
    } catch (const Error&) {
      insert_.reset();
      failed_ = true;
      abandon_own_batch();
      throw;
    }
  }

  std::int64_t finish() override {
    require_usable();
    failed_ = true;  // unusable afterwards, whatever happens below
    try {
      commit_own_batch();
    } catch (const Error&) {
      abandon_own_batch();
      throw;
    }
    return rows_;
  }

 private:
  void require_usable() const {
    if (failed_) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("bulk load into '{}' already finished or failed", table_),
                  "start a new bulk_load()");
    }
  }

  // On failure the batch stays marked open, for the caller to abandon.
  void commit_own_batch() {
    if (!own_batch_open_) return;
    sqlite_run(session_, "COMMIT");
    own_batch_open_ = false;
    rows_in_batch_ = 0;
  }

  // Rolls back the batch this loader opened, if any; keeps the error being reported (or the
  // destructor) free of a second failure, since SQLite also rolls back when it closes.
  void abandon_own_batch() noexcept {
    if (!own_batch_open_) return;
    own_batch_open_ = false;
    rows_in_batch_ = 0;
    if (sqlite3_get_autocommit(session_.handle()) != 0) return;  // SQLite already rolled back
    try {
      sqlite_run(session_, "ROLLBACK");
    } catch (const Error&) {
    }
  }

  SqliteSession& session_;
  std::string table_;
  size_t column_count_;
  SqliteStatement insert_;
  bool own_batch_open_ = false;
  bool failed_ = false;
  std::int64_t rows_in_batch_ = 0;
  std::int64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BulkLoader> make_sqlite_bulk_loader(SqliteSession& session, std::string_view table,
                                                    const std::vector<std::string>& columns) {
  return std::make_unique<SqliteBulkLoader>(session, table, columns);
}

}  // namespace cutover::db
