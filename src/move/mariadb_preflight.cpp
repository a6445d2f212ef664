// The checks of `move create` between MariaDB servers: reach every server, then compare what
// each source database uses (engines, accounts named by grants and definers) with what the
// target offers, and say what read_only, a whole-server freeze, will stop.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "move/database_address.h"
#include "move/mariadb_database_grants.h"
#include "move/mariadb_facts.h"
#include "move/preflight_checks.h"

namespace cutover::move {
namespace {

std::vector<std::string> column_of(db::Connection& c, const std::string& sql,
                                   const db::Params& params = {}) {
  std::vector<std::string> out;
  for (const auto& row : c.query(sql, params).rows) out.push_back(row[0].text());
  return out;
}

class MariadbPreflight : PreflightChecks {
 public:
  using PreflightChecks::PreflightChecks;

  PreflightReport run() {
    check_distinct();
    auto target = reach(plan_.target.text, url_without_password(plan_.target), "the target");
    if (target) check_target(*target);
    std::map<std::string, std::vector<std::string>> moved_by_server;
    std::vector<std::string> sizes;
    for (const auto& d : plan_.databases) {
      std::string label = database_key(d.source, d.source_name());
      auto source =
          reach(d.source.text, url_without_password(d.source), "source " + d.source_name());
      if (!source) continue;
      if (!mariadb_database_exists(*source, d.source_name())) {
        add("database", CheckStatus::kFailed, fmt::format("{}: no such database", label),
            "name an existing database of that server (SHOW DATABASES lists them)");
        continue;
      }
      moved_by_server[database_key(d.source, "")].push_back(d.source_name());
      auto size = source->query(
          "SELECT coalesce(sum(data_length + index_length), 0) FROM information_schema.tables "
          "WHERE table_schema = $1",
          {d.source_name()});
      std::int64_t bytes = size.rows.at(0)[0].as_int();
      report_.total_bytes += bytes;
      sizes.push_back(fmt::format("{} {}", d.source_name(), human_size(bytes)));
      if (target) check_against_target(d, label, *source, *target);
      check_keys(label, *source, d.source_name());
    }
    for (const auto& [server, moved] : moved_by_server) check_freeze(server, moved);
    if (!sizes.empty()) {
      add("size", CheckStatus::kPassed,
          fmt::format("{} to move: {}; the target's free disk space cannot be read over SQL, so "
                      "make sure it has room for that much and more",
                      human_size(report_.total_bytes), join_names(sizes)));
    }
    return std::move(report_);
  }

 private:
  void check_target(db::Connection& target) {
    target_version_ = target.server().version_number;
    target_shown_ = target.server().version;
    auto create = target.query(
        "SELECT 1 FROM information_schema.user_privileges WHERE privilege_type = 'CREATE' AND "
        "grantee = concat('''', substring_index(current_user(), '@', 1), '''@''', "
        "substring_index(current_user(), '@', -1), '''')");
    if (!create.rows.empty()) {
      add("privileges", CheckStatus::kPassed, "the target's user may create databases");
    } else {
      add("privileges", CheckStatus::kFailed,
          "the target's user may not create databases (no global CREATE privilege)",
          "GRANT ALL ON *.* TO that user on the target, or connect as root");
    }
    for (const auto& a : mariadb_accounts(target)) target_accounts_.insert(a);
    for (const auto& e : column_of(target,
                                   "SELECT engine FROM information_schema.engines "
                                   "WHERE support IN ('YES', 'DEFAULT')")) {
      target_engines_.insert(e);
    }
  }

  void check_against_target(const DatabaseMapping& d, const std::string& label,
                            db::Connection& source, db::Connection& target) {
    if (target_version_ < source.server().version_number) {
      add("version", CheckStatus::kFailed,
          fmt::format("{}: the target runs MariaDB {}, older than the source's {}", label,
                      target_shown_, source.server().version),
          "move to a server of the same or a newer version");
    } else {
      add("version", CheckStatus::kPassed,
          fmt::format("{}: MariaDB {} to {}", label, source.server().version, target_shown_));
    }

    std::vector<std::string> engines;
    for (const auto& e : column_of(source,
                                   "SELECT DISTINCT engine FROM information_schema.tables "
                                   "WHERE table_schema = $1 AND engine IS NOT NULL",
                                   {d.source_name()})) {
      if (!target_engines_.contains(e)) engines.push_back(e);
    }
    if (engines.empty()) {
      add("engines", CheckStatus::kPassed,
          fmt::format("{}: every storage engine its tables use is on the target", label));
    } else {
      add("engines", CheckStatus::kFailed,
          fmt::format("{}: the target lacks the storage engines {}", label, join_names(engines)),
          "INSTALL SONAME the engine's plugin on the target, or ALTER TABLE ... ENGINE=InnoDB "
          "on the source");
    }

    if (auto uncopyable = mariadb_uncopyable_tables(source, d.source_name()); !uncopyable.empty()) {
      add("tables", CheckStatus::kFailed,
          fmt::format("{}: cutover cannot copy {}", label, join_names(uncopyable)),
          "move this database with mariadb-dump, or ALTER TABLE ... DROP SYSTEM VERSIONING if "
          "the history may go");
    }
    check_foreign_keys(label, source, d);

    // Grants are given on the target at finalize, definers are named by the schema: the
    // accounts must exist there (accounts are the server's, not the database's).
    std::set<std::string> needed;
    for (const auto& g :
         grantees_of(mariadb_database_grants(source, d.source_name(), d.target_name))) {
      needed.insert(g);
    }
    for (const auto& definer : column_of(
             source,
             "SELECT definer FROM information_schema.views WHERE table_schema = $1 "
             "UNION SELECT definer FROM information_schema.routines WHERE routine_schema = $1 "
             "UNION SELECT definer FROM information_schema.triggers WHERE trigger_schema = $1 "
             "UNION SELECT definer FROM information_schema.events WHERE event_schema = $1",
             {d.source_name()})) {
      needed.insert(grantee_of_definer(definer));
    }
    std::vector<std::string> missing;
    for (const auto& account : needed) {
      if (!target_accounts_.contains(account)) missing.push_back(account);
    }
    if (missing.empty()) {
      add("accounts", CheckStatus::kPassed,
          fmt::format("{}: the {} account{} its grants and definers name exist on the target",
                      label, needed.size(), needed.size() == 1 ? "" : "s"));
    } else {
      add("accounts", CheckStatus::kFailed,
          fmt::format("{}: its grants or definers name accounts the target lacks: {}", label,
                      join_names(missing)),
          "CREATE USER them on the target (with the same host part), then run create again");
    }

    if (target.server().galera) check_sequences_for_galera(label, source, d.source_name());
    if (d.target_name != d.source_name()) check_renamable(label, source, d);

    std::string where = database_key(plan_.target, d.target_name);
    if (!mariadb_database_exists(target, d.target_name)) {
      add("target database", CheckStatus::kPassed,
          fmt::format("{}: does not exist yet; the move will create it", where));
    } else if (auto [count, sample] = mariadb_contents(target, d.target_name); count == 0) {
      add("target database", CheckStatus::kPassed,
          fmt::format("{}: exists and is empty; the move will fill it", where));
    } else {
      add("target database", CheckStatus::kFailed,
          fmt::format("{}: exists and is not empty: {} object{} ({})", where, count,
                      count == 1 ? "" : "s", join_names(sample)),
          "choose another name with SRC_URL=NEW_NAME, or drop that database on the target if "
          "it is not needed");
    }

    auto events = column_of(source,
                            "SELECT event_name FROM information_schema.events "
                            "WHERE event_schema = $1 AND status = 'ENABLED'",
                            {d.source_name()});
    if (!events.empty()) {
      add("events", CheckStatus::kWarning,
          fmt::format("{}: its enabled events ({}) are created on the target by data and run "
                      "there from then on, if the target's event scheduler is on",
                      label, join_names(events)),
          "make sure they do nothing harmful before finalize, or disable them on the source "
          "first");
    }
  }

  // Routines, triggers and events are restored as written: one that names its own database
  // would name the source's on the target (views are dumped without it).
  void check_renamable(const std::string& label, db::Connection& source, const DatabaseMapping& d) {
    auto names = [&](const std::string& text) {
      std::string lower = text, db = d.source_name();
      for (auto* s : {&lower, &db}) {
        for (auto& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      return lower.find(db + ".") != std::string::npos ||
             lower.find("`" + db + "`.") != std::string::npos;
    };
    std::vector<std::string> naming;
    for (const auto& row : source
                               .query("SELECT routine_type, routine_name, routine_definition "
                                      "FROM information_schema.routines "
                                      "WHERE routine_schema = $1 "
                                      "UNION ALL SELECT 'EVENT', event_name, event_definition "
                                      "FROM information_schema.events WHERE event_schema = $1",
                                      {d.source_name()})
                               .rows) {
      if (names(row[2].text())) naming.push_back(row[0].text() + " " + row[1].text());
    }
    // Column defaults (NEXT VALUE FOR db.seq), and what other databases of the server say
    // about this one: their views, routines, triggers and events.
    for (const auto& row :
         source
             .query("SELECT concat('DEFAULT of ', table_name, '.', column_name), column_default "
                    "FROM information_schema.columns WHERE table_schema = $1 AND "
                    "column_default IS NOT NULL "
                    "UNION ALL SELECT concat('VIEW ', table_schema, '.', table_name), "
                    "view_definition FROM information_schema.views WHERE table_schema <> $1 "
                    "UNION ALL SELECT concat(routine_type, ' ', routine_schema, '.', "
                    "routine_name), routine_definition FROM information_schema.routines "
                    "WHERE routine_schema <> $1 "
                    "UNION ALL SELECT concat('TRIGGER ', trigger_schema, '.', trigger_name), "
                    "action_statement FROM information_schema.triggers WHERE trigger_schema <> $1",
                    {d.source_name()})
             .rows) {
      if (names(row[1].text())) naming.push_back(row[0].text());
    }
    for (const auto& trigger : column_of(source,
                                         "SELECT trigger_name FROM information_schema.triggers "
                                         "WHERE trigger_schema = $1",
                                         {d.source_name()})) {
      auto shown = source.query(fmt::format("SHOW CREATE TRIGGER {}.{}",
                                            source.quote_identifier(d.source_name()),
                                            source.quote_identifier(trigger)));
      if (names(shown.rows.at(0).at(2).text())) naming.push_back("TRIGGER " + trigger);
    }
    if (naming.empty()) return;
    add("rename", CheckStatus::kFailed,
        fmt::format("{}: renamed to {}, but these objects name the database {} in their text, "
                    "which would then be another or none: {}",
                    label, d.target_name, d.source_name(), join_names(naming)),
        "keep the database's name on the target, or re-create those objects without the "
        "database's name before the move");
  }

  // A foreign key between two databases holds on the target only when both arrive there under
  // their own names; otherwise it would point at another database or none.
  void check_foreign_keys(const std::string& label, db::Connection& source,
                          const DatabaseMapping& d) {
    auto kept_name = [&](const std::string& db) {
      return std::any_of(plan_.databases.begin(), plan_.databases.end(), [&](const auto& m) {
        return m.source_name() == db && m.target_name == db &&
               database_key(m.source, "") == database_key(d.source, "");
      });
    };
    std::vector<std::string> broken;
    for (const auto& row :
         source
             .query("SELECT constraint_schema, table_name, unique_constraint_schema, "
                    "referenced_table_name FROM information_schema.referential_constraints "
                    "WHERE (constraint_schema = $1) <> (unique_constraint_schema = $1) "
                    "AND $1 IN (constraint_schema, unique_constraint_schema) ORDER BY 1, 2",
                    {d.source_name()})
             .rows) {
      if (kept_name(row[0].text()) && kept_name(row[2].text())) continue;
      broken.push_back(fmt::format("{}.{} -> {}.{}", row[0].text(), row[1].text(), row[2].text(),
                                   row[3].text()));
    }
    if (broken.empty()) return;
    add("foreign keys", CheckStatus::kFailed,
        fmt::format("{}: foreign keys across databases would not hold on the target: {}", label,
                    join_names(broken)),
        "move both databases in this move, keeping their names, or drop those keys first");
  }

  // Galera refuses CREATE SEQUENCE with a cache (error 1235), which the schema would fail on.
  void check_sequences_for_galera(const std::string& label, db::Connection& source,
                                  const std::string& db) {
    std::vector<std::string> cached;
    for (const auto& name : column_of(source,
                                      "SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = $1 AND table_type = 'SEQUENCE'",
                                      {db})) {
      auto cache =
          source.query(fmt::format("SELECT cache_size FROM {}.{}", source.quote_identifier(db),
                                   source.quote_identifier(name)));
      if (cache.rows.at(0)[0].as_int() > 0) cached.push_back(name);
    }
    if (cached.empty()) return;
    add("sequences", CheckStatus::kFailed,
        fmt::format("{}: the target is a Galera cluster, which refuses sequences with a cache: "
                    "{}",
                    label, join_names(cached)),
        "ALTER SEQUENCE ... NOCACHE on the source (or INCREMENT BY 0), then run create again");
  }

  void check_keys(const std::string& label, db::Connection& source, const std::string& db) {
    auto without = column_of(
        source,
        "SELECT t.table_name FROM information_schema.tables t WHERE t.table_schema = $1 AND "
        "t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM "
        "information_schema.table_constraints k WHERE k.table_schema = t.table_schema AND "
        "k.table_name = t.table_name AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE')) "
        "ORDER BY t.table_name",
        {db});
    if (without.empty()) {
      add("keys", CheckStatus::kPassed,
          fmt::format("{}: every table has a primary or unique key", label));
      return;
    }
    add("keys", CheckStatus::kWarning,
        fmt::format("{}: {} table{} without a primary or unique key: {}; they are copied, but "
                    "verified by count and checksum of the whole table only",
                    label, without.size(), without.size() == 1 ? "" : "s", join_names(without)),
        "add a primary key where the data has one");
  }

  // read_only stops every write of the whole server but those of accounts that bypass it.
  void check_freeze(const std::string& server_key, const std::vector<std::string>& moved) {
    const DatabaseMapping* d = nullptr;
    for (const auto& m : plan_.databases) {
      if (database_key(m.source, "") == server_key) d = &m;
    }
    auto source = db::connect(d->source.text, connect_);
    if (plan_.freeze != FreezeMode::kReadOnly) {
      add("freeze", CheckStatus::kPassed,
          fmt::format("{}: frozen by your --freeze-command hooks", server_key));
      return;
    }
    auto unstoppable = mariadb_unfreezable_accounts(*source, plan_.allow_unfrozen);
    auto own = mariadb_unfreezable_accounts(*source, {});
    bool can_set =
        std::find(own.begin(), own.end(), grantee_of_definer(source->server().user)) != own.end();
    if (source->server().galera) {
      add("freeze", CheckStatus::kFailed,
          fmt::format("{}: is a node of a Galera cluster: read_only on it does not stop writes "
                      "made on the other nodes, which reach it by replication",
                      server_key),
          "stop the application's writes with --freeze hook (or set read_only on every node "
          "yourself and use a hook that says so)");
    } else if (!can_set) {
      add("freeze", CheckStatus::kFailed,
          fmt::format("{}: {} may not SET GLOBAL read_only (no READ_ONLY ADMIN privilege)",
                      server_key, source->server().user),
          "GRANT READ_ONLY ADMIN ON *.* TO that user, or connect as root");
    } else if (auto writers = writers_past_read_only(*source, moved); !writers.empty()) {
      add("freeze", CheckStatus::kFailed,
          fmt::format("{}: the application can write through these while read_only is on, "
                      "since they run as an account it does not stop: {}",
                      server_key, join_names(writers)),
          "ALTER them to SQL SECURITY INVOKER (events: ALTER EVENT ... DISABLE) for the move, "
          "or freeze with --freeze hook");
    } else if (!unstoppable.empty()) {
      add("freeze", CheckStatus::kFailed,
          fmt::format("{}: these accounts can write while read_only is on (READ_ONLY ADMIN{}): "
                      "{}",
                      server_key, source->server().version_number < 101100 ? " or SUPER" : "",
                      join_names(unstoppable)),
          fmt::format("cutover's own account needs that privilege to set read_only; make sure "
                      "no application writes as them during the move, then say so: cutover "
                      "move create ... --allow-unfrozen {}",
                      unstoppable.front().substr(1, unstoppable.front().find("'@'") - 1)));
    } else {
      add("freeze", CheckStatus::kPassed,
          fmt::format("{}: read_only will stop every application write", server_key));
    }
    std::vector<std::string> others;
    for (const auto& name : column_of(*source, fmt::format("SELECT schema_name FROM "
                                                           "information_schema.schemata WHERE "
                                                           "schema_name NOT IN {} ORDER BY 1",
                                                           kMariadbSystemDatabases))) {
      if (std::find(moved.begin(), moved.end(), name) == moved.end()) others.push_back(name);
    }
    if (!others.empty() && plan_.freeze == FreezeMode::kReadOnly) {
      add("freeze scope", CheckStatus::kWarning,
          fmt::format("{}: read_only freezes the whole server, also its databases that are not "
                      "moved: {}",
                      server_key, join_names(others)),
          "move them too, or stop writes with --freeze hook instead");
    }
  }

  std::vector<std::string> writers_past_read_only(db::Connection& source,
                                                  const std::vector<std::string>& moved) {
    std::vector<std::string> out;
    for (const auto& db : moved) {
      for (const auto& w : mariadb_writers_past_read_only(source, db)) out.push_back(db + "." + w);
    }
    return out;
  }

  int target_version_ = 0;
  std::string target_shown_;
  std::set<std::string> target_accounts_;
  std::set<std::string> target_engines_;
};

}  // namespace

PreflightReport run_mariadb_preflight(const MovePlan& plan, const db::ConnectOptions& connect,
                                      const std::function<void(const CheckResult&)>& on_check) {
  return MariadbPreflight(plan, connect, on_check).run();
}

}  // namespace cutover::move
