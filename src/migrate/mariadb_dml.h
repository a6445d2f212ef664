// Which MariaDB statements may share a transaction with their progress record: plain DML, which
// InnoDB rolls back, as opposed to DDL and the other statements that commit implicitly.
#pragma once

#include <string_view>

namespace cutover::migrate {

// Whether `sql` (one statement, comments included, as the splitter yields it) is DML that runs
// inside a transaction without committing it: INSERT, REPLACE, UPDATE, DELETE, SELECT, WITH,
// VALUES, TABLE. Everything else (DDL, CALL, SET, LOCK TABLES, GRANT, a statement starting with
// an executable comment `/*! ... */` or a parenthesis, ...) returns false: it runs on its own,
// since it may commit implicitly.
bool is_mariadb_dml(std::string_view sql);

}  // namespace cutover::migrate
