// The checks of `move create` on PostgreSQL: reach every server, then compare what each source
// database uses with what the target offers.
#include "move/preflight.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include "core/error.h"
#include "move/database_address.h"
#include "move/pg_facts.h"
#include "move/proxy_handoff.h"
#include "move/preflight_checks.h"
#include "move/privilege_freeze.h"

namespace cutover::move {
namespace {

std::string join(const std::vector<std::string>& items, size_t limit = 8) {
  return join_names(items, limit);
}

std::vector<std::string> missing_from(const std::vector<std::string>& wanted,
                                      const std::set<std::string>& offered) {
  std::vector<std::string> missing;
  for (const auto& w : wanted) {
    if (!offered.contains(w)) missing.push_back(w);
  }
  return missing;
}

std::vector<std::string> missing_locales(const std::vector<std::string>& wanted,
                                         const std::set<std::string>& offered) {
  std::set<std::string> normalized;
  for (const auto& o : offered) normalized.insert(normalize_locale(o));
  std::vector<std::string> missing;
  for (const auto& w : wanted) {
    if (!normalized.contains(normalize_locale(w))) missing.push_back(w);
  }
  return missing;
}

std::string major_of(int version_number) {
  return std::to_string(version_number >= 100000 ? version_number / 10000 : version_number / 100);
}

class Preflight : PreflightChecks {
 public:
  using PreflightChecks::PreflightChecks;

  PreflightReport run() {
    check_distinct();
    auto target = reach(plan_.target.text, url_without_password(plan_.target), "the target");
    std::vector<std::unique_ptr<db::Connection>> sources;
    for (const auto& d : plan_.databases) {
      sources.push_back(
          reach(d.source.text, url_without_password(d.source), "source " + d.source_name()));
    }
    std::optional<TargetFacts> target_facts;
    if (target) {
      target_facts = read_target_facts(*target);
      check_target(*target_facts);
    }
    std::vector<std::string> sizes;
    for (size_t i = 0; i < plan_.databases.size(); ++i) {
      const auto& d = plan_.databases[i];
      std::string label = database_key(d.source, d.source_name());
      if (!sources[i]) {
        add("database", CheckStatus::kSkipped,
            fmt::format("{}: not checked, its server is unreachable", label));
        continue;
      }
      SourceFacts facts = read_source_facts(*sources[i]);
      report_.total_bytes += facts.size_bytes;
      sizes.push_back(fmt::format("{} {}", d.source_name(), human_size(facts.size_bytes)));
      check_readable(label, facts);
      check_freeze(label, *sources[i]);
      check_large_objects(label, *sources[i]);
      if (target) {
        check_against_target(d, label, facts, *target_facts, *target);
      } else {
        add("target", CheckStatus::kSkipped,
            fmt::format("{}: not compared with the target, which is unreachable", label));
      }
      check_keys(label, facts);
    }
    if (!sizes.empty()) {
      add("size", CheckStatus::kPassed,
          fmt::format("{} to move: {}; the target's free disk space cannot be read over SQL, so "
                      "make sure it has room for that much and more while indexes are built",
                      human_size(report_.total_bytes), join(sizes)));
    }
    if (!plan_.proxy_admins.empty()) {
      for (auto& check : proxy_checks(plan_)) {
        add(std::move(check.name), check.status, std::move(check.detail), std::move(check.fix));
      }
    }
    return std::move(report_);
  }

 private:
  void check_target(const TargetFacts& target) {
    if (target.can_create_databases) {
      add("privileges", CheckStatus::kPassed, "the target's user may create databases");
    } else {
      add("privileges", CheckStatus::kFailed,
          "the target's user may not create databases (neither superuser nor CREATEDB)",
          "ALTER ROLE ... CREATEDB on the target, or connect as a superuser");
    }
    if (plan_.owner) {
      if (target.roles.contains(*plan_.owner)) {
        add("owner", CheckStatus::kPassed,
            fmt::format("role {} exists on the target", *plan_.owner));
      } else {
        add("owner", CheckStatus::kFailed,
            fmt::format("--owner {}: no such role on the target", *plan_.owner),
            fmt::format("CREATE ROLE {} on the target first, or name an existing role",
                        *plan_.owner));
      }
    }
  }

  // What a freeze by privileges cannot stop: superusers, unless the plan says no application
  // writes as them.
  void check_freeze(const std::string& label, db::Connection& source) {
    if (plan_.freeze == FreezeMode::kProxy) {
      add("freeze", CheckStatus::kWarning,
          fmt::format("{}: writes through the proxy will be refused by its read-only mode; "
                      "sessions that reach the source without the proxy are not stopped; data "
                      "verifies every table after the copy",
                      label),
          "make sure every writer goes through the proxy; --freeze privileges (with --proxy) "
          "is enforced by the server for all of them");
      return;
    }
    if (plan_.freeze == FreezeMode::kHook) {
      add("freeze", CheckStatus::kWarning,
          fmt::format("{}: writes will be stopped by the freeze commands, which cutover cannot "
                      "check; data verifies every table after the copy",
                      label),
          "make sure the commands stop every writer; --freeze privileges is enforced by the "
          "server");
      return;
    }
    if (auto definers = superuser_definer_functions(source); !definers.empty()) {
      add("definer functions", CheckStatus::kWarning,
          fmt::format("{}: these SECURITY DEFINER functions run as a superuser, so a role that "
                      "may call them writes through a freeze by privileges: {}",
                      label, join(definers)),
          "if one of them writes, REVOKE EXECUTE on it from the application's roles for the "
          "move (and GRANT it back after), or freeze with --freeze hook");
    }
    auto unstoppable = unfreezable_roles(source, plan_.allow_unfrozen);
    if (unstoppable.empty()) {
      add("freeze", CheckStatus::kPassed,
          fmt::format("{}: every role that can log in and write can be frozen by revoking its "
                      "privileges{}",
                      label,
                      plan_.allow_unfrozen.empty()
                          ? ""
                          : " (superusers allowed unfrozen: " + join(plan_.allow_unfrozen) + ")"));
      return;
    }
    add("freeze", CheckStatus::kFailed,
        fmt::format("{}: a freeze by privileges cannot stop these superusers: {}", label,
                    join(unstoppable)),
        fmt::format("make sure no application writes as them during the move and say so with "
                    "--allow-unfrozen {} (once per role), or freeze with --freeze hook",
                    unstoppable.front()));
  }

  void check_large_objects(const std::string& label, db::Connection& source) {
    std::int64_t count = large_object_count(source);
    if (count == 0) return;
    add("large objects", CheckStatus::kFailed,
        fmt::format("{}: holds {} large objects (lo_*), which cutover move does not copy", label,
                    count),
        "move this database with pg_dump | pg_restore, or store the objects as bytea columns");
  }

  void check_readable(const std::string& label, const SourceFacts& facts) {
    if (facts.unreadable.empty()) {
      add("readable", CheckStatus::kPassed, fmt::format("{}: every table can be read", label));
      return;
    }
    add("readable", CheckStatus::kFailed,
        fmt::format("{}: the source's user cannot read {}", label, join(facts.unreadable)),
        "connect as the owner or a superuser, or GRANT USAGE on the schema and SELECT on the "
        "tables to the user of the source URL");
  }

  // Owners matter unless --owner replaces them; the roles that grants, policies and default
  // privileges name are restored as they are, and a missing one fails the restore (policies
  // and default privileges: the build after the data, with the sources frozen).
  void check_roles(const std::string& label, const SourceFacts& facts, const TargetFacts& target) {
    std::vector<std::string> named = missing_from(facts.named_roles, target.roles);
    std::vector<std::string> owners = missing_from(facts.owners, target.roles);
    if (!named.empty()) {
      add("roles", CheckStatus::kFailed,
          fmt::format("{}: the target lacks roles that its grants, policies or default "
                      "privileges name: {}{}",
                      label, join(named),
                      owners.empty() || plan_.owner ? "" : "; and owners: " + join(owners)),
          "create them on the target (CREATE ROLE ...): --owner replaces the owners only");
    } else if (!owners.empty() && plan_.owner) {
      add("roles", CheckStatus::kWarning,
          fmt::format("{}: roles {} own objects but do not exist on the target; {} (--owner) "
                      "will own the moved objects",
                      label, join(owners), *plan_.owner),
          "create the roles on the target if they must own their objects there too");
    } else if (!owners.empty()) {
      add("roles", CheckStatus::kFailed,
          fmt::format("{}: roles {} own its objects but do not exist on the target", label,
                      join(owners)),
          "create them on the target (CREATE ROLE ...), or give --owner ROLE so that one role "
          "owns everything moved");
    } else {
      std::set<std::string> all(facts.named_roles.begin(), facts.named_roles.end());
      all.insert(facts.owners.begin(), facts.owners.end());
      add("roles", CheckStatus::kPassed,
          fmt::format("{}: every role its objects name exists on the target ({})", label,
                      join(std::vector<std::string>(all.begin(), all.end()))));
    }
  }

  void check_against_target(const DatabaseMapping& d, const std::string& label,
                            const SourceFacts& facts, const TargetFacts& target,
                            db::Connection& target_connection) {
    if (facts.version_number <= target.version_number) {
      add("version", CheckStatus::kPassed,
          fmt::format("{}: PostgreSQL {} to {}", label, facts.version, target.version));
    } else {
      add("version", CheckStatus::kFailed,
          fmt::format("{}: the source runs PostgreSQL {}, the target an older {}: a newer "
                      "server's schema may not load on an older one",
                      label, facts.version, target.version),
          fmt::format("move to a target running PostgreSQL {} or later",
                      major_of(facts.version_number)));
    }

    auto extensions = missing_from(facts.extensions, target.available_extensions);
    if (extensions.empty()) {
      add("extensions", CheckStatus::kPassed,
          fmt::format("{}: every extension it uses is available on the target ({})", label,
                      join(facts.extensions)));
    } else {
      add("extensions", CheckStatus::kFailed,
          fmt::format("{}: the target does not offer {} (not in pg_available_extensions)", label,
                      join(extensions)),
          "install the extension on the target server (on Debian its postgresql-" +
              major_of(target.version_number) +
              "-... or postgresql-contrib package), or drop it from the source if it is unused");
    }

    auto collations = missing_from(facts.collations, target.collations);
    auto locales = missing_locales(facts.locales, target.locales);
    if (collations.empty() && locales.empty()) {
      add("collations", CheckStatus::kPassed,
          fmt::format("{}: its locale and collations exist on the target", label));
    } else {
      std::vector<std::string> parts;
      if (!collations.empty()) parts.push_back("collations " + join(collations));
      if (!locales.empty()) parts.push_back("locales " + join(locales));
      add("collations", CheckStatus::kFailed,
          fmt::format("{}: the target lacks {}", label, join(parts)),
          "generate the locale on the target's operating system (locale-gen) and run SELECT "
          "pg_import_system_collations('pg_catalog') there, or change the source's collation");
    }

    check_roles(label, facts, target);

    check_target_database(d, target_connection);
  }

  void check_target_database(const DatabaseMapping& d, db::Connection& target_connection) {
    std::string where = database_key(plan_.target, d.target_name);
    if (!target_database_exists(target_connection, d.target_name)) {
      add("target database", CheckStatus::kPassed,
          fmt::format("{}: does not exist yet; the move will create it", where));
      return;
    }
    DatabaseContents contents;
    try {
      auto existing = db::connect(url_with_database(plan_.target, d.target_name), connect_);
      contents = read_database_contents(*existing);
    } catch (const Error& e) {
      add("target database", CheckStatus::kFailed,
          fmt::format("{}: exists and cannot be inspected: {}", where, e.message()),
          "choose another name with SRC_URL=NEW_NAME, or drop it on the target");
      return;
    }
    if (contents.count == 0) {
      add("target database", CheckStatus::kPassed,
          fmt::format("{}: exists and is empty; the move will fill it", where));
      return;
    }
    add("target database", CheckStatus::kFailed,
        fmt::format("{}: exists and is not empty: {} object{} ({})", where, contents.count,
                    contents.count == 1 ? "" : "s", join(contents.sample)),
        "choose another name with SRC_URL=NEW_NAME, or drop that database on the target if it "
        "is not needed");
  }

  void check_keys(const std::string& label, const SourceFacts& facts) {
    if (facts.tables_without_key.empty()) {
      add("keys", CheckStatus::kPassed,
          fmt::format("{}: every table has a primary or unique key", label));
      return;
    }
    add("keys", CheckStatus::kWarning,
        fmt::format("{}: {} table{} without a primary or unique key: {}; they are copied, but "
                    "verified by count and checksum of the whole table only, not row by row",
                    label, facts.tables_without_key.size(),
                    facts.tables_without_key.size() == 1 ? "" : "s",
                    join(facts.tables_without_key)),
        "add a primary key where the data has one");
  }
};

}  // namespace

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPassed:
      return "passed";
    case CheckStatus::kWarning:
      return "warning";
    case CheckStatus::kFailed:
      return "failed";
    case CheckStatus::kSkipped:
      return "skipped";
  }
  return "unknown";
}

bool PreflightReport::passed() const {
  return std::none_of(checks.begin(), checks.end(),
                      [](const CheckResult& c) { return c.status == CheckStatus::kFailed; });
}

std::vector<std::string> PreflightReport::failed_names() const {
  std::vector<std::string> names;
  for (const auto& c : checks) {
    if (c.status == CheckStatus::kFailed &&
        std::find(names.begin(), names.end(), c.name) == names.end()) {
      names.push_back(c.name);
    }
  }
  return names;
}

PreflightReport run_preflight(const MovePlan& plan, const db::ConnectOptions& connect,
                              const std::function<void(const CheckResult&)>& on_check) {
  if (plan.engine() == Scheme::kMariaDb) return run_mariadb_preflight(plan, connect, on_check);
  if (plan.engine() == Scheme::kSqlite) return run_sqlite_preflight(plan, connect, on_check);
  return Preflight(plan, connect, on_check).run();
}

std::string normalize_locale(std::string_view locale) {
  size_t dot = locale.find('.');
  if (dot == std::string_view::npos) return std::string(locale);
  std::string out(locale.substr(0, dot + 1));
  size_t end = locale.find('@', dot);
  for (char c : locale.substr(dot + 1, end == std::string_view::npos ? end : end - dot - 1)) {
    if (c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (end != std::string_view::npos) out += locale.substr(end);
  return out;
}

std::string human_size(std::int64_t bytes) {
  constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

}  // namespace cutover::move
