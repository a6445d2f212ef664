// Server-side prepared statements (mysql_stmt_*): parameters bound as int64, double, text or
// NULL; rows read unbuffered as text.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/mariadb/mariadb_rows.h"

namespace cutover::db::mariadb {

class PreparedStatement final : public RowReader {
 public:
  // Prepares `sql` (with ? markers) on `mysql`, which must outlive the statement. Throws
  // Error(kOperationFailed) when the server refuses it.
  PreparedStatement(MYSQL* mysql, std::string_view sql);
  ~PreparedStatement() override;
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  std::size_t parameter_count() const;

  // Binds `values` to the markers in order (exactly parameter_count() of them) and executes.
  // Unread rows of a previous execution are discarded first. Throws Error(kOperationFailed).
  void execute(std::span<const Value> values);

  const std::vector<std::string>& columns() const override { return columns_; }
  bool next(Row& row) override;
  std::int64_t affected_rows() const override { return affected_rows_; }

 private:
  // Receives one column's value; grows when a value does not fit.
  struct ColumnBuffer {
    std::vector<char> data = std::vector<char>(256);
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool truncated = 0;
  };

  void bind_result_columns();
  void refetch_columns_that_did_not_fit();
  void finish_result();

  MYSQL* mysql_;
  MYSQL_STMT* stmt_;
  std::vector<std::string> columns_;
  std::vector<ColumnBuffer> buffers_;
  std::vector<MYSQL_BIND> result_binds_;
  bool has_result_ = false;
  std::int64_t affected_rows_ = 0;
};

}  // namespace cutover::db::mariadb
