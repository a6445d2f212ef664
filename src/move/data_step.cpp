// `move data`: the sources frozen, every table copied in parallel, indexes and constraints
// built, sequences and materialized views brought along, and everything verified.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <atomic>
#include <fstream>
#include <mutex>
#include <set>

#include "core/child_process.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "move/copy_records.h"
#include "move/move_step.h"
#include "move/pg_facts.h"
#include "move/pg_tools.h"
#include "move/post_data_reset.h"
#include "move/preflight.h"
#include "move/privilege_freeze.h"
#include "move/proxy_handoff.h"
#include "move/row_checksum.h"
#include "move/table_comparison.h"
#include "move/table_copy.h"
#include "move/table_indexes.h"
#include "move/table_verify.h"
#include "move/target_database.h"
#include "move/write_freeze.h"

namespace cutover::move {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// Refuses, before anything changes, what would fail or be lost once the source is frozen:
// large objects created since create, a role the build after the data names (a policy's,
// default privileges') missing on the target.
void check_before_freeze(MoveStepRun& run, db::Connection& source, const DatabaseMapping& d) {
  if (std::int64_t objects = large_object_count(source); objects > 0) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("{} now holds {} large objects (lo_*), which cutover move does not "
                            "copy",
                            d.source_name(), objects),
                "cutover move abort, then move this database with pg_dump | pg_restore, or "
                "store the objects as bytea columns; nothing was changed");
  }
  std::set<std::string> present;
  for (const auto& row : run.target(d.target_name)->query("SELECT rolname FROM pg_roles").rows) {
    present.insert(row[0].text());
  }
  std::vector<std::string> missing;
  for (const auto& role : roles_the_schema_names(source)) {
    if (!present.contains(role)) missing.push_back(role);
  }
  if (missing.empty()) return;
  throw Error(ErrorCode::kBadInput,
              fmt::format("{}'s grants, policies or default privileges name roles that the "
                          "target lacks: {}",
                          d.source_name(), joined(missing)),
              "create them on the target (CREATE ROLE ...), then run cutover move data again; "
              "nothing was changed");
}

// Refuses, before anything changes, what a freeze of this source cannot cover.
void check_freezable(MoveStepRun& run, db::Connection& source, const DatabaseMapping& d) {
  const MovePlan& plan = run.record().plan;
  if (auto prepared = prepared_transactions(source); !prepared.empty()) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("{} has prepared transactions, which would commit after the copy: {}",
                            d.source_name(), joined(prepared)),
                "COMMIT PREPARED or ROLLBACK PREPARED them, then run cutover move data again; "
                "nothing was changed");
  }
  if (auto why = cannot_drain(source); !why.empty()) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("{}: the write transactions under way at the freeze cannot be drained: "
                            "{}",
                            d.source_name(), why),
                "GRANT pg_read_all_stats, pg_signal_backend TO that user, or connect as a "
                "superuser; nothing was changed");
  }
  if (plan.freeze != FreezeMode::kPrivileges) return;
  auto unstoppable = unfreezable_roles(source, plan.allow_unfrozen);
  if (!unstoppable.empty()) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("a privilege freeze cannot stop these superusers of {}'s server: {}",
                            d.source_name(), joined(unstoppable)),
                fmt::format("make sure no application writes as them during the move, then say "
                            "so when creating it: cutover move create ... --allow-unfrozen {} "
                            "(or --freeze hook); nothing was changed",
                            unstoppable.front()));
  }
}

// Returns when the writes stopped: the REVOKE's commit, as utc_now() writes it.
std::string freeze_by_privileges(MoveStepRun& run, db::Connection& source,
                                 const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  // What the source grants now, with what an earlier run recorded and revoked already (a
  // crash between its REVOKE and the proof): abort grants all of it back. Recorded before
  // the REVOKE, so that whatever happens next, abort knows.
  FreezeRecord record;
  record.grants = read_write_grants(source);
  if (auto saved = run.store().fact(run.id(), "freeze:" + name)) {
    for (const auto& g : FreezeRecord::from_json(saved->at("grants")).grants) {
      if (std::find(record.grants.begin(), record.grants.end(), g) == record.grants.end()) {
        record.grants.push_back(g);
      }
    }
  }
  run.store().set_fact(run.id(), "freeze:" + name, {{"grants", record.to_json()}});
  revoke_writes(source, record);
  std::string revoked_at = utc_now();
  if (auto left = remaining_writers(source); !left.empty()) {
    restore_writes(source, record);
    run.store().erase_facts(run.id(), "freeze:" + name);
    throw Error(ErrorCode::kBadInput,
                fmt::format("{}: after revoking every write privilege, roles may still write "
                            "(a predefined role such as pg_write_all_data, or a grant cutover "
                            "could not revoke): {}",
                            d.source_name(), joined(left)),
                "revoke that membership or grant, then run cutover move data again; the "
                "privileges were restored as they were");
  }
  run.log("freeze",
          fmt::format("{}: writes frozen: {} write privilege{} revoked and recorded",
                      d.source_name(), record.grants.size(), record.grants.size() == 1 ? "" : "s"),
          {{"database", d.source_name()}, {"revoked", record.grants.size()}});
  return revoked_at;
}

void freeze(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  auto source = run.source(d);
  if (auto frozen = run.store().fact(run.id(), "frozen:" + name)) {
    // Resumed: the freeze stands (the privileges are still revoked); check that it does.
    if (run.record().plan.freeze == FreezeMode::kProxy) freeze_through_proxy(run);
    if (run.record().plan.freeze == FreezeMode::kPrivileges) {
      if (auto left = remaining_writers(*source); !left.empty()) {
        throw Error(ErrorCode::kOperationFailed,
                    fmt::format("{} was frozen, and roles may write again: {}", d.source_name(),
                                joined(left)),
                    "someone granted write privileges during the move: cutover move abort, "
                    "then start again");
      }
    }
    return;
  }
  const FreezeMode mode = run.record().plan.freeze;
  const std::string frozen_at = mode == FreezeMode::kPrivileges ? freeze_by_privileges(run, *source, d)
                                : mode == FreezeMode::kProxy    ? freeze_through_proxy(run)
                                                                : freeze_by_hooks(run);
  auto stopped = drain_writes(*source, run.options().drain_timeout);
  if (!stopped.empty()) {
    run.log("drain",
            fmt::format("{}: stopped {} write transaction{} still open after {} ms: {}",
                        d.source_name(), stopped.size(), stopped.size() == 1 ? "" : "s",
                        run.options().drain_timeout.count(), joined(stopped)),
            {{"database", d.source_name()}, {"stopped", stopped}});
  }
  std::string proof;
  if (run.record().plan.freeze == FreezeMode::kPrivileges) {
    auto saved = run.store().fact(run.id(), "freeze:" + name);
    proof = prove_freeze(*source, FreezeRecord::from_json(saved->at("grants")));
  }
  run.store().set_fact(run.id(), "frozen:" + name, {{"at", frozen_at}, {"proof", proof}});
  run.log("frozen",
          fmt::format("{}: frozen{}", d.source_name(), proof.empty() ? "" : ", proven: " + proof),
          {{"database", d.source_name()}, {"proof", proof}});
}

// Undoes what an earlier run's post-data build made before it stopped (the final build, or a
// table's own indexes built after its copy): all of it is dropped and built again.
void undo_interrupted_build(MoveStepRun& run, const std::string& name) {
  if (run.store().fact(run.id(), "post-data:" + name) ||
      !run.store().fact(run.id(), "post-data-started:" + name)) {
    return;
  }
  int dropped = drop_post_data(*run.target(name));
  run.store().erase_facts(run.id(), "indexed:" + name + ":");
  run.log("indexes",
          fmt::format("{}: the interrupted build of indexes, constraints and triggers undone ({} "
                      "objects dropped); building them again",
                      name, dropped),
          {{"database", name}, {"dropped", dropped}});
}

// The schema dump's post-data entries, by the table they belong to.
TableIndexPlan index_plan(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  std::string listing = schema_listing(run.target_tool(name), run.schema_file(name),
                                       run.folder() + "/" + name + ".listing");
  return TableIndexPlan(listing, *run.source(d));
}

// Runs `sql` on the target as `owner` when the move gives one (as pg_restore --role does).
void run_as_owner(db::Connection& target, const std::optional<std::string>& owner,
                  const std::string& sql) {
  if (!owner) {
    target.execute(sql);
    return;
  }
  target.begin();
  try {
    target.execute("SET LOCAL ROLE " + target.quote_identifier(*owner));
    target.execute(sql);
    target.commit();
  } catch (...) {
    target.rollback();
    throw;
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    throw Error(ErrorCode::kOperationFailed, fmt::format("cannot write {}", path),
                "check the free space and permissions of the state store's folder");
  }
}

// Returns the sums of the tables it copied as read back from the target.
std::map<std::string, TableSum> copy_data(MoveStepRun& run, const DatabaseMapping& d,
                                          const TableIndexPlan& plan) {
  const std::string& name = d.target_name;
  CopyRecords records(run, d);
  std::map<std::string, TableSum> read_back;
  std::vector<TableToCopy> tables;
  std::int64_t rows_total = 0;
  for (auto& t : tables_to_copy(*run.source(d))) {
    if (records.copied_before(t.name)) continue;
    rows_total += t.estimated_rows;
    tables.push_back(std::move(t));
  }
  records.start(tables.size(), rows_total);
  if (tables.empty()) return read_back;
  CopyRequest request;
  request.source_url = run.source_url(d);
  request.target_url = run.target_url(d.target_name);
  request.connect = run.connect();
  request.jobs = run.options().jobs;
  if (run.options().split_bytes > 0) request.split_bytes = run.options().split_bytes;
  request.tables = tables;
  request.on_progress = [&](std::int64_t rows, std::int64_t bytes) {
    records.progress(rows, bytes);
  };
  request.on_split = [&](const TableToCopy& t, int parts) {
    run.say(
        "split",
        fmt::format("{}: {} copies in {} parts, by ranges of ctid", d.source_name(), t.name, parts),
        {{"database", d.source_name()}, {"table", t.name}, {"parts", parts}, {"key", "ctid"}});
  };
  std::mutex store;  // the state store's session, shared by the workers' callbacks
  request.on_table = [&](const CopiedTable& t) {
    std::lock_guard lock(store);
    records.copied(t);
    read_back[t.name] = t.target_sum;
  };
  std::atomic<int> lists{0};
  const std::optional<std::string>& owner = run.record().plan.owner;
  request.build_indexes = [&](const std::string& table, db::Connection& target) {
    std::string listing = plan.listing_of(table);
    std::vector<KeyFromIndex> keys = plan.keys_from_index(table);
    if (listing.empty() && keys.empty()) return;
    {
      // Before the build: a run that stops in the middle of it leaves this for the next run,
      // which drops what it made (undo_interrupted_build).
      std::lock_guard lock(store);
      run.store().set_fact(run.id(), "post-data-started:" + name, true);
    }
    for (const auto& key : keys) run_as_owner(target, owner, key.create_index);
    if (listing.empty()) return;
    std::string file = fmt::format("{}/{}.indexes-{}.list", run.folder(), name, ++lists);
    write_file(file, listing);
    restore_schema(run.target_tool(name), run.schema_file(name), "post-data", 0, owner, file);
    std::remove(file.c_str());
  };
  request.after_table = [&](const CopiedTable& t, db::Connection& target) {
    std::vector<KeyFromIndex> keys = plan.keys_from_index(t.name);
    if (plan.listing_of(t.name).empty() && keys.empty()) return;
    // The table's read-back is done: nothing else holds a lock on it for this moment.
    for (const auto& key : keys) run_as_owner(target, owner, key.add_constraint);
    for (const auto& comment : plan.comments_of(t.name)) run_as_owner(target, owner, comment);
    std::lock_guard lock(store);
    run.store().set_fact(run.id(), "indexed:" + name + ":" + t.name, true);
  };
  copy_tables(request);
  records.finish();
  return read_back;
}

// Vacuums the copied tables whose pages are not all visible (those copied in parts, without
// FREEZE; each was analyzed after its copy, so pg_class says): with the visibility map set, a
// foreign key's check reads the referenced key's index only. Without it, the check of one
// foreign key from a partitioned table read the 640 MB table it references once per
// partition, 16 s of the build.
void vacuum_partly_visible(db::Connection& target) {
  auto tables = target.query(fmt::format(
      "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind = 'r' AND c.relpages > 0 AND c.relallvisible < c.relpages AND {}",
      kUserNamespace));
  for (const auto& row : tables.rows) target.execute("VACUUM " + row[0].text());
}

void build_after_data(MoveStepRun& run, const DatabaseMapping& d, const TableIndexPlan& plan) {
  const std::string& name = d.target_name;
  if (!run.store().fact(run.id(), "post-data:" + name)) {
    auto started = std::chrono::steady_clock::now();
    vacuum_partly_visible(*run.target(name));
    std::set<std::string> built;
    const std::string prefix = "indexed:" + name + ":";
    for (const auto& [key, done] : run.store().facts(run.id(), prefix)) {
      built.insert(key.substr(prefix.size()));
    }
    std::string file = run.folder() + "/" + name + ".post-data.list";
    write_file(file, plan.listing_without(built));
    run.store().set_fact(run.id(), "post-data-started:" + name, true);
    restore_schema(run.target_tool(name), run.schema_file(name), "post-data", run.options().jobs,
                   run.record().plan.owner, file);
    std::remove(file.c_str());
    run.store().set_fact(run.id(), "post-data:" + name, true);
    run.log("indexes",
            fmt::format(
                "{}: indexes, constraints and triggers built ({:.1f} s after the copy; the own "
                "indexes of {} table{} built as each copy ended)",
                name,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                built.size(), built.size() == 1 ? "" : "s"),
            {{"database", name}, {"tables_indexed_early", built.size()}});
  }
  auto source = run.source(d);
  auto target = run.target(name);
  set_sequences(*target, sequence_states(*source));
  refresh_materialized_views(*source, *target);
}

// Counts and checksums of every table on the target (read back by the copy, or now) against
// those of the rows the copy read from the source, `jobs` tables at a time.
void verify_tables(MoveStepRun& run, const DatabaseMapping& d,
                   const std::map<std::string, TableSum>& read_back) {
  const std::string& name = d.target_name;
  TableComparisonRequest request;
  std::map<std::string, TableToCopy> tables;
  CopyRecords records(run, d);
  for (auto& t : tables_to_copy(*run.source(d))) {
    request.tables.push_back(t.name);
    // The sum of the rows as the copy read them from the frozen source; a table copied by a
    // cutover that did not record one is read on the source again. The target's, as this
    // run's copy read it back; a table copied by an earlier run is read again.
    if (auto copied = records.source_sum(t.name); copied && is_copy_checksum(*copied)) {
      request.source_sums[t.name] = *copied;
      if (auto back = read_back.find(t.name); back != read_back.end()) {
        request.target_sums[t.name] = back->second;
      }
    }
    tables.emplace(t.name, std::move(t));
  }
  request.jobs = run.options().jobs;
  auto open = [](std::unique_ptr<db::Connection> c) {
    prepare_checksum_session(*c);
    return c;
  };
  request.open_source = [&] { return open(run.source(d)); };
  request.open_target = [&] { return open(run.target(name)); };
  request.sum = [&](db::Connection& database, const std::string& table) {
    return copied_table_sum(database, tables.at(table));
  };
  ProgressReporter progress(run.output(), "verify " + d.source_name(), "tables",
                            static_cast<std::int64_t>(request.tables.size()));
  TableComparison compared = compare_tables(request, progress);
  std::vector<std::string>& differences = compared.differences;

  auto source = run.source(d);
  auto target = run.target(name);
  auto source_sequences = sequence_states(*source);
  auto target_sequences = sequence_states(*target);
  if (source_sequences != target_sequences) {
    differences.push_back("the sequences' values differ");
  }
  // No privilege stops lo_create: one made during the freeze would be left behind.
  if (std::int64_t objects = large_object_count(*source); objects > 0) {
    differences.push_back(fmt::format("the source holds {} large objects, not copied", objects));
  }
  std::string scratch = run.folder() + "/" + name + ".compare.sql";
  std::string source_schema = schema_text(run.source_tool(d), scratch);
  std::string target_schema = schema_text(run.target_tool(name), scratch);
  std::remove(scratch.c_str());
  if (auto difference = schema_difference(source_schema, target_schema); !difference.empty()) {
    differences.push_back(difference);
  }
  record_verification(run, d, name, request.tables.size(), compared, "sequences and schema");
}

}  // namespace

MoveRecord copy_move_data(MoveStepRun& run) {
  MoveRecord& record = run.record();
  require_step(record, MoveStep::kPrepared, "data runs after prepare");
  if (run.record().plan.engine() == Scheme::kMariaDb) return copy_mariadb_move_data(run);
  if (run.record().plan.engine() == Scheme::kSqlite) return copy_sqlite_move_data(run);
  auto started = std::chrono::steady_clock::now();
  // Every source is frozen before the first table is copied: the move is one window. What
  // would refuse one of them is checked for all before the first freeze.
  for (const auto& d : record.plan.databases) {
    if (run.store().fact(run.id(), "frozen:" + d.target_name)) continue;
    auto source = run.source(d);
    check_before_freeze(run, *source, d);
    check_freezable(run, *source, d);
  }
  remember_proxy_backend(run);
  for (const auto& d : record.plan.databases) freeze(run, d);
  for (const auto& d : record.plan.databases) {
    if (run.store().fact(run.id(), "verified:" + d.target_name)) continue;
    if (int ended =
            end_orphaned_sessions(*run.target(d.target_name), run.connect().application_name)) {
      run.log("orphans",
              fmt::format("{}: {} session{} that an interrupted run left on the target ended",
                          d.target_name, ended, ended == 1 ? "" : "s"),
              {{"database", d.target_name}, {"sessions", ended}});
    }
    undo_interrupted_build(run, d.target_name);
    const TableIndexPlan plan = index_plan(run, d);
    auto read_back = copy_data(run, d, plan);
    build_after_data(run, d, plan);
    verify_tables(run, d, read_back);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  record = run.store().advance(
      record.id, MoveStep::kPrepared, MoveStep::kCopied,
      fmt::format("copied and verified in {:.1f} s; the sources stay frozen", seconds));
  return record;
}

}  // namespace cutover::move
