// A transaction as a scope: begun when constructed, rolled back when left without commit().
#pragma once

#include "core/error.h"
#include "db/connection.h"

namespace cutover::db {

class Transaction {
 public:
  // Begins a transaction on `connection` (borrowed, must outlive this). Throws what begin()
  // throws, among it transaction_already_open().
  explicit Transaction(Connection& connection);
  // Rolls back unless committed. A failing rollback is swallowed: the error that is unwinding
  // the stack is the one to report, and a broken connection rolls back on the server anyway.
  ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Commits; throws what Connection::commit() throws (the transaction is then over: the
  // destructor rolls back whatever the server still holds open).
  void commit();

 private:
  Connection& connection_;
  bool finished_ = false;
};

// What every driver's begin() throws when a transaction is already open: cutover never nests
// transactions, and MariaDB's START TRANSACTION would silently commit the open one.
Error transaction_already_open();

}  // namespace cutover::db
