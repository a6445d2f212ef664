// What a database error means, named the same on every driver: which conflict, a lost
// connection, a cancel, or an object someone else created at the same moment.
#pragma once

#include "core/error.h"
#include "db/server_info.h"

namespace cutover::db {

enum class ErrorKind {
  kNotDatabase,     // not from a server (DbFailure::kNone)
  kConnect,         // could not open a connection
  kConnectionLost,  // an open connection broke
  kCancelled,       // cancelled by a statement timeout or by Canceller::cancel()
  kLockTimeout,     // waited for a lock past the lock timeout (SQLite: busy)
  kDeadlock,        // chosen as the victim of a deadlock
  kSerialization,   // a serializable or repeatable-read transaction lost a race
  kCertification,   // Galera: the write set lost certification against another node's
  kNodeNotReady,    // Galera: the node is not synced with the cluster
  kOther,           // any other refusal of a statement
};

// Reads the SQLSTATE, the MariaDB error number and the DbFailure of `error`.
ErrorKind classify(Flavor flavor, const Error& error);

// "lock timeout", "deadlock", "serialization failure", "Galera certification failure", ...:
// for messages and the `reason` of retry events.
const char* error_kind_name(ErrorKind kind);

// A lock timeout, deadlock, serialization or certification failure, or a node not ready: the
// statement (and, but for a lock timeout, its transaction) changed nothing because of another
// session, so running it again later is safe.
bool is_lock_conflict(ErrorKind kind);

// Whether `error` is what a CREATE can see when another session creates the same object at
// the same moment: the object exists (PostgreSQL 42P07 duplicate_table, 42710
// duplicate_object, 23505 on the catalog's unique indexes; MariaDB 1050 table exists, 1061
// duplicate key name), or a lock conflict with that other CREATE (on Galera the loser of two
// DDLs sees a certification failure). Looking again is then the way forward.
bool is_concurrent_creation(Flavor flavor, const Error& error);

}  // namespace cutover::db
