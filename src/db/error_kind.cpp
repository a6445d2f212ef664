// What a database error means, named the same on every driver.
#include "db/error_kind.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace cutover::db {
namespace {

constexpr int kMariaDbNodeNotReady = 1047;  // Galera: "WSREP has not yet prepared node"
constexpr int kMariaDbTableExists = 1050;
constexpr int kMariaDbDuplicateKeyName = 1061;
constexpr int kMariaDbErrorDuringCommit = 1180;  // Galera reports some conflicts at commit so
constexpr int kMariaDbLockWaitTimeout = 1205;
constexpr int kMariaDbDeadlock = 1213;  // also Galera's certification failure ("wsrep")

bool is_mariadb(Flavor flavor) { return flavor == Flavor::kMariaDb || flavor == Flavor::kMySql; }

bool mentions_wsrep(const std::string& message) {
  std::string lower = message;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("wsrep") != std::string::npos;
}

ErrorKind classify_mariadb(const Error& error) {
  switch (error.vendor_code()) {
    case kMariaDbLockWaitTimeout:
      return ErrorKind::kLockTimeout;
    case kMariaDbDeadlock:
      return mentions_wsrep(error.message()) ? ErrorKind::kCertification : ErrorKind::kDeadlock;
    case kMariaDbErrorDuringCommit:
      return mentions_wsrep(error.message()) ? ErrorKind::kCertification : ErrorKind::kOther;
    case kMariaDbNodeNotReady:
      return ErrorKind::kNodeNotReady;
    default:
      return ErrorKind::kOther;
  }
}

// PostgreSQL's SQLSTATEs; SQLite's driver maps SQLITE_BUSY to 55P03 as well.
ErrorKind classify_by_sqlstate(const Error& error) {
  const std::string& state = error.sqlstate();
  if (state == "55P03") return ErrorKind::kLockTimeout;  // lock_not_available
  if (state == "40P01") return ErrorKind::kDeadlock;     // deadlock_detected
  if (state == "40001") return ErrorKind::kSerialization;
  return ErrorKind::kOther;
}

}  // namespace

ErrorKind classify(Flavor flavor, const Error& error) {
  switch (error.db_failure()) {
    case DbFailure::kNone:
      return ErrorKind::kNotDatabase;
    case DbFailure::kConnect:
      return ErrorKind::kConnect;
    case DbFailure::kConnectionLost:
      return ErrorKind::kConnectionLost;
    case DbFailure::kCancelled:
      return ErrorKind::kCancelled;
    case DbFailure::kStatement:
      break;
  }
  return is_mariadb(flavor) ? classify_mariadb(error) : classify_by_sqlstate(error);
}

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotDatabase:
      return "error";
    case ErrorKind::kConnect:
      return "connection failed";
    case ErrorKind::kConnectionLost:
      return "connection lost";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kLockTimeout:
      return "lock timeout";
    case ErrorKind::kDeadlock:
      return "deadlock";
    case ErrorKind::kSerialization:
      return "serialization failure";
    case ErrorKind::kCertification:
      return "Galera certification failure";
    case ErrorKind::kNodeNotReady:
      return "Galera node not ready";
    case ErrorKind::kOther:
      return "database error";
  }
  return "database error";
}

bool is_lock_conflict(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kLockTimeout:
    case ErrorKind::kDeadlock:
    case ErrorKind::kSerialization:
    case ErrorKind::kCertification:
    case ErrorKind::kNodeNotReady:
      return true;
    default:
      return false;
  }
}

bool is_concurrent_creation(Flavor flavor, const Error& error) {
  if (error.db_failure() != DbFailure::kStatement) return false;
  if (is_lock_conflict(classify(flavor, error))) return true;
  if (is_mariadb(flavor)) {
    int code = error.vendor_code();
    return code == kMariaDbTableExists || code == kMariaDbDuplicateKeyName;
  }
  const std::string& state = error.sqlstate();
  return state == "42P07" || state == "42710" || state == "23505";
}

}  // namespace cutover::db
