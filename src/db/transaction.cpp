// A transaction as a scope.
#include "db/transaction.h"

namespace cutover::db {

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.begin(); }

Transaction::~Transaction() {
  if (finished_) return;
  try {
    connection_.rollback();
  } catch (...) {
    // The connection broke: the server rolls back on its own; the original error goes on.
  }
}

void Transaction::commit() {
  finished_ = true;
  try {
    connection_.commit();
  } catch (...) {
    finished_ = false;  // roll back whatever is left open
    throw;
  }
}

Error transaction_already_open() {
  return Error(ErrorCode::kOperationFailed, "begin() while a transaction is already open",
               "commit or roll back the open transaction first (cutover does not nest "
               "transactions)");
}

}  // namespace cutover::db
