// Issue 10, "no state without a way out": every case of tests/cases/change/ is driven into a
// failure before each step of start, complete and rollback in turn (a fault injected through
// ChangeOptions::before_step), and each failure must leave a way out: the same command run
// again finishes, and rollback (where the phase allows it) leaves the schema as it was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "change/change_runner.h"
#include "change/change_spec.h"
#include "core/error.h"
#include "core/output.h"
#include "db/registry.h"
#include "support/change_cases.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using change::ChangePhase;
using change::ChangeRecord;
using change::ChangeRunner;
using change::Step;
using test::Backend;
using test::ChangeCaseParam;

fs::path cases_dir() { return fs::path(CUTOVER_CASES_DIR) / "change"; }

// Every object of the base schema and of the change's version schema, one line each, sorted:
// what rollback must restore exactly and complete must reach the same way after any failure.
// cutover's own schema (its state and lease tables) is left out.
std::string schema_fingerprint(db::Connection& c, Backend backend) {
  std::string sql;
  if (backend == Backend::kSqlite) {
    sql =
        "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE "
        "tbl_name NOT LIKE '\\_cutover%' ESCAPE '\\' ORDER BY 1";
  } else {
    sql = R"(
      WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%'
                  AND nspname NOT IN ('information_schema', 'cutover'))
      SELECT line FROM (
        SELECT 'schema ' || nspname AS line FROM ns
        UNION ALL
        SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
          FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
        UNION ALL
        SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' ||
               format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null'
               ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          JOIN ns n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm')
        UNION ALL
        SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' ||
               pg_get_constraintdef(k.oid) || CASE WHEN convalidated THEN '' ELSE ' not valid' END
          FROM pg_constraint k JOIN ns n ON n.oid = k.connamespace
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(i.indexrelid) ||
               CASE WHEN i.indisvalid THEN '' ELSE ' invalid' END
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns n ON n.oid = c.relnamespace
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns n ON n.oid = c.relnamespace
         WHERE NOT t.tgisinternal
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
          FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
        UNION ALL
        SELECT 'view ' || n.nspname || '.' || c.relname || ' ' || pg_get_viewdef(c.oid)
          FROM pg_class c JOIN ns n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')
      ) lines ORDER BY line)";
  }
  std::string fingerprint;
  for (const auto& row : c.query(sql).rows) fingerprint += row[0].text() + "\n";
  return fingerprint;
}

// Keeps the first kRowsKept rows of every base table no foreign key references: the faults are
// the steps', and a few hundred rows run the same steps as the cases' tens of thousands, whose
// backfill would cost seconds in each of the hundreds of runs.
constexpr int kRowsKept = 300;

void trim_rows(db::Connection& c, Backend backend) {
  const bool sqlite = backend == Backend::kSqlite;
  auto tables = c.query(
      sqlite ? "SELECT name FROM sqlite_master m WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
               "AND NOT EXISTS (SELECT 1 FROM sqlite_master o, "
               "pragma_foreign_key_list(o.name) f WHERE f.\"table\" = m.name)"
             : "SELECT quote_ident(c.relname) FROM pg_class c WHERE c.relnamespace = "
               "'public'::regnamespace AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM "
               "pg_constraint k WHERE k.confrelid = c.oid)");
  const std::string row = sqlite ? "rowid" : "ctid";
  for (const auto& table : tables.rows) {
    const std::string name = table[0].text();
    c.execute("DELETE FROM " + name + " WHERE " + row + " NOT IN (SELECT " + row + " FROM " +
              name + " LIMIT " + std::to_string(kRowsKept) + ")");
  }
}

// The fault: thrown before the step it was armed for, as a failed statement would be.
struct InjectedFault {
  int at = -1;     // the index of the step to fail before, counted in one command; -1: none
  int seen = 0;    // steps seen so far in this command
  std::string step;  // the step it failed before

  change::BeforeStep hook() {
    return [this](const Step& s) {
      if (seen++ != at) return;
      step = s.what;
      throw Error(ErrorCode::kOperationFailed, "injected fault before step \"" + s.what + "\"");
    };
  }
};

class ChangeFaults : public testing::TestWithParam<ChangeCaseParam> {
 protected:
  Backend backend() const { return GetParam().backend; }
  fs::path dir() const { return cases_dir() / GetParam().name; }

  // Works on a new copy of `snapshot` from now on.
  void copy_of(const test::ScratchDatabase& snapshot) {
    scratch_ = std::make_unique<test::ScratchDatabase>(snapshot, backend());
  }

  // A runner whose steps meet `fault` (none by default).
  std::unique_ptr<ChangeRunner> runner(InjectedFault* fault = nullptr) {
    change::ChangeOptions options;
    options.url = scratch_->url();
    if (fault) {
      fault->seen = 0;
      options.before_step = fault->hook();
    }
    return std::make_unique<ChangeRunner>(options, output_);
  }

  std::string fingerprint() {
    auto c = scratch_->connect();
    return schema_fingerprint(*c, backend());
  }

  std::optional<ChangePhase> phase() {
    auto record = runner()->status();
    return record ? std::optional<ChangePhase>(record->phase) : std::nullopt;
  }

  // Runs `command` with a fault before its step `at`; returns false when the command has fewer
  // steps (it then succeeded: the counting is over).
  bool fail_at(int at, const std::function<void(ChangeRunner&)>& command, std::string& where) {
    InjectedFault fault;
    fault.at = at;
    auto r = runner(&fault);
    try {
      command(*r);
    } catch (const Error& e) {
      if (fault.step.empty()) {
        ADD_FAILURE() << "failed without the fault: " << e.message() << " (" << e.hint() << ")";
        return false;
      }
      where = "fault before step " + std::to_string(at) + " \"" + fault.step + "\"";
      EXPECT_NE(e.message().find("injected fault"), std::string::npos) << where << ": " << e.what();
      return true;
    }
    return false;
  }

  void SetUp() override { spec_ = change::parse_change_file(dir() / "change.yaml"); }

  change::ChangeSpec spec_;
  std::ostringstream sink_;
  Output output_{sink_, sink_, false, false};
  std::unique_ptr<test::ScratchDatabase> scratch_;
};

// Reference fingerprints: before start, once started, once completed.
struct Shapes {
  std::string before, started, completed;
};

TEST_P(ChangeFaults, EveryStepCanFailAndTheChangeStillGetsOut) {
  // The case's database before start, and once started: each scenario works on a copy.
  test::ScratchDatabase before(backend());
  test::run_sql_file(before.url(), backend(), test::change_case_setup(dir(), backend()));
  trim_rows(*before.connect(), backend());
  test::ScratchDatabase started(before, backend());
  {
    // `started` becomes the template of the started state: the change is started in place.
    change::ChangeOptions options;
    options.url = started.url();
    ChangeRunner(options, output_).start(spec_);
  }
  Shapes shapes;
  copy_of(before);
  shapes.before = fingerprint();
  copy_of(started);
  shapes.started = fingerprint();
  runner()->complete();
  shapes.completed = fingerprint();
  ASSERT_NE(shapes.before, shapes.started);

  int scenarios = 0;
  const auto start_command = [&](ChangeRunner& r) { r.start(spec_); };
  const auto complete_command = [](ChangeRunner& r) { r.complete(); };
  const auto rollback_command = [](ChangeRunner& r) { r.rollback(); };

  // start fails before step k: start again finishes it; or rollback undoes it all.
  for (int k = 0;; ++k) {
    std::string where;
    copy_of(before);
    if (!fail_at(k, start_command, where)) break;
    ++scenarios;
    ASSERT_TRUE(phase().has_value()) << where;
    ASSERT_NO_THROW(runner()->start(spec_)) << where << ": start again";
    EXPECT_EQ(phase(), ChangePhase::kStarted) << where;
    EXPECT_EQ(fingerprint(), shapes.started) << where << ", then start again";

    copy_of(before);
    ASSERT_TRUE(fail_at(k, start_command, where));
    ASSERT_NO_THROW(runner()->rollback()) << where << ": rollback";
    EXPECT_FALSE(phase().has_value()) << where;
    EXPECT_EQ(fingerprint(), shapes.before) << where << ", then rollback";
  }

  // complete fails before step k: complete again finishes it; or, while nothing of the contract
  // is committed (the change is still started), rollback undoes the change.
  for (int k = 0;; ++k) {
    std::string where;
    copy_of(started);
    if (!fail_at(k, complete_command, where)) break;
    ++scenarios;
    std::optional<ChangePhase> after = phase();
    ASSERT_TRUE(after.has_value()) << where;
    ASSERT_NO_THROW(runner()->complete()) << where << ": complete again";
    EXPECT_FALSE(phase().has_value()) << where;
    EXPECT_EQ(fingerprint(), shapes.completed) << where << ", then complete again";

    copy_of(started);
    ASSERT_TRUE(fail_at(k, complete_command, where));
    if (phase() == ChangePhase::kStarted) {
      ASSERT_NO_THROW(runner()->rollback()) << where << ": rollback";
      EXPECT_FALSE(phase().has_value()) << where;
      EXPECT_EQ(fingerprint(), shapes.before) << where << ", then rollback";
    } else {
      // Past the contract's transaction only the `sql` operations' lone statements are left.
      EXPECT_EQ(phase(), ChangePhase::kCompleting) << where;
      EXPECT_EQ(GetParam().name, "sql") << where << ": only an sql operation finishes forward";
    }
  }

  // rollback fails before step k: rollback again finishes it.
  for (int k = 0;; ++k) {
    std::string where;
    copy_of(started);
    if (!fail_at(k, rollback_command, where)) break;
    ++scenarios;
    EXPECT_EQ(phase(), ChangePhase::kRollingBack) << where;
    ASSERT_NO_THROW(runner()->rollback()) << where << ": rollback again";
    EXPECT_FALSE(phase().has_value()) << where;
    EXPECT_EQ(fingerprint(), shapes.before) << where << ", then rollback again";
  }
  std::cout << "[ measured ] " << GetParam().name << ": " << scenarios
            << " injected faults, each with its ways out\n";
  EXPECT_GT(scenarios, 0);
}

// complete stalls in the middle of its contract transaction (a SIGSTOP, a stalled network):
// the server ends its session once it has been idle for the lock timeout, so the locks the
// contract took are released then, not when the process wakes up. The change stays started.
using ChangeStall = ChangeFaults;

TEST_P(ChangeStall, ACompleteStalledInItsTransactionLetsGoOfItsLocks) {
  test::ScratchDatabase before(backend());
  test::run_sql_file(before.url(), backend(), test::change_case_setup(dir(), backend()));
  scratch_ = std::make_unique<test::ScratchDatabase>(before, backend());
  runner()->start(spec_);

  change::ChangeOptions options;
  options.url = scratch_->url();
  options.retry.lock_timeout = std::chrono::milliseconds(300);
  options.retry.retry_for = std::chrono::milliseconds(0);
  bool application_read = false;
  std::string read_error;
  int seen = 0;
  options.before_step = [&](const Step&) {
    if (seen++ != 1) return;  // the first step has taken its locks
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the stall, not a wait
    auto application = scratch_->connect();
    application->set_timeouts({std::chrono::milliseconds(5000), std::chrono::milliseconds(0)});
    try {
      application->query("SELECT count(*) FROM users");
      application_read = true;
    } catch (const Error& e) {
      read_error = e.message();
    }
  };
  EXPECT_THROW(ChangeRunner(options, output_).complete(), Error);
  EXPECT_TRUE(application_read) << "the application's read waited for the stalled contract: "
                                << read_error;
  EXPECT_EQ(phase(), ChangePhase::kStarted);
  EXPECT_NO_THROW(runner()->complete());
  EXPECT_FALSE(phase().has_value());
}

// MariaDB: a table that the application drops while start builds the new version's database
// gets no view there, and start goes on (the view's step found the table gone). Before, its
// CREATE VIEW failed with 1146 and start stopped.
TEST(MariaDbVersionDatabase, ATableTheApplicationDropsDuringStartGetsNoView) {
  test::ScratchDatabase scratch(Backend::kMariaDb);
  auto application = scratch.connect();
  application->execute("CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(20))");
  application->execute("CREATE TABLE scratchpad (id INT PRIMARY KEY)");
  const std::string name = "drop_" + std::to_string(getpid());
  const fs::path file = fs::temp_directory_path() / (name + ".yaml");
  {
    std::ofstream out(file);
    out << "name: " << name << "\noperations:\n  - add_column:\n      table: users\n"
        << "      column: {name: nick, type: \"varchar(20)\"}\n      up: username\n";
  }
  change::ChangeOptions options;
  options.url = scratch.url();
  options.before_step = [&](const Step& step) {
    if (step.what == "create view " + name + ".scratchpad") {
      application->execute("DROP TABLE IF EXISTS scratchpad");
    }
  };
  std::ostringstream sink;
  Output output{sink, sink, false, false};
  const auto drop_version_database = [&] {
    application->execute("DROP DATABASE IF EXISTS `" + name + "`");
  };
  try {
    ChangeRunner(options, output).start(change::parse_change_file(file));
  } catch (const Error& e) {
    drop_version_database();
    fs::remove(file);
    FAIL() << "start stopped: " << e.message();
  }
  EXPECT_EQ(application
                ->query("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = $1 "
                        "AND TABLE_NAME IN ('users', 'scratchpad')",
                        {name})
                .scalar()
                .as_int(),
            1);
  ChangeRunner(options, output).rollback();
  drop_version_database();
  fs::remove(file);
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeFaults,
                         testing::ValuesIn(test::find_change_cases(cases_dir(), Backend::kPostgres)),
                         test::change_case_test_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ChangeStall,
                         testing::Values(ChangeCaseParam{Backend::kPostgres, "add_column"}),
                         test::change_case_test_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChangeFaults,
                         testing::ValuesIn(test::find_change_cases(cases_dir(), Backend::kSqlite)),
                         test::change_case_test_name);

}  // namespace
}  // namespace cutover
