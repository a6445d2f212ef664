// The steps of a move between MariaDB servers: prepare creates each target database with the
// source's tables, views and routines (mariadb-dump), data sets read_only on every source
// server and copies, then builds triggers and events and verifies, finalize gives the target
// the source's grants, abort undoes each of these.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "move/copy_records.h"
#include "move/database_address.h"
#include "move/mariadb_copy.h"
#include "move/mariadb_database_grants.h"
#include "move/mariadb_facts.h"
#include "move/mariadb_tools.h"
#include "move/move_step.h"
#include "move/table_comparison.h"

namespace cutover::move {
namespace {

constexpr int kLockWaitTimeout = 1205;  // ER_LOCK_WAIT_TIMEOUT
// A REVOKE of a grant that is not there: an earlier abort revoked it, or someone did.
constexpr int kNoSuchGrant[] = {1141, 1147, 1403};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The target server, on no database in particular.
std::unique_ptr<db::Connection> target_server(MoveStepRun& run) {
  return db::connect(url_with_database(run.record().plan.target, ""), run.connect());
}
std::unique_ptr<db::Connection> source_server(MoveStepRun& run, const DatabaseMapping& d) {
  return db::connect(url_with_database(d.source, ""), run.connect());
}
std::string server_key(const DatabaseMapping& d) { return database_key(d.source, ""); }

std::string after_data_file(MoveStepRun& run, const std::string& name) {
  return run.folder() + "/" + name + ".after-data.sql";
}

// A database that existed (empty) before the move is emptied by being created again with the
// options it had; grants on it are the server's and survive.
void recreate_database(db::Connection& server, const std::string& name) {
  std::string options = mariadb_database_options(server, name);
  std::string quoted = server.quote_identifier(name);
  server.execute("DROP DATABASE " + quoted);
  server.execute(fmt::format("CREATE DATABASE {} {}", quoted, options));
}

// TIMESTAMPs read in UTC on both sides, whatever each server's time zone.
std::unique_ptr<db::Connection> checksum_session(std::unique_ptr<db::Connection> c) {
  c->execute("SET SESSION time_zone = '+00:00'");
  return c;
}

void prepare_database(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  auto source = source_server(run, d);
  auto server = target_server(run);
  auto fact = run.store().fact(run.id(), "db:" + name);
  if (!fact) {
    bool existed = mariadb_database_exists(*server, name);
    if (existed) {
      if (auto [count, sample] = mariadb_contents(*server, name); count > 0) {
        throw Error(ErrorCode::kBadInput,
                    fmt::format("the target database {} is not empty any more: {} object{} ({})",
                                name, count, count == 1 ? "" : "s", joined(sample)),
                    fmt::format("empty it, or abort this move and create one with another name "
                                "(cutover move abort {})",
                                run.id()));
      }
    }
    // Recorded before CREATE DATABASE: a crash right after it leaves a database abort drops;
    // one that existed gets back its own options.
    fact = nlohmann::json{{"existed", existed}};
    if (existed) (*fact)["options"] = mariadb_database_options(*server, name);
    run.store().set_fact(run.id(), "db:" + name, *fact);
  }
  if (run.store().fact(run.id(), "pre-data:" + name)) return;
  std::string quoted = server->quote_identifier(name);
  if (!mariadb_database_exists(*server, name)) {
    server->execute(fmt::format("CREATE DATABASE {} {}", quoted,
                                mariadb_database_options(*source, d.source_name())));
    run.log("database", fmt::format("created database {} on the target", name),
            {{"database", name}});
  } else if (mariadb_contents(*server, name).first > 0) {
    // A load that a crash or a failure cut short: DDL is not transactional here.
    recreate_database(*server, name);
  } else {
    // It existed, empty: it gets the source's defaults, which new tables and routines take.
    server->execute(fmt::format("ALTER DATABASE {} {}", quoted,
                                mariadb_database_options(*source, d.source_name())));
  }
  std::string file = run.schema_file(name);
  dump_mariadb_schema(mariadb_tool_server(d.source, run.connect()), d.source_name(),
                      SchemaPart::kBeforeData, file);
  load_mariadb_schema(mariadb_tool_server(run.record().plan.target, run.connect()), name, file);
  run.store().set_fact(run.id(), "pre-data:" + name, true);
  run.log("schema",
          fmt::format("{}: tables, views and routines created in {} (triggers and events come "
                      "after the data)",
                      d.source_name(), name),
          {{"database", name}});
}

// Stops writes on every source server: read_only, its value recorded first so that abort sets
// it back as it was, and the time it took effect recorded after (fact read-only:SERVER).
void freeze_by_read_only(MoveStepRun& run) {
  std::map<std::string, const DatabaseMapping*> servers;
  for (const auto& d : run.record().plan.databases) servers[server_key(d)] = &d;
  // What could write through the freeze is refused on every server before the first is frozen.
  for (const auto& [key, d] : servers) {
    if (run.store().fact(run.id(), "read-only:" + key)) continue;
    auto server = source_server(run, *d);
    auto unstoppable = mariadb_unfreezable_accounts(*server, run.record().plan.allow_unfrozen);
    if (!unstoppable.empty()) {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("{}: these accounts can write while read_only is on: {}", key,
                              joined(unstoppable)),
                  "they were given READ_ONLY ADMIN since create: revoke it, or abort and "
                  "create the move again with --allow-unfrozen; nothing was changed");
    }
  }
  for (const auto& [key, d] : servers) {
    if (run.store().fact(run.id(), "read-only:" + key)) continue;
    auto server = source_server(run, *d);
    // An earlier run that died around its SET knew what read_only was before: keep that.
    bool was;
    if (auto pending = run.store().fact(run.id(), "read-only-pending:" + key)) {
      was = pending->at("was").get<bool>();
    } else {
      was = server->query("SELECT @@global.read_only").rows.at(0)[0].as_int() != 0;
      run.store().set_fact(run.id(), "read-only-pending:" + key, {{"was", was}});
    }
    // A write statement under way holds the freeze back: it may take the drain timeout.
    auto seconds = std::max<std::int64_t>(
        1, std::chrono::ceil<std::chrono::seconds>(run.options().drain_timeout).count());
    server->execute(fmt::format("SET SESSION lock_wait_timeout = {}", seconds));
    try {
      server->execute("SET GLOBAL read_only = ON");
    } catch (const Error& e) {
      if (e.vendor_code() != kLockWaitTimeout) throw;
      throw e.restated(
          ErrorCode::kOperationFailed,
          fmt::format("{}: read_only could not be set within {} s: {}", key, seconds, e.message()),
          "a long write statement or a LOCK TABLES holds it back (SHOW "
          "PROCESSLIST); end it, then run cutover move data again");
    }
    std::string at = utc_now();
    run.store().set_fact(run.id(), "read-only:" + key, {{"was", was}, {"at", at}});
    run.store().erase_facts(run.id(), "read-only-pending:" + key);
    run.log("freeze", fmt::format("{}: read_only is ON: application writes are refused", key),
            {{"server", key}});
  }
}

// Refuses, before anything changes, what create would refuse and has appeared since: a table
// cutover cannot copy, a routine or event that writes past read_only.
void check_before_freeze(MoveStepRun& run) {
  for (const auto& d : run.record().plan.databases) {
    if (run.store().fact(run.id(), "frozen:" + d.target_name)) continue;
    auto server = source_server(run, d);
    std::vector<std::string> problems = mariadb_uncopyable_tables(*server, d.source_name());
    if (run.record().plan.freeze == FreezeMode::kReadOnly) {
      for (const auto& w : mariadb_writers_past_read_only(*server, d.source_name())) {
        problems.push_back(w + " writes past read_only");
      }
    }
    if (!problems.empty()) {
      throw Error(ErrorCode::kBadInput, fmt::format("{}: {}", d.source_name(), joined(problems)),
                  "see cutover move create's checks for the fix; nothing was changed");
    }
  }
}

// Every source frozen and the freeze proven: read_only read back on a new session of each
// server (open transactions cannot commit under it, so none is left to drain).
void freeze(MoveStepRun& run) {
  const MovePlan& plan = run.record().plan;
  std::string hook_at;
  if (plan.freeze == FreezeMode::kHook) {
    hook_at = freeze_by_hooks(run);
  } else {
    freeze_by_read_only(run);
  }
  for (const auto& d : plan.databases) {
    if (run.store().fact(run.id(), "frozen:" + d.target_name)) continue;
    std::string at = hook_at, proof;
    if (plan.freeze == FreezeMode::kReadOnly) {
      auto fact = run.store().fact(run.id(), "read-only:" + server_key(d));
      at = fact->at("at").get<std::string>();
      auto server = source_server(run, d);
      if (server->query("SELECT @@global.read_only").rows.at(0)[0].as_int() == 0) {
        throw Error(ErrorCode::kOperationFailed,
                    fmt::format("{}: read_only was set and is OFF again", server_key(d)),
                    "someone turned it off during the move: cutover move abort, then start "
                    "again");
      }
      proof = "@@global.read_only = ON on " + server_key(d);
    }
    run.store().set_fact(run.id(), "frozen:" + d.target_name, {{"at", at}, {"proof", proof}});
    run.log("frozen",
            fmt::format("{}: frozen{}", d.source_name(), proof.empty() ? "" : ", proven: " + proof),
            {{"database", d.source_name()}, {"proof", proof}});
  }
}

void copy_data(MoveStepRun& run, const DatabaseMapping& d) {
  CopyRecords records(run, d);
  std::vector<MariadbTable> tables;
  std::int64_t rows_total = 0;
  for (auto& t : mariadb_tables(*source_server(run, d), d.source_name())) {
    if (records.copied_before(t.name)) continue;
    rows_total += t.estimated_rows;
    tables.push_back(std::move(t));
  }
  records.start(tables.size(), rows_total);
  if (tables.empty()) return;
  MariadbCopyRequest request;
  request.source_url = run.source_url(d);
  request.target_url = run.target_url(d.target_name);
  request.connect = run.connect();
  request.jobs = run.options().jobs;
  if (run.options().split_bytes > 0) request.split_bytes = run.options().split_bytes;
  request.tables = tables;
  request.on_split = [&](const MariadbTable& t, const MariadbKeyRanges& ranges) {
    run.say("split",
            fmt::format("{}: {} copies in {} parts, by ranges of {}", d.source_name(), t.name,
                        ranges.where.size(), ranges.column),
            {{"database", d.source_name()},
             {"table", t.name},
             {"parts", ranges.where.size()},
             {"key", ranges.column}});
  };
  request.on_progress = [&](std::int64_t rows, std::int64_t bytes) {
    records.progress(rows, bytes);
  };
  request.on_table = [&](const CopiedTable& t) { records.copied(t); };
  copy_mariadb_tables(request);
  records.finish();
}

// Triggers and events, then AUTO_INCREMENT counters and sequences as the source has them.
void build_after_data(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  if (!run.store().fact(run.id(), "post-data:" + name)) {
    auto target = run.target(name);
    // An interrupted load is undone first: the dump creates each object once.
    for (const auto& row : target
                               ->query("SELECT trigger_name FROM information_schema.triggers "
                                       "WHERE trigger_schema = database()")
                               .rows) {
      target->execute("DROP TRIGGER IF EXISTS " + target->quote_identifier(row[0].text()));
    }
    for (const auto& row : target
                               ->query("SELECT event_name FROM information_schema.events "
                                       "WHERE event_schema = database()")
                               .rows) {
      target->execute("DROP EVENT IF EXISTS " + target->quote_identifier(row[0].text()));
    }
    // Dumped now, the source frozen: triggers changed since prepare come as they are.
    dump_mariadb_schema(mariadb_tool_server(d.source, run.connect()), d.source_name(),
                        SchemaPart::kAfterData, after_data_file(run, name));
    load_mariadb_schema(mariadb_tool_server(run.record().plan.target, run.connect()), name,
                        after_data_file(run, name));
    run.store().set_fact(run.id(), "post-data:" + name, true);
    run.log("triggers", fmt::format("{}: triggers and events created", name), {{"database", name}});
  }
  set_mariadb_counters(*run.target(name),
                       mariadb_counters(*source_server(run, d), d.source_name()));
}

void verify(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  TableComparisonRequest request;
  for (const auto& t : mariadb_tables(*source_server(run, d), d.source_name())) {
    request.tables.push_back(t.name);
  }
  request.jobs = run.options().jobs;
  request.open_source = [&] { return checksum_session(run.source(d)); };
  request.open_target = [&] { return checksum_session(run.target(name)); };
  request.sum = mariadb_table_sum;
  ProgressReporter progress(run.output(), "verify " + d.source_name(), "tables",
                            static_cast<std::int64_t>(request.tables.size()));
  TableComparison compared = compare_tables(request, progress);
  std::vector<std::string>& differences = compared.differences;
  if (mariadb_counters(*source_server(run, d), d.source_name()) !=
      mariadb_counters(*target_server(run), name)) {
    differences.push_back("the AUTO_INCREMENT counters or sequences differ");
  }
  std::string scratch = run.folder() + "/" + name + ".compare.sql";
  std::string source_schema =
      mariadb_schema_text(mariadb_tool_server(d.source, run.connect()), d.source_name(), scratch);
  std::string target_schema = mariadb_schema_text(
      mariadb_tool_server(run.record().plan.target, run.connect()), name, scratch);
  if (auto difference = schema_difference(source_schema, target_schema); !difference.empty()) {
    differences.push_back(difference);
  }
  record_verification(run, d, name, request.tables.size(), compared,
                      "AUTO_INCREMENT counters, sequences and schema");
}

// "GRANT a, b ON x TO u [WITH GRANT OPTION]" undone.
std::string revoke_of(const std::string& grant) {
  std::string revoke = "REVOKE " + grant.substr(6);
  bool option = revoke.ends_with(" WITH GRANT OPTION");
  if (option) revoke.resize(revoke.size() - std::string(" WITH GRANT OPTION").size());
  auto on = revoke.find(" ON ");
  if (option) revoke.insert(on, ", GRANT OPTION");
  auto to = revoke.rfind(" TO ");
  return revoke.replace(to, 4, " FROM ");
}

}  // namespace

MoveRecord prepare_mariadb_move(MoveStepRun& run) {
  MoveRecord& record = run.record();
  for (const auto& d : record.plan.databases) prepare_database(run, d);
  record = run.store().advance(
      record.id, MoveStep::kCreated, MoveStep::kPrepared,
      fmt::format("prepared: {} database{} created with their tables", record.plan.databases.size(),
                  record.plan.databases.size() == 1 ? "" : "s"));
  return record;
}

MoveRecord copy_mariadb_move_data(MoveStepRun& run) {
  MoveRecord& record = run.record();
  auto started = std::chrono::steady_clock::now();
  check_before_freeze(run);
  freeze(run);
  for (const auto& d : record.plan.databases) {
    if (run.store().fact(run.id(), "verified:" + d.target_name)) continue;
    copy_data(run, d);
    build_after_data(run, d);
    verify(run, d);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  record = run.store().advance(
      record.id, MoveStep::kPrepared, MoveStep::kCopied,
      fmt::format("copied and verified in {:.1f} s; the sources stay frozen", seconds));
  return record;
}

void open_mariadb_targets(MoveStepRun& run) {
  // A source unfrozen since data may have taken writes the target lacks.
  for (const auto& d : run.record().plan.databases) {
    if (run.record().plan.freeze != FreezeMode::kReadOnly) break;
    if (source_server(run, d)->query("SELECT @@global.read_only").rows.at(0)[0].as_int() == 0) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("{}: read_only is OFF since data: the source may have taken writes "
                              "that the target lacks",
                              server_key(d)),
                  fmt::format("cutover move abort {}, then move again (and find who turned "
                              "read_only off)",
                              run.id()));
    }
  }
  auto server = target_server(run);
  for (const auto& d : run.record().plan.databases) {
    const std::string& name = d.target_name;
    if (run.store().fact(run.id(), "opened:" + name)) continue;
    auto wanted = mariadb_database_grants(*source_server(run, d), d.source_name(), name);
    // Only what the target lacks, recorded before the first is given: abort revokes each (one
    // not given being no error) and nothing the target had. A finalize run again gives the
    // same ones: those given before now look like the target's own.
    std::vector<std::string> give;
    if (auto recorded = run.store().fact(run.id(), "granted:" + name)) {
      give = recorded->get<std::vector<std::string>>();
    } else {
      give = grants_to_give(wanted, mariadb_database_grants(*server, name, name));
      run.store().set_fact(run.id(), "granted:" + name, give);
    }
    for (const auto& g : give) server->execute(g);
    run.store().set_fact(run.id(), "opened:" + name, true);
    auto grantees = grantees_of(wanted);
    run.log("opened",
            fmt::format("{} is open to the accounts that could use {}: {}", name, d.source_name(),
                        grantees.empty() ? "none" : joined(grantees)),
            {{"database", name}, {"grantees", grantees}, {"grants_given", give.size()}});
  }
}

std::vector<std::string> mariadb_target_writes(MoveStepRun& run) {
  std::vector<std::string> written;
  for (const auto& d : run.record().plan.databases) {
    auto verified = run.store().fact(run.id(), "verified:" + d.target_name);
    if (!verified) continue;
    auto target = checksum_session(run.target(d.target_name));
    const nlohmann::json& sums = verified->at("sums");
    for (const auto& t : mariadb_tables(*target, d.target_name)) {
      if (sums.contains(t.name)) continue;
      if (!target->query("SELECT 1 FROM " + target->quote_identifier(t.name) + " LIMIT 1")
               .rows.empty()) {
        written.push_back(fmt::format("{}: {} (a table made since data)", d.target_name, t.name));
      }
    }
    ProgressReporter progress(run.output(), "check " + d.target_name + " for writes", "tables",
                              static_cast<std::int64_t>(sums.size()));
    std::int64_t checked = 0;
    for (const auto& [table, sum] : sums.items()) {
      TableSum now = mariadb_table_sum(*target, table);
      TableSum then = TableSum::from_json(sum);
      if (now != then) {
        written.push_back(fmt::format("{}: {} ({} rows when verified, {} now)", d.target_name,
                                      table, then.rows, now.rows));
      }
      progress.update(++checked);
    }
    progress.finish();
  }
  return written;
}

void undo_mariadb_move(MoveStepRun& run) {
  const MovePlan& plan = run.record().plan;
  std::unique_ptr<db::Connection> server;
  auto target = [&]() -> db::Connection& {
    if (!server) {
      server = target_server(run);
      // Databases that reference each other drop in any order.
      server->execute("SET SESSION foreign_key_checks = 0");
    }
    return *server;
  };
  for (const auto& d : plan.databases) {
    auto given = run.store().fact(run.id(), "granted:" + d.target_name);
    if (!given) continue;
    auto left = given->get<std::vector<std::string>>();
    while (!left.empty()) {
      try {
        target().execute(revoke_of(left.back()));
      } catch (const Error& e) {
        if (std::find(std::begin(kNoSuchGrant), std::end(kNoSuchGrant), e.vendor_code()) ==
            std::end(kNoSuchGrant)) {
          throw;
        }
      }
      left.pop_back();
      run.store().set_fact(run.id(), "granted:" + d.target_name, left);
    }
    run.store().erase_facts(run.id(), "granted:" + d.target_name);
    run.log("revoked", fmt::format("{}: the grants finalize gave are revoked", d.target_name),
            {{"database", d.target_name}});
  }
  for (const auto& d : plan.databases) {
    std::string key = server_key(d);
    auto fact = run.store().fact(run.id(), "read-only:" + key);
    if (!fact) fact = run.store().fact(run.id(), "read-only-pending:" + key);
    if (!fact) continue;
    bool was = fact->at("was").get<bool>();
    source_server(run, d)->execute(fmt::format("SET GLOBAL read_only = {}", was ? "ON" : "OFF"));
    run.store().erase_facts(run.id(), "read-only:" + key);
    run.store().erase_facts(run.id(), "read-only-pending:" + key);
    run.log("unfrozen", fmt::format("{}: read_only set back to {}", key, was ? "ON" : "OFF"),
            {{"server", key}});
  }
  unfreeze_by_hooks(run);
  for (const auto& d : plan.databases) {
    const std::string& name = d.target_name;
    auto fact = run.store().fact(run.id(), "db:" + name);
    if (!fact) continue;
    if (fact->at("existed").get<bool>()) {
      // Dropped and created again with its own options (also after a crash in between).
      std::string quoted = target().quote_identifier(name);
      target().execute("DROP DATABASE IF EXISTS " + quoted);
      target().execute(
          fmt::format("CREATE DATABASE {} {}", quoted, fact->value("options", std::string())));
      run.log("target", fmt::format("{}: emptied (it existed, empty, before the move)", name),
              {{"database", name}});
    } else {
      target().execute("DROP DATABASE IF EXISTS " + target().quote_identifier(name));
      run.log("target", fmt::format("{}: dropped from the target", name), {{"database", name}});
    }
    run.store().erase_facts(run.id(), "db:" + name);
    std::error_code ignored;
    std::filesystem::remove(after_data_file(run, name), ignored);
  }
}

void drop_mariadb_source(MoveStepRun& run, const DatabaseMapping& d) {
  auto server = source_server(run, d);
  server->execute("DROP DATABASE IF EXISTS " + server->quote_identifier(d.source_name()));
  run.log("dropped", fmt::format("{}: the source database is dropped", d.source_name()),
          {{"database", d.source_name()}});
}

}  // namespace cutover::move
