// The checks of `move create` for SQLite files: every source a readable SQLite database, the
// target directory writable with room for the copies, no file in the way.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "move/database_address.h"
#include "move/preflight_checks.h"
#include "move/sqlite_facts.h"

namespace cutover::move {
namespace {

namespace fs = std::filesystem;

class SqlitePreflight : PreflightChecks {
 public:
  using PreflightChecks::PreflightChecks;

  PreflightReport run() {
    check_distinct();
    std::error_code error;
    for (const auto& d : plan_.databases) {
      const std::string& path = d.source_name();
      if (!fs::is_regular_file(path, error)) {
        report_.unreachable.push_back(path);
        add("reachable", CheckStatus::kFailed, fmt::format("{}: no such file", path),
            "name the application's database file, as an absolute path or relative to here");
        continue;
      }
      auto source = reach("sqlite:" + path, path, "source");
      if (!source) continue;
      std::size_t tables = sqlite_tables(*source).size();
      auto bytes = static_cast<std::int64_t>(fs::file_size(path, error));
      report_.total_bytes += bytes;
      add("database", CheckStatus::kPassed,
          fmt::format("{}: {} table{}, {}; writes are frozen by triggers on each table (dropped "
                      "again by abort; the copy has none)",
                      path, tables, tables == 1 ? "" : "s", human_size(bytes)));
      std::string target = database_key(plan_.target, d.target_name).substr(7);
      if (fs::exists(target, error) && fs::file_size(target, error) > 0) {
        add("target database", CheckStatus::kFailed, fmt::format("{}: exists", target),
            "choose another name with SRC=NEW_NAME, or move that file away");
      } else {
        add("target database", CheckStatus::kPassed,
            fmt::format("{}: does not exist yet; data will copy into it", target));
      }
    }
    check_directory();
    return std::move(report_);
  }

 private:
  void check_directory() {
    std::error_code error;
    fs::path dir = plan_.target.database;
    fs::path existing = dir;
    while (!existing.empty() && !fs::exists(existing, error)) existing = existing.parent_path();
    if (existing.empty() || access(existing.c_str(), W_OK) != 0) {
      add("privileges", CheckStatus::kFailed,
          fmt::format("{}: cannot be written by this user", existing.string()),
          "choose a directory this user may write, or fix its permissions");
      return;
    }
    add("privileges", CheckStatus::kPassed,
        fmt::format(
            "{}: writable{}", dir.string(),
            existing == dir ? "" : " (created by prepare under " + existing.string() + ")"));
    auto space = fs::space(existing, error);
    if (error) return;
    auto available = static_cast<std::int64_t>(space.available);
    if (available < report_.total_bytes) {
      add("size", CheckStatus::kFailed,
          fmt::format("{} to copy, {} free in {}", human_size(report_.total_bytes),
                      human_size(available), existing.string()),
          "free some space there, or choose another directory");
    } else {
      add("size", CheckStatus::kPassed,
          fmt::format("{} to copy, {} free in {}", human_size(report_.total_bytes),
                      human_size(available), existing.string()));
    }
  }
};

}  // namespace

PreflightReport run_sqlite_preflight(const MovePlan& plan, const db::ConnectOptions& connect,
                                     const std::function<void(const CheckResult&)>& on_check) {
  return SqlitePreflight(plan, connect, on_check).run();
}

}  // namespace cutover::move
