// Server-side prepared statements (mysql_stmt_*): parameters bound as int64, double, text or
// NULL; rows read unbuffered as text.
#include "db/mariadb/mariadb_prepared.h"

#include <cstring>

#include "core/error.h"
#include "db/mariadb/mariadb_error.h"

namespace cutover::db::mariadb {
namespace {

// The MYSQL_BIND array for a set of parameters and the storage its pointers point into. The
// vectors are sized once, so the pointers stay valid until the object dies.
class ParameterBinds {
 public:
  explicit ParameterBinds(std::span<const Value> values)
      : binds_(values.size()),
        ints_(values.size()),
        doubles_(values.size()),
        texts_(values.size()) {
    for (std::size_t i = 0; i < values.size(); ++i) bind(i, values[i]);
  }

  MYSQL_BIND* data() { return binds_.data(); }

 private:
  void bind(std::size_t i, const Value& value) {
    MYSQL_BIND& b = binds_[i];
    std::memset(&b, 0, sizeof b);
    if (value.is_null()) {
      b.buffer_type = MYSQL_TYPE_NULL;
    } else if (value.is_int()) {
      ints_[i] = value.as_int();
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &ints_[i];
    } else if (value.is_double()) {
      doubles_[i] = value.as_double();
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &doubles_[i];
    } else {
      texts_[i] = value.text();
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = texts_[i].data();
      b.buffer_length = texts_[i].size();  // used as the length when `length` is null
    }
  }

  std::vector<MYSQL_BIND> binds_;
  std::vector<std::int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string> texts_;
};

}  // namespace

PreparedStatement::PreparedStatement(MYSQL* mysql, std::string_view sql)
    : mysql_(mysql), stmt_(mysql_stmt_init(mysql)) {
  if (stmt_ == nullptr) throw statement_error(last_error(mysql_), "prepare");
  if (mysql_stmt_prepare(stmt_, sql.data(), sql.size()) != 0) {
    Error error = statement_error(last_error(stmt_, mysql_), "prepare");
    mysql_stmt_close(stmt_);
    throw error;
  }
}

// Closing also reads and drops the rows of an unbuffered result that were not fetched.
PreparedStatement::~PreparedStatement() { mysql_stmt_close(stmt_); }

std::size_t PreparedStatement::parameter_count() const { return mysql_stmt_param_count(stmt_); }

void PreparedStatement::execute(std::span<const Value> values) {
  Row discarded;
  while (next(discarded)) {
  }
  if (values.size() != parameter_count()) {
    throw Error(ErrorCode::kOperationFailed,
                "the statement has " + std::to_string(parameter_count()) +
                    " parameter markers but " + std::to_string(values.size()) +
                    " values were bound")
        .with_db_failure(DbFailure::kStatement);
  }
  ParameterBinds binds(values);
  if (!values.empty() && mysql_stmt_bind_param(stmt_, binds.data()) != 0) {
    throw statement_error(last_error(stmt_, mysql_), "bind");
  }
  if (mysql_stmt_execute(stmt_) != 0) throw statement_error(last_error(stmt_, mysql_), "statement");

  MYSQL_RES* metadata = mysql_stmt_result_metadata(stmt_);
  if (metadata == nullptr) {
    affected_rows_ = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt_));
    finish_result();
    return;
  }
  columns_.clear();
  const unsigned count = mysql_num_fields(metadata);
  const MYSQL_FIELD* fields = mysql_fetch_fields(metadata);
  for (unsigned i = 0; i < count; ++i) columns_.emplace_back(fields[i].name);
  mysql_free_result(metadata);
  affected_rows_ = 0;
  bind_result_columns();
  has_result_ = true;
}

// Every column is fetched as MYSQL_TYPE_STRING: libmariadb converts numbers and dates to text.
void PreparedStatement::bind_result_columns() {
  buffers_.resize(columns_.size());
  result_binds_.assign(columns_.size(), MYSQL_BIND{});
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    MYSQL_BIND& b = result_binds_[i];
    ColumnBuffer& buffer = buffers_[i];
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = buffer.data.data();
    b.buffer_length = buffer.data.size();
    b.length = &buffer.length;
    b.is_null = &buffer.is_null;
    b.error = &buffer.truncated;
  }
  if (mysql_stmt_bind_result(stmt_, result_binds_.data()) != 0) {
    throw statement_error(last_error(stmt_, mysql_), "bind result");
  }
}

// A value longer than its buffer arrives cut short with its full length reported: grow the
// buffer, read the column again, and keep the larger buffer for the following rows.
void PreparedStatement::refetch_columns_that_did_not_fit() {
  bool grown = false;
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    ColumnBuffer& buffer = buffers_[i];
    if (buffer.is_null || buffer.length <= buffer.data.size()) continue;
    buffer.data.resize(buffer.length + 1);
    MYSQL_BIND& b = result_binds_[i];
    b.buffer = buffer.data.data();
    b.buffer_length = buffer.data.size();
    if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(i), 0) != 0) {
      throw statement_error(last_error(stmt_, mysql_), "fetch");
    }
    grown = true;
  }
  if (grown && mysql_stmt_bind_result(stmt_, result_binds_.data()) != 0) {
    throw statement_error(last_error(stmt_, mysql_), "bind result");
  }
}

bool PreparedStatement::next(Row& row) {
  if (!has_result_) return false;
  const int status = mysql_stmt_fetch(stmt_);
  if (status == MYSQL_NO_DATA) {
    finish_result();
    return false;
  }
  if (status != 0 && status != MYSQL_DATA_TRUNCATED) {
    has_result_ = false;
    throw statement_error(last_error(stmt_, mysql_), "fetch");
  }
  refetch_columns_that_did_not_fit();
  row.clear();
  row.reserve(buffers_.size());
  for (const ColumnBuffer& buffer : buffers_) {
    if (buffer.is_null) {
      row.emplace_back();
    } else {
      row.emplace_back(std::string(buffer.data.data(), buffer.length));
    }
  }
  return true;
}

// A CALL can leave further results behind; read past them so the connection is ready.
void PreparedStatement::finish_result() {
  has_result_ = false;
  while (mysql_stmt_more_results(stmt_) && mysql_stmt_next_result(stmt_) == 0) {
    mysql_stmt_free_result(stmt_);
  }
}

}  // namespace cutover::db::mariadb
