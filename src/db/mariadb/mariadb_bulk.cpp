// Bulk loading into MariaDB: batched multi-row INSERTs through prepared statements.
#include "db/mariadb/mariadb_bulk.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "db/mariadb/mariadb_prepared.h"
#include "db/mariadb/mariadb_text_query.h"

namespace cutover::db::mariadb {
namespace {

constexpr std::size_t kMaxRowsPerBatch = 500;
constexpr std::size_t kMaxMarkersPerStatement = 65535;
constexpr std::size_t kMaxBatchBytes = 16u << 20;

// Bytes a value adds to the COM_STMT_EXECUTE packet, near enough.
std::size_t wire_size(const Value& value) { return value.is_text() ? value.text().size() + 9 : 9; }

// Leaves room under max_allowed_packet for the packet's own overhead.
std::size_t batch_byte_budget(MYSQL* mysql) {
  auto reader = run_text_query(mysql, "SELECT @@max_allowed_packet", Fetch::kBuffered);
  Row row;
  std::size_t packet = reader->next(row) ? static_cast<std::size_t>(row[0].as_int()) : 0;
  return std::clamp<std::size_t>(packet / 2, 64u << 10, kMaxBatchBytes);
}

class InsertBatchLoader final : public BulkLoader {
 public:
  InsertBatchLoader(MYSQL* mysql, std::string quoted_table,
                    const std::vector<std::string>& quoted_columns)
      : mysql_(mysql),
        column_count_(quoted_columns.size()),
        rows_per_batch_(
            std::clamp<std::size_t>(kMaxMarkersPerStatement / column_count_, 1, kMaxRowsPerBatch)),
        byte_budget_(batch_byte_budget(mysql)),
        insert_prefix_("INSERT INTO " + std::move(quoted_table) + " (" +
                       join(quoted_columns, ", ") + ") VALUES ") {
    pending_.reserve(rows_per_batch_ * column_count_);
  }

  void add_row(const Row& row) override {
    if (finished_) throw Error(ErrorCode::kOperationFailed, "the bulk loader has finished");
    if (row.size() != column_count_) {
      throw Error(ErrorCode::kOperationFailed, "bulk load row has " + std::to_string(row.size()) +
                                                   " values for " + std::to_string(column_count_) +
                                                   " columns");
    }
    std::size_t bytes = 0;
    for (const Value& value : row) bytes += wire_size(value);
    if (pending_rows_ > 0 && pending_bytes_ + bytes > byte_budget_) flush();
    pending_.insert(pending_.end(), row.begin(), row.end());
    pending_bytes_ += bytes;
    if (++pending_rows_ == rows_per_batch_) flush();
  }

  std::int64_t finish() override {
    if (finished_) throw Error(ErrorCode::kOperationFailed, "the bulk loader has finished");
    finished_ = true;
    flush();
    return loaded_;
  }

 private:
  static std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const auto& part : parts) {
      if (!out.empty()) out += separator;
      out += part;
    }
    return out;
  }

  std::string insert_sql(std::size_t rows) const {
    std::string tuple = "(";
    for (std::size_t i = 0; i < column_count_; ++i) tuple += i == 0 ? "?" : ", ?";
    tuple += ")";
    std::string sql = insert_prefix_;
    sql.reserve(sql.size() + rows * (tuple.size() + 2));
    for (std::size_t i = 0; i < rows; ++i) {
      if (i > 0) sql += ", ";
      sql += tuple;
    }
    return sql;
  }

  // A full batch reuses one prepared statement; a short one (the last, or one cut by size)
  // is prepared for its own row count.
  void flush() {
    if (pending_rows_ == 0) return;
    try {
      if (pending_rows_ == rows_per_batch_) {
        if (!full_batch_) full_batch_.emplace(mysql_, insert_sql(rows_per_batch_));
        full_batch_->execute(pending_);
      } else {
        PreparedStatement(mysql_, insert_sql(pending_rows_)).execute(pending_);
      }
    } catch (...) {
      finished_ = true;  // rows of this batch are lost to the caller: stop here
      throw;
    }
    loaded_ += static_cast<std::int64_t>(pending_rows_);
    pending_.clear();
    pending_rows_ = 0;
    pending_bytes_ = 0;
  }

  MYSQL* mysql_;
  std::size_t column_count_;
  std::size_t rows_per_batch_;
  std::size_t byte_budget_;
  std::string insert_prefix_;
  std::optional<PreparedStatement> full_batch_;
  std::vector<Value> pending_;
  std::size_t pending_rows_ = 0;
  std::size_t pending_bytes_ = 0;
  std::int64_t loaded_ = 0;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<BulkLoader> make_bulk_loader(MYSQL* mysql, std::string quoted_table,
                                             std::vector<std::string> quoted_columns) {
  if (quoted_columns.empty()) {
    throw Error(ErrorCode::kOperationFailed, "bulk load into " + quoted_table + " names no column");
  }
  return std::make_unique<InsertBatchLoader>(mysql, std::move(quoted_table), quoted_columns);
}

}  // namespace cutover::db::mariadb
