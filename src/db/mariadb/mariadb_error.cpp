// MariaDB error numbers turned into cutover::Error: which failure, which hint.
#include "db/mariadb/mariadb_error.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include "core/connection_url.h"

namespace cutover::db::mariadb {
namespace {

// Numbers newer than the client library's mysqld_error.h.
constexpr unsigned kClientInteractionTimeout = 4031;  // MariaDB 10.3+: idle session closed
constexpr unsigned kStatementTimeout = 1969;          // max_statement_time exceeded
constexpr unsigned kReadOnlyTransaction = 1792;       // write in a READ ONLY transaction
constexpr unsigned kReadOnlyMode = 1836;              // server running with read_only

std::string hint_for(unsigned number) {
  switch (number) {
    case ER_LOCK_WAIT_TIMEOUT:
      return "another session holds a lock on these rows or on the table's metadata; retry "
             "later or raise the lock timeout";
    case ER_LOCK_DEADLOCK:
      return "a deadlock, or on Galera a certification conflict with a write on another node; "
             "retry the transaction";
    case ER_UNKNOWN_COM_ERROR:  // what Galera answers while the node is not synced
      return "on Galera this means the node is not ready (not synced with the cluster); "
             "connect to another node or wait until it has joined";
    case ER_UNSUPPORTED_PS:
      return "MariaDB cannot prepare this statement, so it cannot take parameters; write the "
             "values into the statement";
    case kReadOnlyTransaction:
    case kReadOnlyMode:
    case ER_OPTION_PREVENTS_STATEMENT:
      return "the server or the transaction is read-only (a cutover write freeze, a replica, "
             "or read_only=ON)";
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
      return "the user lacks a privilege; check SHOW GRANTS";
    case ER_QUERY_INTERRUPTED:
    case kStatementTimeout:
      return "the statement was cancelled or ran past its statement timeout";
    default:
      break;
  }
  if (is_connection_lost(number)) {
    return "the connection to the server broke (server restarted, session killed, network or "
           "idle timeout); reconnect";
  }
  return {};
}

}  // namespace

ServerError last_error(MYSQL* mysql) {
  return {mysql_errno(mysql), mysql_sqlstate(mysql), redact(mysql_error(mysql))};
}

ServerError last_error(MYSQL_STMT* stmt, MYSQL* mysql) {
  if (mysql_stmt_errno(stmt) == 0) return last_error(mysql);
  return {mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), redact(mysql_stmt_error(stmt))};
}

bool is_connection_lost(unsigned number) {
  switch (number) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case kClientInteractionTimeout:
      return true;
    default:
      return false;
  }
}

bool is_cancelled(unsigned number) {
  return number == ER_QUERY_INTERRUPTED || number == kStatementTimeout;
}

Error statement_error(const ServerError& error, const std::string& doing) {
  DbFailure failure = DbFailure::kStatement;
  if (is_connection_lost(error.number)) failure = DbFailure::kConnectionLost;
  if (is_cancelled(error.number)) failure = DbFailure::kCancelled;
  std::string message = "MariaDB " + doing + " failed: " + error.message + " (error " +
                        std::to_string(error.number) + ", SQLSTATE " + error.sqlstate + ")";
  Error result(ErrorCode::kOperationFailed, std::move(message), hint_for(error.number));
  result.with_sqlstate(error.sqlstate)
      .with_vendor_code(static_cast<int>(error.number))
      .with_db_failure(failure);
  return result;
}

}  // namespace cutover::db::mariadb
