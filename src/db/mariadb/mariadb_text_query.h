// Statements without parameters, run with the text protocol (mysql_real_query), which accepts
// every statement, including those MariaDB cannot prepare.
#pragma once

#include <mysql.h>

#include <memory>
#include <string_view>

#include "db/mariadb/mariadb_rows.h"

namespace cutover::db::mariadb {

enum class Fetch {
  kBuffered,  // the whole result is read at once (mysql_store_result)
  kStreamed,  // rows are read as they arrive (mysql_use_result)
};

// Runs `sql` on `mysql`, which must outlive the reader. Throws Error(kOperationFailed) when
// the server refuses it (see statement_error()).
std::unique_ptr<RowReader> run_text_query(MYSQL* mysql, std::string_view sql, Fetch fetch);

// Runs a statement whose result does not matter (SET, START TRANSACTION, ...).
void run_command(MYSQL* mysql, std::string_view sql);

}  // namespace cutover::db::mariadb
