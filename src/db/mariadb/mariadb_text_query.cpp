// Statements without parameters, run with the text protocol (mysql_real_query), which accepts
// every statement, including those MariaDB cannot prepare.
#include "db/mariadb/mariadb_text_query.h"

#include "db/mariadb/mariadb_error.h"

namespace cutover::db::mariadb {
namespace {

// A CALL may return several result sets; only the first is read, the rest are discarded so
// that the connection is ready for the next statement.
void discard_further_results(MYSQL* mysql) {
  while (mysql_more_results(mysql) && mysql_next_result(mysql) == 0) {
    if (MYSQL_RES* extra = mysql_use_result(mysql)) mysql_free_result(extra);
  }
}

class TextQuery final : public RowReader {
 public:
  TextQuery(MYSQL* mysql, std::string_view sql, Fetch fetch) : mysql_(mysql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      throw statement_error(last_error(mysql_), "statement");
    }
    result_ = fetch == Fetch::kBuffered ? mysql_store_result(mysql_) : mysql_use_result(mysql_);
    if (result_ == nullptr) {
      if (mysql_field_count(mysql_) != 0) throw statement_error(last_error(mysql_), "fetch");
      affected_rows_ = static_cast<std::int64_t>(mysql_affected_rows(mysql_));
      discard_further_results(mysql_);
      return;
    }
    const unsigned count = mysql_num_fields(result_);
    const MYSQL_FIELD* fields = mysql_fetch_fields(result_);
    for (unsigned i = 0; i < count; ++i) columns_.emplace_back(fields[i].name);
  }

  ~TextQuery() override {
    // mysql_free_result reads and drops the rows a streamed result has not delivered yet.
    if (result_ != nullptr) mysql_free_result(result_);
    discard_further_results(mysql_);
  }

  TextQuery(const TextQuery&) = delete;
  TextQuery& operator=(const TextQuery&) = delete;

  const std::vector<std::string>& columns() const override { return columns_; }
  std::int64_t affected_rows() const override { return affected_rows_; }

  bool next(Row& row) override {
    if (result_ == nullptr) return false;
    MYSQL_ROW values = mysql_fetch_row(result_);
    if (values == nullptr) {
      if (mysql_errno(mysql_) != 0) throw statement_error(last_error(mysql_), "fetch");
      return false;
    }
    const unsigned long* lengths = mysql_fetch_lengths(result_);
    row.clear();
    row.reserve(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (values[i] == nullptr) {
        row.emplace_back();
      } else {
        row.emplace_back(std::string(values[i], lengths[i]));
      }
    }
    return true;
  }

 private:
  MYSQL* mysql_;
  MYSQL_RES* result_ = nullptr;
  std::vector<std::string> columns_;
  std::int64_t affected_rows_ = 0;
};

}  // namespace

std::unique_ptr<RowReader> run_text_query(MYSQL* mysql, std::string_view sql, Fetch fetch) {
  return std::make_unique<TextQuery>(mysql, sql, fetch);
}

void run_command(MYSQL* mysql, std::string_view sql) {
  run_text_query(mysql, sql, Fetch::kBuffered);
}

}  // namespace cutover::db::mariadb
