// The one error type of the control plane, and its mapping to process exit codes.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cutover {

// What went wrong, coarse enough to choose an exit code (see DESIGN.md).
enum class ErrorCode {
  kOperationFailed = 1,     // the operation was valid but did not succeed
  kBadInput = 2,            // bad usage, bad file, bad URL, unreachable or refused server
  kConflict = 3,            // locked or conflicting: another operation holds the work
  kVerificationFailed = 4,  // data or schema did not verify
};

// Where a database error came from, so that callers can tell a broken connection from a
// statement the server refused.
enum class DbFailure {
  kNone,            // not a database error
  kConnect,         // could not open a connection (unreachable, refused, authentication)
  kConnectionLost,  // an open connection broke; the session is gone
  kStatement,       // the server refused a statement; the connection is still usable
  kCancelled,       // cancelled by a timeout or by cancel()
};

class Error : public std::runtime_error {
 public:
  // `message` names the problem; `hint` says how to fix it (may be empty). Neither may contain
  // a password: pass connection strings through redact_url() first.
  Error(ErrorCode code, std::string message, std::string hint = {});

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }

  // Database facts, when the error came from a server.
  const std::string& sqlstate() const { return sqlstate_; }
  int vendor_code() const { return vendor_code_; }  // MariaDB error number; 0 if none
  DbFailure db_failure() const { return db_failure_; }

  Error& with_sqlstate(std::string sqlstate);
  Error& with_vendor_code(int vendor_code);
  Error& with_db_failure(DbFailure failure);

  // The same failure with more context, for a rethrow: "<prefix>: <message>", the hint
  // replaced when `hint` is non-empty, and the code, SQLSTATE, vendor number and DbFailure
  // kept. Every rethrow that adds context to a caught Error goes through this or restated().
  Error with_context(std::string_view prefix, std::string hint = {}) const;
  // The same failure told anew: `code`, `message` and `hint` as given, the SQLSTATE, vendor
  // number and DbFailure of this error kept.
  Error restated(ErrorCode code, std::string message, std::string hint) const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string hint_;
  std::string sqlstate_;
  int vendor_code_ = 0;
  DbFailure db_failure_ = DbFailure::kNone;
};

// The process exit code for an error code: 1, 2, 3 or 4.
int exit_code(ErrorCode code);

// A short stable name for JSON output: "operation_failed", "bad_input", ...
const char* error_code_name(ErrorCode code);

// Shorthand for the most common error.
[[noreturn]] void throw_bad_input(std::string message, std::string hint = {});

}  // namespace cutover
