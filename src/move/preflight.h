// A move's preflight: every check that `move create` runs before it saves a plan, each with
// its verdict, the reason and the fix.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "db/registry.h"
#include "move/move_plan.h"

namespace cutover::move {

enum class CheckStatus { kPassed, kWarning, kFailed, kSkipped };

const char* check_status_name(CheckStatus status);  // "passed", "warning", "failed", "skipped"

struct CheckResult {
  std::string name;  // "reachable", "privileges", "version", "extensions", ...
  CheckStatus status = CheckStatus::kPassed;
  std::string detail;  // what was found, naming the database or server (URLs redacted)
  std::string fix;     // how to make a failed or warned check pass; empty when it passed
};

struct PreflightReport {
  std::vector<CheckResult> checks;
  std::vector<std::string> unreachable;  // redacted URLs of servers that could not be reached
  std::int64_t total_bytes = 0;          // pg_database_size of the sources together

  bool passed() const;  // no check failed
  std::vector<std::string> failed_names() const;
};

// Runs every check of `plan` (PostgreSQL sources and target), handing each result to
// `on_check` as it is known; a check that cannot run because a server is unreachable is
// skipped. Changes nothing anywhere. Throws only what cannot be told as a check (a bug or a
// server lost in the middle of a query), as Error.
PreflightReport run_preflight(const MovePlan& plan, const db::ConnectOptions& connect,
                              const std::function<void(const CheckResult&)>& on_check);

// A locale name as the C library matches it: the codeset after '.' is case- and
// hyphen-insensitive, so "en_US.UTF-8" becomes "en_US.utf8", the name pg_collation imports.
std::string normalize_locale(std::string_view locale);

// "12.3 MB": a size for people, in powers of 1024.
std::string human_size(std::int64_t bytes);

}  // namespace cutover::move
