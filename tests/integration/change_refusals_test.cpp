// `cutover change start` on a rental shop schema (tests/cases/change_refusals): what would fail
// later is refused before anything changes, naming why; what PostgreSQL allows is accepted.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "db/connection.h"
#include "db/server_info.h"
#include "db/statement.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover::test {
// gtest prints the parameter by name in its messages.
static void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }
}  // namespace cutover::test

namespace cutover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Backend;
using test::describe;
using test::error_event;
using test::events_named;
using test::json_events;
using test::ProcessResult;
using test::ScratchDatabase;

const fs::path kCases = fs::path(CUTOVER_CASES_DIR) / "change_refusals";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `cutover [--json] change ARGS...`
ProcessResult run_change(const std::vector<std::string>& args, bool json_output = false) {
  std::vector<std::string> argv = {CUTOVER_BINARY};
  if (json_output) argv.push_back("--json");
  argv.push_back("change");
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_process(argv, {}, std::chrono::seconds(300));
}


// Runs an SQL file of the cases folder, split as migrate splits PostgreSQL scripts (so that
// BEGIN ATOMIC and dollar-quoted bodies stay whole).
void run_sql_file(db::Connection& c, const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream script;
  script << in.rdbuf();
  for (const auto& statement : db::split_statements(db::Flavor::kPostgres, script.str())) {
    c.execute(statement.text);
  }
}

// The lines of `after` that `before` lacks (+) and those of `before` that `after` lacks (-), for a
// readable failure message.
std::string changed_lines(const std::string& before, const std::string& after) {
  auto lines_of = [](const std::string& text) {
    std::multiset<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.insert(line);
    return lines;
  };
  const auto old_lines = lines_of(before);
  const auto new_lines = lines_of(after);
  std::vector<std::string> gone, added;
  std::set_difference(old_lines.begin(), old_lines.end(), new_lines.begin(), new_lines.end(),
                      std::back_inserter(gone));
  std::set_difference(new_lines.begin(), new_lines.end(), old_lines.begin(), old_lines.end(),
                      std::back_inserter(added));
  std::string out;
  for (const auto& line : gone) out += "- " + line + "\n";
  for (const auto& line : added) out += "+ " + line + "\n";
  return out.empty() ? "the same lines in another order\n" : out;
}

class ChangeRefusals : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto c = scratch_.connect();
    run_sql_file(*c, kCases / "setup.sql");
    before_ = schema_dump();
  }

  const std::string& url() const { return scratch_.url(); }

  std::vector<std::string> start(const std::string& file) const {
    return {"start", url(), (kCases / file).string()};
  }

  // `start FILE`, then `complete`: each exits 0.
  void start_and_complete(const std::string& file) {
    ProcessResult started = run_change(start(file));
    ASSERT_EQ(started.exit_code, 0) << describe(started);
    ProcessResult completed = run_change({"complete", url()});
    ASSERT_EQ(completed.exit_code, 0) << describe(completed);
  }

  // `pg_dump --schema-only -n public` without its \restrict lines (a random key per run).
  std::string schema_dump() {
    ProcessResult r = test::run_process(
        {test::find_program("pg_dump"), "--schema-only", "--no-owner", "-n", "public", "-d", url()});
    EXPECT_EQ(r.exit_code, 0) << "pg_dump: " << describe(r);
    std::istringstream lines(r.out);
    std::string dump, line;
    while (std::getline(lines, line)) {
      if (line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) continue;
      dump += line + "\n";
    }
    EXPECT_TRUE(contains(dump, "CREATE TABLE public.staff")) << "pg_dump shows no staff:\n" << dump;
    return dump;
  }

  // `start FILE` is refused with exit 2 for people and with --json, each time saying every one
  // of `parts`, and each time with nothing changed (see expect_nothing_changed).
  void expect_start_refused(const std::string& file, const std::string& change,
                            const std::vector<std::string>& parts) {
    ProcessResult human = run_change(start(file));
    EXPECT_EQ(human.exit_code, 2) << describe(human);
    EXPECT_TRUE(contains(human.err, "error: ")) << describe(human);
    for (const auto& part : parts) {
      EXPECT_TRUE(contains(human.err, part)) << "stderr names '" << part << "':\n" << human.err;
    }
    expect_nothing_changed(change);

    ProcessResult machine = run_change(start(file), true);
    EXPECT_EQ(machine.exit_code, 2) << describe(machine);
    json error = error_event(machine);
    EXPECT_EQ(error.value("exit_code", -1), 2) << error;
    std::string message = error.value("message", "");
    for (const auto& part : parts) {
      EXPECT_TRUE(contains(message, part)) << "the error names '" << part << "': " << message;
    }
    expect_nothing_changed(change);
  }

  // The base schema is as it was; no schema is named after the change or `cutover`; no table
  // has a dropped column (a shadow column added and dropped again leaves one behind).
  void expect_nothing_changed(const std::string& change) {
    const std::string after = schema_dump();
    EXPECT_TRUE(after == before_) << "the schema changed:\n" << changed_lines(before_, after);
    auto c = scratch_.connect();
    auto schemas = c->query(
        "SELECT string_agg(nspname, ', ' ORDER BY nspname) FROM pg_namespace WHERE nspname IN "
        "('cutover', $1)",
        {change});
    EXPECT_TRUE(schemas.scalar().is_null())
        << "a refused start leaves no schema behind, found: " << schemas.scalar().text();
    auto dropped = c->query(
        "SELECT string_agg(a.attrelid::regclass::text, ', ') FROM pg_attribute a JOIN pg_class t "
        "ON t.oid = a.attrelid WHERE t.relnamespace = 'public'::regnamespace AND a.attisdropped");
    EXPECT_TRUE(dropped.scalar().is_null())
        << "a column was added and dropped again on: " << dropped.scalar().text();
  }

  ScratchDatabase scratch_{GetParam()};
  std::string before_;
};

// Issue 10, item 1: dependents are found in the catalog, each named as PostgreSQL names it.
TEST_P(ChangeRefusals, DroppingAColumnUsedByAMatviewAFunctionBodyAndATriggerNamesEachOfThem) {
  expect_start_refused(
      "drop_password.yaml", "drop_password",
      {"staff.password", "materialized view staff_logins", "function staff_password_is_set(",
       "trigger staff_password_changed on table staff"});
}

// Without the materialized view (whose text names the column) the text search finds nothing,
// start succeeds, and complete fails with the change stuck in `completing`.
TEST_P(ChangeRefusals, DroppingAColumnUsedOnlyByAFunctionBodyAndATriggerIsRefusedAtStart) {
  scratch_.connect()->execute("DROP MATERIALIZED VIEW staff_logins");
  before_ = schema_dump();
  expect_start_refused("drop_password.yaml", "drop_password",
                       {"staff.password", "function staff_password_is_set(",
                        "trigger staff_password_changed on table staff"});
}

TEST_P(ChangeRefusals, DroppingAColumnUsedByPlainViewsNamesEachView) {
  expect_start_refused("drop_first_name.yaml", "drop_first_name",
                       {"staff.first_name", "view staff_list", "view staff_names"});
}

// staff_list's text names staff.staff_id and the table rental, but PostgreSQL records no
// dependency of it on rental.staff_id: the column drops fine, its foreign key with it.
TEST_P(ChangeRefusals, DroppingAColumnThatAViewOnlySeemsToMentionIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(start_and_complete("drop_rental_staff.yaml"));
  auto c = scratch_.connect();
  EXPECT_EQ(c->query("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                     "'public' AND table_name = 'rental' AND column_name = 'staff_id'")
                .scalar()
                .as_int(),
            0);
  EXPECT_EQ(c->query("SELECT count(*) FROM rental").scalar().as_int(), 4000);
  EXPECT_EQ(c->query("SELECT count(*) FROM staff_list").scalar().as_int(), 2);
}

// `up` runs with the row named NEW (in the trigger and in the backfill's UPDATE alike): the
// table's own name is refused before anything changes, not by the backfill's first batch.
TEST_P(ChangeRefusals, AnUpNamingItsTableInsteadOfTheRowIsRefused) {
  expect_start_refused("up_naming_its_table.yaml", "up_naming_its_table",
                       {"invalid reference to FROM-clause entry for table \"film\"",
                        "operation 1 (add_column"});
}

// NEW.<column> in a subquery means the row's column, in the backfill and in the trigger.
TEST_P(ChangeRefusals, AnUpWithNewInASubqueryFillsEveryRowWithItsOwnValue) {
  ProcessResult started = run_change(start("up_with_new_in_a_subquery.yaml"));
  ASSERT_EQ(started.exit_code, 0) << describe(started);
  auto c = scratch_.connect();
  const char* wrong =
      "SELECT count(*) FROM film f WHERE f._cutover_rentals IS DISTINCT FROM (SELECT count(*) "
      "FROM rental r WHERE r.film_id = f.film_id)";
  EXPECT_EQ(c->query(wrong).scalar().as_int(), 0) << "after the backfill";
  EXPECT_EQ(c->query("SELECT max(_cutover_rentals) FROM film").scalar().as_int(), 40)
      << "each film's own rentals, not all 4,000";
  // The old version's writes go through the trigger with the same expression.
  c->execute("UPDATE rental SET film_id = (SELECT min(film_id) FROM film) WHERE rental_id <= 10");
  c->execute("UPDATE film SET title = title");
  EXPECT_EQ(c->query(wrong).scalar().as_int(), 0) << "after old-version writes";
  ProcessResult rolled_back = run_change({"rollback", url()});
  EXPECT_EQ(rolled_back.exit_code, 0) << describe(rolled_back);
}

// Two operations on one column are refused before anything changes (the rename and the type
// change each ran, and complete left both film.minutes and a film.length of the new type).
TEST_P(ChangeRefusals, TwoOperationsOnOneColumnAreRefused) {
  expect_start_refused("rename_and_alter_one_column.yaml", "rename_and_alter_one_column",
                       {"operation 1 (rename_column, line 4) and operation 2 (alter_column, "
                        "line 5) both change column film.length"});
}

// Issue 10, item 2: a partition's columns are its parent's.
TEST_P(ChangeRefusals, RenamingAColumnOfAPartitionIsRefused) {
  expect_start_refused("rename_on_partition.yaml", "rename_on_partition",
                       {"payment_p2022_01 is a partition of payment"});
}

TEST_P(ChangeRefusals, AddingAColumnToAPartitionIsRefused) {
  expect_start_refused("add_column_on_partition.yaml", "add_column_on_partition",
                       {"payment_p2022_01 is a partition of payment"});
}

// PostgreSQL's copies of a partitioned table's constraints (on its partitions, and on a table
// whose foreign key references it) go only with their original: the change started, then
// failed at complete ("cannot drop inherited constraint"), or its hint said to drop a copy.
TEST_P(ChangeRefusals, ACopyOfAPartitionedTablesConstraintIsRefusedNamingTheOriginal) {
  auto c = scratch_.connect();
  c->execute(
      "CREATE TABLE refund (refund_id integer PRIMARY KEY, payment_id integer NOT NULL, "
      "payment_date date NOT NULL, CONSTRAINT refund_payment_fk FOREIGN KEY (payment_id, "
      "payment_date) REFERENCES payment)");
  c->execute("ALTER TABLE payment ADD CONSTRAINT payment_amount_nonnegative CHECK (amount >= 0)");
  c->execute(
      "CREATE TABLE payment_p2022_06 PARTITION OF payment FOR VALUES FROM ('2022-06-01') TO "
      "('2022-07-01') PARTITION BY RANGE (payment_date)");
  c->execute(
      "CREATE TABLE payment_p2022_06a PARTITION OF payment_p2022_06 FOR VALUES FROM "
      "('2022-06-01') TO ('2022-06-16')");
  // Plain inheritance: a check both the table's own and inherited (conislocal and coninhcount).
  c->execute("CREATE TABLE ledger_base (n int, CONSTRAINT ledger_rule CHECK (n > 0))");
  c->execute("CREATE TABLE ledger_archive (n int, CONSTRAINT ledger_rule CHECK (n > 0))");
  c->execute("ALTER TABLE ledger_archive INHERIT ledger_base");
  c->execute("CREATE INDEX payment_amount_idx ON payment (amount)");
  before_ = schema_dump();
  expect_start_refused("drop_fk_copy.yaml", "drop_fk_copy",
                       {"refund_payment_id_payment_date_fkey1 of refund is PostgreSQL's copy of "
                        "constraint refund_payment_fk of refund"});
  expect_start_refused("drop_check_copy.yaml", "drop_check_copy",
                       {"copy of constraint payment_amount_nonnegative of payment"});
  expect_start_refused("drop_referenced_partition.yaml", "drop_referenced_partition",
                       {"payment_p2022_01 is a partition of payment, which foreign key "
                        "refund_payment_fk of table refund references"});
  expect_start_refused("drop_subpartition.yaml", "drop_subpartition",
                       {"payment_p2022_06a is a partition of payment, which foreign key "
                        "refund_payment_fk of table refund references"});
  expect_start_refused("drop_inherited_check.yaml", "drop_inherited_check",
                       {"copy of constraint ledger_rule of ledger_base"});
  expect_start_refused("drop_partition_index.yaml", "drop_partition_index",
                       {"index payment_p2022_01_amount_idx of payment_p2022_01 is attached to "
                        "index payment_amount_idx of payment"});
  // The hints name what PostgreSQL accepts.
  const auto hint = [&](const std::string& file) {
    ProcessResult r = run_change(start(file));
    return r.err.substr(std::min(r.err.find("hint: "), r.err.size()));
  };
  EXPECT_TRUE(contains(hint("drop_fk_copy.yaml"),
                       "drop_constraint: {table: refund, name: refund_payment_fk}"));
  EXPECT_TRUE(contains(hint("drop_check_copy.yaml"),
                       "drop_constraint: {table: payment, name: payment_amount_nonnegative}"));
  const std::string detach = hint("drop_referenced_partition.yaml");
  EXPECT_TRUE(contains(detach, "ALTER TABLE payment DETACH PARTITION payment_p2022_01")) << detach;
  EXPECT_TRUE(contains(detach, "drop_constraint: {table: refund, name: refund_payment_fk}"))
      << detach;
  EXPECT_TRUE(
      contains(hint("drop_partition_index.yaml"), "drop_index: {name: payment_amount_idx}"));
}

TEST_P(ChangeRefusals, ATableReferencedFromAnotherSchemaIsRefusedNamingTheForeignKey) {
  auto c = scratch_.connect();
  c->execute("CREATE TABLE note (id int PRIMARY KEY)");
  c->execute("CREATE SCHEMA archive");
  c->execute("CREATE TABLE archive.note_ref (id int PRIMARY KEY, note int REFERENCES public.note)");
  before_ = schema_dump();
  expect_start_refused(
      "drop_referenced_elsewhere.yaml", "drop_referenced_elsewhere",
      {"foreign key note_ref_note_fkey of table archive.note_ref references note"});
}

// Issue 10, item 4.
TEST_P(ChangeRefusals, AnIndexOnAPartitionedTableIsRefused) {
  expect_start_refused("index_on_partitioned.yaml", "index_on_partitioned",
                       {"payment is a partitioned table"});
}

TEST_P(ChangeRefusals, AForeignKeyOnAPartitionedTableIsRefusedBeforeTheCheckBeforeItIsAdded) {
  expect_start_refused("check_then_fk_on_partitioned.yaml", "check_then_fk_on_partitioned",
                       {"payment is a partitioned table"});
  EXPECT_EQ(scratch_.connect()
                ->query("SELECT count(*) FROM pg_constraint WHERE conname = 'payment_amount_check'")
                .scalar()
                .as_int(),
            0);
}

// Issue 10, item 5: types and expressions go through the server's parser before the first step.
TEST_P(ChangeRefusals, AMisspeltTypeIsRefusedNamingTheTypeAndTheOperation) {
  expect_start_refused("misspelt_type.yaml", "misspelt_type",
                       {"type \"varchr\" does not exist", "operation 1 (add_column"});
}

TEST_P(ChangeRefusals, ACheckNamingAMissingColumnIsRefusedNamingTheColumn) {
  expect_start_refused("check_on_missing_column.yaml", "check_on_missing_column",
                       {"column \"nope\" does not exist"});
}

// What PostgreSQL finds only when it runs the DDL, found on a temporary copy of the table in
// a transaction rolled back (each started, then failed at its step with exit 1 in `starting`).
TEST_P(ChangeRefusals, WhatOnlyTheDdlWouldRefuseIsRefusedBeforeAnyStep) {
  expect_start_refused("check_with_subquery.yaml", "check_with_subquery",
                       {"cannot use subquery in check constraint", "operation 1 (add_constraint"});
  expect_start_refused("column_check_with_subquery.yaml", "column_check_with_subquery",
                       {"cannot use subquery in check constraint", "operation 1 (add_column"});
  expect_start_refused("index_where_not_immutable.yaml", "index_where_not_immutable",
                       {"functions in index predicate must be marked IMMUTABLE"});
  expect_start_refused("index_unknown_method.yaml", "index_unknown_method",
                       {"access method \"hsh\" does not exist"});
}

// What would make ADD COLUMN rewrite the table (a volatile default, a serial type) without
// `up`: the step used to time out at every attempt, blaming another session's lock.
TEST_P(ChangeRefusals, AColumnThatWouldRewriteTheTableIsRefusedBeforeAnyStep) {
  expect_start_refused("volatile_default_without_up.yaml", "volatile_default_without_up",
                       {"operation 1 (add_column, line 5): column token uuid DEFAULT "
                        "gen_random_uuid() would make PostgreSQL rewrite the whole table"});
  expect_start_refused("serial_without_up.yaml", "serial_without_up",
                       {"column seq bigserial would make PostgreSQL rewrite the whole table"});
  ProcessResult r = run_change(start("volatile_default_without_up.yaml"));
  EXPECT_TRUE(contains(r.err, "hint: give the expression as `up`")) << r.err;

  // Defaults stored once are accepted; so is a sequence's next value given as `up`.
  scratch_.connect()->execute("CREATE SEQUENCE film_serial_no");
  for (const char* file : {"defaults_without_rewrite.yaml", "nextval_with_up.yaml"}) {
    ProcessResult accepted = run_change(start(file));
    EXPECT_EQ(accepted.exit_code, 0) << file << ": " << describe(accepted);
    ProcessResult rolled_back = run_change({"rollback", url()});
    EXPECT_EQ(rolled_back.exit_code, 0) << file << ": " << describe(rolled_back);
  }
}

// A statement of an `sql` operation that PostgreSQL's parser refuses, named with its line.
TEST_P(ChangeRefusals, AnSqlStatementThatDoesNotParseIsRefusedBeforeAnyStep) {
  expect_start_refused("sql_syntax_error.yaml", "sql_syntax_error",
                       {"operation 1 (sql, line 5): up, statement 2 (line 2 of up): syntax "
                        "error at or near \"CRATE\""});
}

// A user who may not create temporary tables: the checks on a temporary copy of the table
// cannot run, and start says so (it used to skip them in silence), names the operations and
// the GRANT that brings them back, and goes on.
TEST_P(ChangeRefusals, AUserWhoMayNotCreateTemporaryTablesIsToldTheChecksWereNotTried) {
  const std::string role = "no_temp_" + std::to_string(getpid());
  auto admin = scratch_.connect();
  const std::string database = admin->quote_identifier(scratch_.name());
  admin->execute("CREATE ROLE " + role + " LOGIN PASSWORD 'No-Temp-Pw1'");
  admin->execute("ALTER DATABASE " + database + " OWNER TO " + role);
  admin->execute("ALTER SCHEMA public OWNER TO " + role);
  admin->execute("ALTER TABLE film OWNER TO " + role);
  admin->execute("REVOKE TEMPORARY ON DATABASE " + database + " FROM PUBLIC, " + role);
  const fs::path password_file = fs::temp_directory_path() / (role + ".pgpass");
  {
    std::ofstream out(password_file);
    out << "*:*:*:" << role << ":No-Temp-Pw1\n";
  }
  fs::permissions(password_file, fs::perms::owner_read | fs::perms::owner_write);
  const std::string role_url = "postgres://" + role + url().substr(url().find('@'));

  ProcessResult started =
      run_change({"start", role_url, (kCases / "defaults_without_rewrite.yaml").string(),
                  "--password-file", password_file.string()});
  EXPECT_EQ(started.exit_code, 0) << describe(started);
  EXPECT_TRUE(contains(started.err,
                       role + " may not create temporary tables in database " + scratch_.name()))
      << started.err;
  EXPECT_TRUE(contains(started.err,
                       "operation 1 (add_column, line 6), operation 2 (add_column, "
                       "line 9), operation 3 (add_column, line 12), operation 4 "
                       "(add_column, line 15) were not tried"))
      << started.err;
  EXPECT_TRUE(
      contains(started.err, "GRANT TEMPORARY ON DATABASE " + scratch_.name() + " TO " + role))
      << started.err;
  ProcessResult rolled_back =
      run_change({"rollback", role_url, "--password-file", password_file.string()});
  EXPECT_EQ(rolled_back.exit_code, 0) << describe(rolled_back);

  fs::remove(password_file);
  admin->execute("REASSIGN OWNED BY " + role + " TO CURRENT_USER");
  admin->execute("DROP OWNED BY " + role);
  admin->execute("DROP ROLE " + role);
}

// Today the shadow column is added, then dropped again when the backfill finds the key.
TEST_P(ChangeRefusals, ABackfillOfATableWithACompositeKeyIsRefusedBeforeAnyStep) {
  expect_start_refused("backfill_composite_key.yaml", "backfill_composite_key",
                       {"needs a primary key of one column"});
}

std::string backend_param_name(const testing::TestParamInfo<Backend>& param) {
  return test::backend_name(param.param);
}

// Issue 10, item 6: ALTER TABLE payment locks the parent and then each partition in turn. Here
// three sessions hold three partitions; each is let go 1.2 s after the ALTER starts waiting for
// it, under the 2 s lock timeout each time. The step is bounded as a whole, so it gives up
// once the waits add up to 2 s (the application's queries queued behind it no longer than
// that) and succeeds on a later attempt once the partitions are free. Bounded per lock wait
// only, it would hold the parent's lock through all three waits and never be retried.
TEST_P(ChangeRefusals, AStepWaitingForPartitionsOneAfterTheOtherIsBoundedAsAWhole) {
  const std::vector<std::string> held = {"payment_p2022_02", "payment_p2022_03",
                                         "payment_p2022_04"};
  std::vector<std::unique_ptr<db::Connection>> holders;
  for (const auto& partition : held) {
    holders.push_back(scratch_.connect());
    holders.back()->begin();
    holders.back()->query("SELECT count(*) FROM " + partition);
  }
  test::SpawnedProcess start_process(
      {CUTOVER_BINARY, "--json", "change", "start", url(),
       (kCases / "add_note_to_payment.yaml").string(), "--lock-timeout", "2s", "--retry-for",
       "2m"});
  auto observer = scratch_.connect();
  // The partition cutover's ALTER waits for, if any.
  const auto waited_for = [&]() -> std::string {
    auto r = observer->query(
        "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN "
        "pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = $1 AND "
        "a.query LIKE 'ALTER TABLE%'",
        {scratch_.name()});
    return r.empty() ? "" : r.rows[0][0].text();
  };
  const auto retried = [&] {
    return !events_named(json_events(start_process.output_so_far()), "retry").empty();
  };
  for (std::size_t i = 0; i < held.size(); ++i) {
    test::poll_until("the ALTER waits for " + held[i] + " or was retried", [&] {
      test::require_running(start_process, "change start");
      return waited_for() == held[i] || retried();
    });
    if (retried()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the hold, not a wait
    holders[i]->rollback();
  }
  for (auto& holder : holders) {
    if (holder->in_transaction()) holder->rollback();
  }
  ProcessResult r = start_process.wait(std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto retries = events_named(json_events(r.out), "retry");
  ASSERT_FALSE(retries.empty()) << "the step was never cut short: " << describe(r);
  EXPECT_TRUE(contains(retries[0].value("message", ""), "not done within the lock timeout"))
      << retries[0];
  EXPECT_EQ(observer
                ->query("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                        "'payment_p2022_05' AND column_name = '_cutover_note'")
                .scalar()
                .as_int(),
            1)
      << "the column reached every partition";
}

// A partitioned table's columns change under its partitions too: each partition's view in the
// version schema shows the new shape, a write through it is the new version's, and complete
// drops the old columns. (The partitions' views showed the old shape: a write there was undone
// by the sync trigger, and they held the old columns, so complete failed every time.)
TEST_P(ChangeRefusals, APartitionedTablesChangeCompletesWithItsPartitionsViewsInTheNewShape) {
  auto c = scratch_.connect();
  c->execute(
      "CREATE TABLE ledger (id integer PRIMARY KEY, amount numeric(5,2) NOT NULL, memo text) "
      "PARTITION BY RANGE (id)");
  c->execute("CREATE TABLE ledger_low PARTITION OF ledger FOR VALUES FROM (0) TO (100)");
  c->execute("CREATE TABLE ledger_high PARTITION OF ledger FOR VALUES FROM (100) TO (200)");
  c->execute("INSERT INTO ledger SELECT i, i % 50, 'memo' FROM generate_series(1, 150) AS i");
  ProcessResult started = run_change(start("widen_ledger_amount.yaml"));
  ASSERT_EQ(started.exit_code, 0) << describe(started);
  const auto columns = [&](const std::string& schema) {
    return c
        ->query(
            "SELECT string_agg(column_name || ' ' || coalesce(numeric_precision::text, '-'), ', ' "
            "ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = $1 "
            "AND table_name = 'ledger_low'",
            {schema})
        .scalar()
        .text();
  };
  EXPECT_EQ(columns("widen_ledger_amount"), "id 32, amount 7");

  auto new_version = scratch_.connect();
  new_version->execute("SET search_path = widen_ledger_amount, public");
  new_version->execute("SET cutover.version = 'widen_ledger_amount'");
  new_version->execute("UPDATE ledger_low SET amount = 12.34 WHERE id = 7");
  const auto amount = [&] {
    return c->query("SELECT amount::text FROM ledger WHERE id = 7").scalar().text();
  };
  EXPECT_EQ(amount(), "12.34") << "the old version sees the new version's write";

  ProcessResult completed = run_change({"complete", url()});
  ASSERT_EQ(completed.exit_code, 0) << describe(completed);
  EXPECT_EQ(columns("public"), "id 32, amount 7");
  EXPECT_EQ(amount(), "12.34");
}

// Operations name tables as they were before the change, also after a rename_table of the same
// table listed first: complete renames it last (renamed first, complete failed every time on
// "relation public.actor does not exist").
TEST_P(ChangeRefusals, ATableRenamedAndChangedInOneChangeCompletes) {
  ASSERT_NO_FATAL_FAILURE(start_and_complete("rename_actor_then_add.yaml"));
  auto c = scratch_.connect();
  EXPECT_EQ(
      c->query("SELECT count(*) FROM performer WHERE nickname = first_name").scalar().as_int(), 40);
  EXPECT_TRUE(c->query("SELECT to_regclass('public.actor')").scalar().is_null());
}

// The statement of a change killed with -9 ends on the server soon after (it went on to its
// end, holding its locks: a backfill batch's rows, here a minute's sleep), and rollback gets out.
TEST_P(ChangeRefusals, TheStatementOfAKilledChangeEndsOnTheServer) {
  auto observer = scratch_.connect();
  const auto sleeping = [&] {
    return observer
        ->query(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND "
            "state = 'active' AND datname = current_database()")
        .scalar()
        .as_int();
  };
  test::SpawnedProcess start_process({CUTOVER_BINARY, "--json", "change", "start", url(),
                                      (kCases / "sleep_in_sql.yaml").string()});
  test::poll_until("start's statement sleeps on the server", [&] {
    test::require_running(start_process, "change start");
    return sleeping() == 1;
  });
  start_process.kill(SIGKILL);
  ProcessResult killed = start_process.wait(std::chrono::seconds(30));
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << describe(killed);
  // Not a timing bound: without the check the statement sleeps on for the rest of its minute.
  test::poll_until(
      "the killed change's statement has ended", [&] { return sleeping() == 0; },
      std::chrono::seconds(30));
  ProcessResult rollback = run_change({"rollback", url()});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeRefusals, testing::Values(Backend::kPostgres),
                         backend_param_name);

}  // namespace
}  // namespace cutover
