// The check list every preflight shares.
#include "move/preflight_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "move/database_address.h"

namespace cutover::move {

void PreflightChecks::add(std::string name, CheckStatus status, std::string detail,
                          std::string fix) {
  report_.checks.push_back({std::move(name), status, std::move(detail), std::move(fix)});
  on_check_(report_.checks.back());
}

void PreflightChecks::check_distinct() {
  auto problems = duplicate_mappings(plan_.databases);
  for (const auto& d : plan_.databases) {
    std::string source = database_key(d.source, d.source_name());
    if (source == database_key(plan_.target, d.target_name)) {
      problems.push_back(fmt::format("{} would be moved onto itself", source));
    }
  }
  if (problems.empty()) {
    add("mapping", CheckStatus::kPassed,
        fmt::format("{} database{}, each to its own name on the target", plan_.databases.size(),
                    plan_.databases.size() == 1 ? "" : "s"));
    return;
  }
  for (const auto& p : problems) {
    add("mapping", CheckStatus::kFailed, p,
        "give each source database once, and a distinct new name with SRC_URL=NEW_NAME");
  }
}

std::unique_ptr<db::Connection> PreflightChecks::reach(const std::string& url,
                                                       const std::string& shown,
                                                       const std::string& role) {
  try {
    auto connection = db::connect(url, connect_);
    add("reachable", CheckStatus::kPassed,
        fmt::format("{} ({}): {} {}{}", shown, role,
                    plan_.engine() == Scheme::kMariaDb  ? "MariaDB"
                    : plan_.engine() == Scheme::kSqlite ? "SQLite"
                                                        : "PostgreSQL",
                    connection->server().version,
                    connection->server().user.empty() ? "" : " as " + connection->server().user));
    return connection;
  } catch (const Error& e) {
    report_.unreachable.push_back(shown);
    // The message names the server, redacted.
    add("reachable", CheckStatus::kFailed, fmt::format("{}: {}", role, e.message()),
        e.hint().empty() ? "check the host, port, user and password" : e.hint());
    return nullptr;
  }
}

std::string join_names(const std::vector<std::string>& items, size_t limit) {
  std::string out;
  size_t shown = std::min(items.size(), limit);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += (i + 1 == shown && items.size() == shown) ? " and " : ", ";
    out += items[i];
  }
  if (items.size() > shown) out += fmt::format(" and {} more", items.size() - shown);
  return out;
}

}  // namespace cutover::move
