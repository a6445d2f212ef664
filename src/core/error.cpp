// The one error type of the control plane, and its mapping to process exit codes.
#include "core/error.h"

#include <utility>

namespace cutover {

Error::Error(ErrorCode code, std::string message, std::string hint)
    : std::runtime_error(message),
      code_(code),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

Error& Error::with_sqlstate(std::string sqlstate) {
  sqlstate_ = std::move(sqlstate);
  return *this;
}

Error& Error::with_vendor_code(int vendor_code) {
  vendor_code_ = vendor_code;
  return *this;
}

Error& Error::with_db_failure(DbFailure failure) {
  db_failure_ = failure;
  return *this;
}

Error Error::with_context(std::string_view prefix, std::string hint) const {
  std::string message = std::string(prefix) + ": " + message_;
  return restated(code_, std::move(message), hint.empty() ? hint_ : std::move(hint));
}

Error Error::restated(ErrorCode code, std::string message, std::string hint) const {
  Error error(code, std::move(message), std::move(hint));
  error.sqlstate_ = sqlstate_;
  error.vendor_code_ = vendor_code_;
  error.db_failure_ = db_failure_;
  return error;
}

int exit_code(ErrorCode code) { return static_cast<int>(code); }

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOperationFailed:
      return "operation_failed";
    case ErrorCode::kBadInput:
      return "bad_input";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kVerificationFailed:
      return "verification_failed";
  }
  return "operation_failed";
}

void throw_bad_input(std::string message, std::string hint) {
  throw Error(ErrorCode::kBadInput, std::move(message), std::move(hint));
}

}  // namespace cutover
