// The check list of a preflight, whatever the engine: each result handed on as it is known,
// the servers reached, and the mapping of source databases to target names checked.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/registry.h"
#include "move/move_plan.h"
#include "move/preflight.h"

namespace cutover::move {

class PreflightChecks {
 public:
  PreflightChecks(const MovePlan& plan, const db::ConnectOptions& connect,
                  const std::function<void(const CheckResult&)>& on_check)
      : plan_(plan), connect_(connect), on_check_(on_check) {}

 protected:
  void add(std::string name, CheckStatus status, std::string detail, std::string fix = {});
  // Each source given once, each target name given once, none moved onto itself.
  void check_distinct();
  // A session on `url` (a passed "reachable" check), or null (a failed one, `shown` noted as
  // unreachable).
  std::unique_ptr<db::Connection> reach(const std::string& url, const std::string& shown,
                                        const std::string& role);

  const MovePlan& plan_;
  const db::ConnectOptions& connect_;
  PreflightReport report_;

 private:
  const std::function<void(const CheckResult&)>& on_check_;
};

// "a, b and c", or "a, b, ... and 7 more" beyond `limit` items.
std::string join_names(const std::vector<std::string>& items, size_t limit = 8);

// The MariaDB and SQLite preflights (run_preflight() calls them for such a plan).
PreflightReport run_mariadb_preflight(const MovePlan& plan, const db::ConnectOptions& connect,
                                      const std::function<void(const CheckResult&)>& on_check);
PreflightReport run_sqlite_preflight(const MovePlan& plan, const db::ConnectOptions& connect,
                                     const std::function<void(const CheckResult&)>& on_check);

}  // namespace cutover::move
