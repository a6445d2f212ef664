// `cutover move prepare / data / finalize / abort / cleanup` as a user runs them: the real
// binary moves a realistic database (a partitioned table, enums and arrays of them, a composite
// column, generated and identity columns, a view and a materialized view, a trigger, column
// grants, a row security policy) from the first PostgreSQL server to the second under a new
// name, with an application role that reads and writes it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/registry.h"
#include "move/table_indexes.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover::test {
static void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }
}  // namespace cutover::test

namespace cutover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Backend;
using test::describe;
using test::events_named;
using test::json_events;
using test::ProcessResult;
using test::SpawnedProcess;

const std::string kAppSecret = "Mv-App-S3cret";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> cutover_argv(std::vector<std::string> args) {
  args.insert(args.begin(), CUTOVER_BINARY);
  return args;
}

std::string scalar(db::Connection& c, const std::string& sql) {
  auto r = c.query(sql);
  return r.rows.at(0).at(0).is_null() ? "NULL" : r.rows.at(0).at(0).text();
}

// Every ACL of the database's user objects and of the database itself, one line each, sorted:
// what a freeze changes and an abort must give back exactly.
std::string acl_fingerprint(db::Connection& c) {
  auto r = c.query(R"(
    SELECT string_agg(line, E'\n' ORDER BY line) FROM (
      SELECT c.oid::regclass::text || ' ' || coalesce(c.relacl::text, 'default') AS line
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
      UNION ALL
      SELECT a.attrelid::regclass::text || '.' || a.attname || ' ' || a.attacl::text
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE a.attacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      UNION ALL
      SELECT 'database ' || coalesce(datacl::text, 'default') FROM pg_database
      WHERE datname = current_database()) lines)");
  return r.rows.at(0).at(0).text();
}

// The source's schema (relations, columns, constraints, indexes, triggers, policies) and its
// tables' contents (count and a hash sum of each), one line each, sorted: what an abort must
// leave exactly as it was.
std::string schema_and_data_fingerprint(db::Connection& c) {
  auto r = c.query(R"(
    WITH rel AS (
      SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_')
    SELECT string_agg(line, E'\n' ORDER BY line) FROM (
      SELECT 'relation ' || oid::regclass::text || ' ' || relkind::text AS line FROM rel
      UNION ALL
      SELECT 'column ' || attrelid::regclass::text || '.' || attname || ' ' ||
             format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END
      FROM pg_attribute WHERE attrelid IN (SELECT oid FROM rel) AND attnum > 0
        AND NOT attisdropped
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE conrelid IN (SELECT oid FROM rel)
      UNION ALL
      SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index
      WHERE indrelid IN (SELECT oid FROM rel)
      UNION ALL
      SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger
      WHERE tgrelid IN (SELECT oid FROM rel) AND NOT tgisinternal
      UNION ALL
      SELECT 'policy ' || polrelid::regclass::text || ' ' || polname FROM pg_policy
      UNION ALL
      SELECT 'rows ' || t.oid::regclass::text || ' ' || (xpath('/row/c/text()', query_to_xml(
               format('SELECT count(*) || '':'' || coalesce(sum(hashtextextended(t::text, 0)), 0) '
                      'AS c FROM ONLY %s t', t.oid::regclass), false, true, '')))[1]::text
      FROM rel t WHERE t.relkind IN ('r', 'm')) lines)");
  return r.rows.at(0).at(0).text();
}

class MoveData : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    suffix_ = std::to_string(getpid()) + "_" + std::to_string(counter_++);
    app_ = "cutover_mvd_app_" + suffix_;
    source_name_ = "cutover_mvd_src_" + suffix_;
    target_name_ = "cutover_mvd_new_" + suffix_;
    for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
      auto admin = db::connect(url);
      admin->execute("DROP ROLE IF EXISTS " + app_);
      admin->execute("CREATE ROLE " + app_ + " LOGIN PASSWORD '" + kAppSecret + "'");
    }
    auto admin = db::connect(test::postgres_url());
    admin->execute("DROP DATABASE IF EXISTS " + source_name_ + " WITH (FORCE)");
    admin->execute("CREATE DATABASE " + source_name_);
    fill_source();
    dir_ = fs::temp_directory_path() / ("cutover-move-data-" + suffix_);
    fs::remove_all(dir_);
    state_ = (dir_ / "moves.db").string();
  }

  void TearDown() override {
    db::connect(test::postgres_url())
        ->execute("DROP DATABASE IF EXISTS " + source_name_ + " WITH (FORCE)");
    db::connect(test::postgres2_url())
        ->execute("DROP DATABASE IF EXISTS " + target_name_ + " WITH (FORCE)");
    for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
      auto admin = db::connect(url);
      admin->execute("DROP OWNED BY " + app_);
      admin->execute("DROP ROLE IF EXISTS " + app_);
    }
    fs::remove_all(dir_);
  }

  void fill_source() {
    auto c = source();
    for (const std::string& sql : std::vector<std::string>{
             "CREATE TYPE mood AS ENUM ('calm', 'busy', 'late')",
             "CREATE TYPE address AS (street text, city text)",
             "CREATE DOMAIN price AS numeric(10, 2) CHECK (VALUE >= 0)",
             "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
             "name text NOT NULL, home address, moods mood[], note text)",
             "CREATE TABLE payments (customer_id bigint NOT NULL REFERENCES customers, "
             "paid_on date NOT NULL, seq int NOT NULL, amount price NOT NULL, "
             "with_tax numeric GENERATED ALWAYS AS (amount * 1.2) STORED, "
             "PRIMARY KEY (customer_id, paid_on, seq)) PARTITION BY RANGE (paid_on)",
             "CREATE TABLE payments_2025 PARTITION OF payments "
             "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
             "CREATE TABLE payments_2026 PARTITION OF payments "
             "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
             "CREATE TABLE audit (at timestamptz DEFAULT now(), what text, blob bytea)",
             "CREATE FUNCTION audit_customer() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN INSERT INTO audit (what) VALUES ('customer ' || NEW.id); RETURN NEW; END $$",
             "CREATE TRIGGER customers_audit AFTER INSERT ON customers FOR EACH ROW "
             "EXECUTE FUNCTION audit_customer()",
             "CREATE INDEX payments_amount ON payments (amount)",
             "CREATE VIEW big_payers AS SELECT customer_id, sum(amount) AS total FROM payments "
             "GROUP BY customer_id HAVING sum(amount) > 100",
             "CREATE MATERIALIZED VIEW payment_totals AS SELECT paid_on, sum(amount) AS total "
             "FROM payments GROUP BY paid_on",
             "CREATE SEQUENCE invoice_numbers START 1000",
             "COMMENT ON TABLE customers IS 'who pays'",
             "ALTER TABLE audit ENABLE ROW LEVEL SECURITY",
             "CREATE POLICY audit_read ON audit FOR SELECT USING (true)",
             "CREATE POLICY audit_write ON audit FOR INSERT WITH CHECK (what IS NOT NULL)",
             "INSERT INTO customers (name, home, moods, note) SELECT 'c' || g, "
             "ROW('street ' || g, 'city')::address, ARRAY['calm', 'late']::mood[], "
             "repeat('n', g % 500) FROM generate_series(1, 3000) g",
             "INSERT INTO payments (customer_id, paid_on, seq, amount) SELECT 1 + g % 3000, "
             "date '2025-06-01' + (g % 400), g, (g % 97) + 0.5 FROM generate_series(1, 40000) g",
             "UPDATE audit SET blob = decode(repeat('ab', 2000), 'hex') WHERE what LIKE '%7'",
             "SELECT setval('invoice_numbers', 4242)",
             "REFRESH MATERIALIZED VIEW payment_totals",
             "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + app_,
             "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + app_,
             "REVOKE UPDATE ON customers FROM " + app_,
             "GRANT UPDATE (note) ON customers TO " + app_,
             "GRANT CONNECT ON DATABASE " + source_name_ + " TO " + app_}) {
      c->execute(sql);
    }
  }

  std::unique_ptr<db::Connection> source() const {
    return db::connect(test::with_database(test::postgres_url(), source_name_));
  }
  std::unique_ptr<db::Connection> target() const {
    return db::connect(test::with_database(test::postgres2_url(), target_name_));
  }
  // The application's own session, with its password.
  std::unique_ptr<db::Connection> as_app(const std::string& admin_url,
                                         const std::string& database) const {
    ConnectionUrl u = parse_connection_url(admin_url);
    return db::connect("postgres://" + app_ + ":" + kAppSecret + "@" + u.host + ":" +
                       std::to_string(u.port.value_or(5432)) + "/" + database);
  }
  bool target_exists() const {
    auto admin = db::connect(test::postgres2_url());
    return scalar(*admin,
                  "SELECT count(*) FROM pg_database WHERE datname = '" + target_name_ + "'") == "1";
  }

  // The superusers a privilege freeze cannot stop, named as create's --allow-unfrozen.
  static std::vector<std::string> allow_superusers() {
    std::vector<std::string> args;
    for (const auto& role : test::postgres_login_superusers()) {
      args.insert(args.end(), {"--allow-unfrozen", role});
    }
    return args;
  }

  ProcessResult move(std::vector<std::string> args, bool json_output = false) {
    args.insert(args.begin(), "move");
    if (json_output) args.insert(args.begin(), "--json");
    args.insert(args.end(), {"--state", state_});
    auto r = test::run_process(cutover_argv(args), {}, std::chrono::seconds(300));
    EXPECT_FALSE(contains(r.out + r.err, kAppSecret)) << describe(r);
    return r;
  }

  // Creates the move (the extra arguments added) and returns its id.
  std::string create(std::vector<std::string> extra = {}, bool allow = true) {
    std::vector<std::string> args = {
        "create", "--to", test::postgres2_url(), "--database",
        test::with_database(test::postgres_url(), source_name_) + "=" + target_name_};
    if (allow) {
      for (const auto& a : allow_superusers()) args.push_back(a);
    }
    for (const auto& a : extra) args.push_back(a);
    auto r = move(args, true);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    auto created = events_named(json_events(r.out), "created");
    if (created.empty()) return {};
    return created.front()["id"];
  }

  // A table `table` of 200 rows on the source (with a primary key when `keyed`) and an index
  // `table`_key on it whose build takes about 4 s (20 ms a row); then create and prepare (the
  // move's id in `id`) and `move data` with one job, returned once that index is being built
  // on the target.
  std::unique_ptr<SpawnedProcess> data_while_a_slow_index_builds(const std::string& table,
                                                                 bool keyed, std::string& id) {
    auto c = source();
    c->execute(
        "CREATE FUNCTION slow_key(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS "
        "$$BEGIN PERFORM pg_sleep(0.02); RETURN $1; END$$");
    c->execute("CREATE TABLE " + table + " (id int" + (keyed ? " PRIMARY KEY)" : ")"));
    c->execute("INSERT INTO " + table + " SELECT g FROM generate_series(1, 200) g");
    c->execute("CREATE INDEX " + table + "_key ON " + table + " (slow_key(id))");
    id = create();
    EXPECT_EQ(step("prepare", id).exit_code, 0);
    auto data = std::make_unique<SpawnedProcess>(
        cutover_argv({"--json", "move", "data", id, "--jobs", "1", "--state", state_}));
    test::poll_until("the slow index is being built on the target", [&] {
      test::require_running(*data, "move data");
      return slow_index_builds(table);
    });
    return data;
  }
  bool slow_index_builds(const std::string& table) const {
    return scalar(*db::connect(test::postgres2_url()),
                  "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + target_name_ +
                      "' AND query LIKE 'CREATE INDEX " + table + "_key%'") != "0";
  }

  ProcessResult step(const std::string& name, const std::string& id,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {name, id};
    for (const auto& a : extra) args.push_back(a);
    return move(args, true);
  }

  void expect_step(const std::string& id, const std::string& want) {
    auto r = move({"status", id}, true);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(json::parse(r.out)["step"], want) << r.out;
  }

  void expect_app_write_refused_on_source() {
    auto app = as_app(test::postgres_url(), source_name_);
    EXPECT_EQ(scalar(*app, "SELECT count(*) FROM customers"), "3000");  // reads go on
    try {
      app->execute("INSERT INTO audit (what) VALUES ('frozen?')");
      ADD_FAILURE() << "the application could write on a frozen source";
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), "42501") << e.message();
    }
  }

  static inline int counter_ = 0;
  std::string suffix_;
  std::string app_;
  std::string source_name_;
  std::string target_name_;
  fs::path dir_;
  std::string state_;
};

// The whole way: prepare gives the target its schema without indexes and closed; data freezes,
// copies and verifies; finalize opens the target to the application; cleanup drops the source.
TEST_P(MoveData, MovesEverythingVerifiedAndTheApplicationWritesOnTheTargetAfterFinalize) {
  std::string id = create({"--switch-command", "echo switched > " + (dir_ / "switched").string()});
  ASSERT_FALSE(id.empty());
  std::string acl_before = acl_fingerprint(*source());

  auto prepared = step("prepare", id);
  ASSERT_EQ(prepared.exit_code, 0) << describe(prepared);
  EXPECT_EQ(json_events(prepared.out).back()["next"], "cutover move data " + id);
  {
    auto t = target();
    EXPECT_EQ(scalar(*t, "SELECT count(*) FROM pg_class WHERE relname = 'payments_2026'"), "1");
    EXPECT_EQ(scalar(*t, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"), "0")
        << "indexes come after the data";
    EXPECT_EQ(scalar(*t, "SELECT has_database_privilege('" + app_ +
                             "', current_database(), "
                             "'CONNECT')"),
              "f")
        << "the target is closed to applications until finalize";
  }
  EXPECT_EQ(acl_fingerprint(*source()), acl_before) << "prepare only reads the source";

  auto data = step("data", id, {"--jobs", "2"});
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  auto events = json_events(data.out);
  auto frozen = events_named(events, "frozen");
  ASSERT_EQ(frozen.size(), 1u) << data.out;
  EXPECT_TRUE(contains(frozen[0]["proof"], app_ + " may not DELETE")) << frozen[0];
  std::vector<std::string> tables;
  for (const auto& e : events_named(events, "table")) tables.push_back(e["table"]);
  std::sort(tables.begin(), tables.end());
  EXPECT_EQ(tables, (std::vector<std::string>{"public.audit", "public.customers",
                                              "public.payments_2025", "public.payments_2026"}))
      << data.out;
  ASSERT_EQ(events_named(events, "verified").size(), 1u) << data.out;
  expect_app_write_refused_on_source();

  {
    auto s = source();
    auto t = target();
    for (const std::string sql :
         {"SELECT count(*) FROM payments", "SELECT sum(with_tax)::text FROM payments",
          "SELECT string_agg(home::text || moods::text, ',' ORDER BY id) FROM customers",
          "SELECT md5(string_agg(blob::text, ',' ORDER BY what)) FROM audit",
          "SELECT last_value FROM invoice_numbers", "SELECT sum(total)::text FROM payment_totals",
          "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'",
          "SELECT count(*) FROM pg_policies", "SELECT obj_description('customers'::regclass)"}) {
      EXPECT_EQ(scalar(*t, sql), scalar(*s, sql)) << sql;
    }
  }

  auto finalized = step("finalize", id);
  ASSERT_EQ(finalized.exit_code, 0) << describe(finalized);
  EXPECT_TRUE(fs::exists(dir_ / "switched")) << "the switch command ran";
  {
    auto app = as_app(test::postgres2_url(), target_name_);
    app->execute("INSERT INTO customers (name) VALUES ('after the move')");
    EXPECT_EQ(scalar(*app, "SELECT count(*) FROM audit WHERE what = 'customer 3001'"), "1")
        << "the trigger came along, and the identity goes on from the source's value";
    app->execute("UPDATE customers SET note = 'ok' WHERE id = 1");  // its column grant
  }
  expect_app_write_refused_on_source();  // the way back stays frozen

  auto cleaned = step("cleanup", id, {"--drop-source"});
  ASSERT_EQ(cleaned.exit_code, 0) << describe(cleaned);
  auto admin = db::connect(test::postgres_url());
  EXPECT_EQ(
      scalar(*admin, "SELECT count(*) FROM pg_database WHERE datname = '" + source_name_ + "'"),
      "0");
  expect_step(id, "cleaned");
}

// Milliseconds since the epoch of "2026-12-04T09:55:41.123Z" (status's times); -1 if malformed.
std::int64_t epoch_ms(const std::string& at) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

// The application, as `cutover probe` writing as its role through the whole move: reads never
// fail; writes succeed until the freeze and fail with 42501 from it on (no write sent after the
// freeze time that status reports succeeds); no acknowledged write is lost, and every one is on
// the target; after finalize a probe of the target reads and writes without a failure.
TEST_P(MoveData, AProbeWritingThroughTheMoveLosesNothingAndIsRefusedFromTheFreezeOn) {
  source()->execute("GRANT CREATE ON SCHEMA public TO " + app_);
  const std::map<std::string, std::optional<std::string>> env = {{"PGPASSWORD", kAppSecret}};
  auto app_url = [&](const std::string& admin_url, const std::string& database) {
    ConnectionUrl u = parse_connection_url(admin_url);
    return "postgres://" + app_ + "@" + u.host + ":" + std::to_string(u.port.value_or(5432)) + "/" +
           database;
  };
  const fs::path record_path = dir_ / "probe.json";
  SpawnedProcess probe(cutover_argv({"probe", app_url(test::postgres_url(), source_name_),
                                     "--duration", "1h", "--readers", "1", "--writers", "2",
                                     "--rate", "50", "--json", record_path.string()}),
                       env);
  test::poll_until(
      "the probe writes on the source",
      [&] {
        auto rows =
            source()->query("SELECT count(*) FROM pg_tables WHERE tablename = 'cutover_probe'");
        return rows.rows[0][0].text() == "1" &&
               scalar(*source(), "SELECT count(*) FROM cutover_probe") != "0";
      },
      std::chrono::seconds(30));

  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  ASSERT_EQ(step("data", id).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // writes refused meanwhile
  ASSERT_EQ(step("finalize", id).exit_code, 0);
  auto status = move({"status", id}, true);
  const std::int64_t frozen_ms =
      epoch_ms(json::parse(status.out)["progress"]["frozen_since"].get<std::string>());
  ASSERT_GT(frozen_ms, 0) << status.out;

  probe.kill(SIGINT);
  ProcessResult stopped = probe.wait(std::chrono::seconds(60));
  ASSERT_TRUE(fs::exists(record_path)) << describe(stopped);
  json record = json::parse(std::ifstream(record_path));
  json summary = record["summary"];
  EXPECT_EQ(summary["reads"]["failed"], 0) << summary.dump();
  const std::int64_t started_ms = record["started_unix_ms"];
  std::int64_t last_ok_ms = 0;
  std::int64_t first_refused_ms = -1;
  int refused = 0;
  for (const auto& op : record["operations"]) {
    if (op[0] != "w") continue;
    std::int64_t at_ms = started_ms + op[2].get<std::int64_t>() / 1000;
    if (op[4] == "ok") {
      last_ok_ms = std::max(last_ok_ms, at_ms);
      EXPECT_LE(at_ms, frozen_ms) << "a write sent after the freeze succeeded: " << op.dump();
      continue;
    }
    ++refused;
    if (first_refused_ms < 0) first_refused_ms = at_ms;
    EXPECT_EQ(op[6], "42501") << op.dump();
  }
  EXPECT_GT(refused, 0) << "the probe wrote while the source was frozen";
  std::cout << "freeze at " << frozen_ms << ": last write ok sent " << (frozen_ms - last_ok_ms)
            << " ms before, first refused sent " << (first_refused_ms - frozen_ms) << " ms after\n";
  json verification = summary["verification"];
  ASSERT_TRUE(verification.is_object()) << summary.dump();
  EXPECT_TRUE(verification["lost"].empty()) << verification.dump();
  const std::string acknowledged = std::to_string(verification["acknowledged"].get<std::int64_t>());
  auto run_rows = [&](db::Connection& c) {
    return c
        .query("SELECT count(*) FROM cutover_probe WHERE run_id = $1",
               {record["run_id"].get<std::string>()})
        .rows[0][0]
        .text();
  };
  EXPECT_EQ(run_rows(*target()), acknowledged) << "every acknowledged write is on the target";

  SpawnedProcess after(
      cutover_argv({"probe", app_url(test::postgres2_url(), target_name_), "--duration", "2s",
                    "--readers", "1", "--writers", "1", "--rate", "50"}),
      env);
  ProcessResult on_target = after.wait(std::chrono::seconds(60));
  EXPECT_EQ(on_target.exit_code, 0) << describe(on_target);
}

// A freeze command that failed runs again with the next data: that data skipped the commands
// and copied a source nobody had frozen.
TEST_P(MoveData, AFailedFreezeCommandRunsAgainOnTheNextData) {
  const fs::path log = dir_ / "freeze.log";
  const fs::path ready = dir_ / "freeze.ready";
  std::string id = create({"--freeze", "hook", "--freeze-command",
                           "echo ran >> " + log.string() + " && test -f " + ready.string(),
                           "--unfreeze-command", "true"});
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  ProcessResult failed = step("data", id);
  EXPECT_EQ(failed.exit_code, 1) << describe(failed);
  std::ofstream(ready) << "ready\n";
  ProcessResult data = step("data", id);
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  std::ifstream in(log);
  int runs = 0;
  for (std::string line; std::getline(in, line);) ++runs;
  EXPECT_EQ(runs, 2) << "the freeze command ran again";
  EXPECT_EQ(step("abort", id).exit_code, 0);
}

// Seed 001's consolidation: three databases from two source servers moved under new names into
// one target server, in one move: one freeze, every table of each verified, each target
// opened to the application at finalize, and one abort that gives every source back.
TEST_P(MoveData, ThreeDatabasesFromTwoServersAreConsolidatedIntoOneServer) {
  struct Extra {
    std::string server, source, target;
  };
  const std::vector<Extra> extras = {
      {test::postgres_url(), "cutover_mvd_crm_" + suffix_, "cutover_mvd_crm_new_" + suffix_},
      {test::postgres2_url(), "cutover_mvd_blog_" + suffix_, "cutover_mvd_blog_new_" + suffix_}};
  auto drop_extras = [&] {
    for (const auto& e : extras) {
      db::connect(e.server)->execute("DROP DATABASE IF EXISTS " + e.source + " WITH (FORCE)");
      db::connect(test::postgres2_url())
          ->execute("DROP DATABASE IF EXISTS " + e.target + " WITH (FORCE)");
    }
  };
  drop_extras();
  std::vector<std::string> args;
  for (const auto& e : extras) {
    db::connect(e.server)->execute("CREATE DATABASE " + e.source);
    auto c = db::connect(test::with_database(e.server, e.source));
    for (const std::string& sql : std::vector<std::string>{
             "CREATE TYPE state AS ENUM ('open', 'closed')",
             "CREATE TABLE accounts (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
             "state state NOT NULL, body text)",
             "CREATE TABLE notes (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES "
             "accounts, note text)",
             "CREATE VIEW open_accounts AS SELECT id FROM accounts WHERE state = 'open'",
             "INSERT INTO accounts (state, body) SELECT (ARRAY['open', 'closed'])[1 + g % 2]"
             "::state, repeat('b', g % 3000) FROM generate_series(1, 2000) g",
             "INSERT INTO notes (account_id, note) SELECT 1 + g % 2000, 'n' || g "
             "FROM generate_series(1, 5000) g",
             "GRANT CONNECT ON DATABASE " + e.source + " TO " + app_,
             "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO " + app_,
             "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + app_}) {
      c->execute(sql);
    }
    args.insert(args.end(),
                {"--database", test::with_database(e.server, e.source) + "=" + e.target});
  }
  std::string id = create(args);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  ProcessResult data = step("data", id);
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  auto events = json_events(data.out);
  EXPECT_EQ(events_named(events, "frozen").size(), 3u) << data.out;
  EXPECT_EQ(events_named(events, "verified").size(), 3u) << data.out;
  for (const auto& e : extras) {
    auto source = db::connect(test::with_database(e.server, e.source));
    auto target = db::connect(test::with_database(test::postgres2_url(), e.target));
    for (const std::string sql : {"SELECT count(*) FROM notes",
                                  "SELECT sum(length(body)) FROM "
                                  "accounts",
                                  "SELECT count(*) FROM open_accounts"}) {
      EXPECT_EQ(scalar(*target, sql), scalar(*source, sql)) << e.target << ": " << sql;
    }
  }
  ASSERT_EQ(step("finalize", id).exit_code, 0);
  for (const auto& e : extras) {
    as_app(test::postgres2_url(), e.target)
        ->execute("INSERT INTO accounts (state) VALUES ('open')");
  }
  ProcessResult aborted = step("abort", id, {"--discard-target-writes"});
  EXPECT_EQ(aborted.exit_code, 0) << describe(aborted);
  for (const auto& e : extras) {
    as_app(e.server, e.source)->execute("INSERT INTO accounts (state) VALUES ('closed')");
  }
  drop_extras();
}

// Abort after data gives the source back every privilege exactly as it was, and drops the
// target; after finalize it refuses while the target holds new writes, unless told to.
TEST_P(MoveData, AbortRestoresThePrivilegesExactlyAndRefusesToLoseTargetWrites) {
  // A table with the default ACL (NULL), owned by the superuser: left as it is.
  source()->execute("CREATE TABLE settings (k text)");
  std::string back = (dir_ / "switched-back").string();
  std::string id = create({"--switch-back-command", "echo back > " + back});
  ASSERT_FALSE(id.empty());
  std::string acl_before = acl_fingerprint(*source());
  std::string contents_before = schema_and_data_fingerprint(*source());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  ASSERT_EQ(step("data", id).exit_code, 0);
  EXPECT_NE(acl_fingerprint(*source()), acl_before) << "the freeze revoked privileges";
  ASSERT_EQ(step("finalize", id).exit_code, 0);

  as_app(test::postgres2_url(), target_name_)->execute("INSERT INTO audit (what) VALUES ('new')");
  ProcessResult refused;
  test::poll_until(
      "abort sees the target's write (statistics lag up to a second)",
      [&] {
        refused = step("abort", id);
        return refused.exit_code != 0;
      },
      std::chrono::seconds(10));
  EXPECT_EQ(refused.exit_code, 3) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""), "public.audit (1 rows)"))
      << describe(refused);
  EXPECT_TRUE(target_exists());
  EXPECT_FALSE(fs::exists(back));
  expect_step(id, "finalized");

  auto aborted = step("abort", id, {"--discard-target-writes"});
  ASSERT_EQ(aborted.exit_code, 0) << describe(aborted);
  EXPECT_TRUE(fs::exists(back)) << "the switch-back command ran";
  EXPECT_EQ(acl_fingerprint(*source()), acl_before);
  EXPECT_EQ(schema_and_data_fingerprint(*source()), contents_before);
  EXPECT_FALSE(target_exists());
  as_app(test::postgres_url(), source_name_)->execute("INSERT INTO audit (what) VALUES ('back')");
  expect_step(id, "aborted");
  EXPECT_EQ(step("abort", id).exit_code, 0) << "aborting an aborted move says so";
}

// The statistics reach the counters only when a session flushes them: a writer that keeps its
// session open can go unseen for seconds. Its committed UPDATE changes no count, and abort, at
// once, must still refuse to lose it.
TEST_P(MoveData, AbortSeesATargetWriteWhoseSessionIsStillOpen) {
  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  ASSERT_EQ(step("data", id).exit_code, 0);
  ASSERT_EQ(step("finalize", id).exit_code, 0);

  auto writer = as_app(test::postgres2_url(), target_name_);
  writer->execute("UPDATE customers SET note = 'written on the target' WHERE id = 7");
  ProcessResult refused = step("abort", id);
  EXPECT_EQ(refused.exit_code, 3) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""), "public.customers"))
      << describe(refused);
  EXPECT_TRUE(target_exists());
  expect_step(id, "finalized");
  EXPECT_EQ(scalar(*writer, "SELECT note FROM customers WHERE id = 7"), "written on the target");
  writer.reset();
  EXPECT_EQ(step("abort", id, {"--discard-target-writes"}).exit_code, 0);
}

// A build of indexes, constraints and triggers that failed midway runs again from the start:
// pg_restore --clean could not drop the partitions' keys and indexes it had built (they belong
// to their parents'), so data could never be resumed. Here a trigger of the same name put on
// the target makes the build fail after the partitioned table's key and index (one job: in the
// dump's order, triggers come after them).
TEST_P(MoveData, AFailedBuildOfIndexesRunsAgainFromTheStartOnPartitionedTables) {
  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto admin = target();
  admin->execute(
      "CREATE TRIGGER customers_audit AFTER INSERT ON customers FOR EACH ROW "
      "EXECUTE FUNCTION audit_customer()");
  ProcessResult failed = step("data", id, {"--jobs", "1"});
  ASSERT_EQ(failed.exit_code, 1) << describe(failed);
  EXPECT_TRUE(contains(test::error_event(failed).value("message", ""), "pg_restore"))
      << describe(failed);
  const std::string built_before =
      "SELECT count(*) FROM pg_constraint WHERE conname = 'payments_pkey'";
  ASSERT_EQ(scalar(*admin, built_before), "1") << "the failure came after the partitioned key";
  expect_app_write_refused_on_source();

  admin->execute("DROP TRIGGER customers_audit ON customers");
  ProcessResult resumed = step("data", id, {"--jobs", "1"});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  ASSERT_EQ(events_named(json_events(resumed.out), "verified").size(), 1u) << resumed.out;
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM pg_trigger WHERE tgname = 'customers_audit'"),
            "1");
  EXPECT_EQ(scalar(*admin, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'payments%'"),
            scalar(*source(), "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'payments%'"));
  EXPECT_EQ(step("finalize", id).exit_code, 0);
}

// A table's own indexes are built as soon as its copy ends. A kill -9 in the middle of such a
// build leaves the build running on the target (pg_restore and its session outlive cutover);
// data run again at once ends it, undoes what was built, builds every index and verifies.
TEST_P(MoveData, AKillInATablesOwnIndexBuildIsUndoneByTheNextRun) {
  std::string id;
  auto data = data_while_a_slow_index_builds("slow_indexed", false, id);
  data->kill(SIGKILL);
  ASSERT_EQ(data->wait(std::chrono::seconds(30)).exit_code, 128 + SIGKILL);
  ASSERT_TRUE(slow_index_builds("slow_indexed")) << "the build outlives the killed cutover (4 s)";

  auto resumed = step("data", id);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  auto orphans = events_named(json_events(resumed.out), "orphans");
  ASSERT_EQ(orphans.size(), 1u) << resumed.out;
  EXPECT_GE(orphans.front()["sessions"].get<int>(), 1) << resumed.out;
  auto undone = events_named(json_events(resumed.out), "indexes");
  ASSERT_FALSE(undone.empty()) << resumed.out;
  EXPECT_TRUE(undone.front().contains("dropped")) << "the interrupted build was undone first";
  EXPECT_EQ(events_named(json_events(resumed.out), "verified").size(), 1u) << resumed.out;
  EXPECT_EQ(scalar(*target(), "SELECT count(*) FROM pg_indexes WHERE indexname = "
                              "'slow_indexed_key'"),
            "1");
}

// Tables above --split-bytes copy in ctid ranges, several workers on one table: each table is
// reported once, after its last range, read back whole, its own indexes built once, and the
// move verifies.
TEST_P(MoveData, TablesSplitIntoRangesAreCopiedOnceAndVerified) {
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto data = step("data", id, {"--split-bytes", "16384"});
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  std::map<std::string, int> reported;
  for (const auto& t : events_named(json_events(data.out), "table")) ++reported[t["table"]];
  ASSERT_FALSE(reported.empty()) << data.out;
  for (const auto& [table, times] : reported) EXPECT_EQ(times, 1) << table;
  auto split = events_named(json_events(data.out), "split");
  ASSERT_FALSE(split.empty()) << "some tables were split: " << data.out;
  for (const auto& s : split) EXPECT_GT(s["parts"].get<int>(), 1) << s.dump();
  EXPECT_EQ(events_named(json_events(data.out), "verified").size(), 1u) << data.out;
  EXPECT_EQ(scalar(*target(), "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"),
            scalar(*source(), "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"));
}

// A role that only a policy names, dropped from the target after create: the build after the
// data would fail with the source frozen, so data refuses before the freeze.
TEST_P(MoveData, ARoleThePostDataBuildNeedsIsCheckedBeforeTheFreeze) {
  const std::string reader = "cutover_mvd_reader_" + suffix_;
  for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
    db::connect(url)->execute("CREATE ROLE " + reader);
  }
  source()->execute("CREATE POLICY readers ON audit FOR SELECT TO " + reader + " USING (true)");
  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  db::connect(test::postgres2_url())->execute("DROP ROLE " + reader);

  ProcessResult refused = step("data", id);
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""), reader))
      << describe(refused);
  as_app(test::postgres_url(), source_name_)->execute("INSERT INTO audit (what) VALUES ('open')");

  db::connect(test::postgres2_url())->execute("CREATE ROLE " + reader);
  ProcessResult data = step("data", id);
  EXPECT_EQ(data.exit_code, 0) << describe(data);
  EXPECT_EQ(step("abort", id).exit_code, 0);
  source()->execute("DROP POLICY readers ON audit");
  for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
    db::connect(url)->execute("DROP ROLE IF EXISTS " + reader);
  }
}

// A large object made after create (create refuses those there already) would not be copied.
TEST_P(MoveData, ALargeObjectMadeAfterCreateIsRefusedBeforeTheFreeze) {
  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  source()->query("SELECT lo_from_bytea(0, 'scan of an invoice')");
  ProcessResult refused = step("data", id);
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""), "1 large objects"))
      << describe(refused);
  as_app(test::postgres_url(), source_name_)->execute("INSERT INTO audit (what) VALUES ('open')");
  EXPECT_EQ(step("abort", id).exit_code, 0);
}

// A session that holds a lock on a target table (someone's maintenance) stops the copy after
// the target lock timeout, naming it, rather than stall it without end with the source frozen.
TEST_P(MoveData, ALockHeldOnTheTargetStopsTheCopyNamingItsSession) {
  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto holder = target();
  holder->execute("BEGIN");
  holder->execute("LOCK TABLE audit IN ACCESS SHARE MODE");
  const std::string pid = scalar(*holder, "SELECT pg_backend_pid()");
  ProcessResult stopped = step("data", id);
  EXPECT_EQ(stopped.exit_code, 1) << describe(stopped);
  const std::string message = test::error_event(stopped).value("message", "");
  EXPECT_TRUE(contains(message, "pid " + pid) && contains(message, "audit")) << describe(stopped);
  expect_app_write_refused_on_source();
  holder->execute("ROLLBACK");
  ProcessResult resumed = step("data", id);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_EQ(step("abort", id).exit_code, 0);
}

// A lock taken on a table while its own indexes build (compatible with the builds) keeps its
// primary key from becoming a constraint after them: the error names the table, the lock
// timeout and the session, and data run again once it is gone verifies.
TEST_P(MoveData, ALockHeldOnTheTargetDuringATablesBuildsIsNamed) {
  std::string id;
  auto data = data_while_a_slow_index_builds("slow_keyed", true, id);
  auto holder = target();
  holder->execute("BEGIN");
  holder->execute("LOCK TABLE slow_keyed IN ACCESS SHARE MODE");
  const std::string pid = scalar(*holder, "SELECT pg_backend_pid()");
  ProcessResult stopped = data->wait(std::chrono::seconds(120));
  EXPECT_EQ(stopped.exit_code, 1) << describe(stopped);
  const std::string message = test::error_event(stopped).value("message", "");
  EXPECT_TRUE(contains(message, "building the indexes of public.slow_keyed") &&
              contains(message, "waited 10s for a lock on the target") &&
              contains(message, "pid " + pid))
      << describe(stopped);
  holder->execute("ROLLBACK");
  ProcessResult resumed = step("data", id);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
}

// Write transactions under way when the freeze comes get --drain-timeout, then are stopped:
// one idle in its transaction after an INSERT (its session is ended), and one whose INSERT ...
// SELECT is still reading before its first row, so it holds no transaction id yet (cancelled).
// Neither row is anywhere afterwards, and the move goes on.
TEST_P(MoveData, WriteTransactionsUnderWayAreDrainedThenStopped) {
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto idle = as_app(test::postgres_url(), source_name_);
  idle->begin();
  idle->execute("INSERT INTO audit (what) VALUES ('never committed')");
  std::string slow_outcome;
  std::thread slow([&] {
    auto app = as_app(test::postgres_url(), source_name_);
    try {
      app->execute("INSERT INTO audit (what) SELECT 'late' FROM pg_sleep(20)");
      slow_outcome = "committed";
    } catch (const Error& e) {
      slow_outcome = e.sqlstate();
    }
  });
  auto observer = source();
  test::poll_until("the slow INSERT is running", [&] {
    return scalar(*observer,
                  "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                  "'INSERT INTO audit (what) SELECT%' AND state = 'active'") == "1";
  });
  auto data = step("data", id, {"--drain-timeout", "500ms"});
  slow.join();
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  EXPECT_EQ(slow_outcome, "57014") << "the slow INSERT was cancelled";
  auto drain = events_named(json_events(data.out), "drain");
  ASSERT_EQ(drain.size(), 1u) << data.out;
  std::string stopped = drain[0]["stopped"].dump();
  EXPECT_TRUE(contains(stopped, "session ended") && contains(stopped, "cancelled")) << stopped;
  EXPECT_THROW(idle->commit(), Error) << "its session was ended";
  auto on_source = source();
  auto on_target = target();
  for (auto* c : {on_source.get(), on_target.get()}) {
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM audit WHERE what IN ('never committed', 'late')"),
              "0");
  }
}

// A superuser that a privilege freeze cannot stop is refused by create unless allowed by
// name, and by data when one appeared after create, before anything changes.
TEST_P(MoveData, ASuperuserTheFreezeCannotStopIsRefusedBeforeAnythingChanges) {
  auto refused =
      move({"create", "--to", test::postgres2_url(), "--database",
            test::with_database(test::postgres_url(), source_name_) + "=" + target_name_},
           true);
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  std::string late = "cutover_mvd_root_" + suffix_;
  auto admin = db::connect(test::postgres_url());
  admin->execute("CREATE ROLE " + late + " LOGIN SUPERUSER");
  std::string acl_before = acl_fingerprint(*source());
  auto data = step("data", id);
  admin->execute("DROP ROLE " + late);
  EXPECT_EQ(data.exit_code, 2) << describe(data);
  auto message = test::error_event(data).value("message", "");
  EXPECT_TRUE(contains(message, "cannot stop these superusers") && contains(message, late))
      << message;
  EXPECT_TRUE(contains(test::error_event(data).value("hint", ""), "--allow-unfrozen " + late))
      << message;
  EXPECT_EQ(acl_fingerprint(*source()), acl_before);
  expect_step(id, "prepared");
  ASSERT_EQ(step("abort", id).exit_code, 0);
  EXPECT_FALSE(target_exists());
}

// A target that does not match the source after the copy fails verification with exit 4,
// naming the difference; the source stays frozen until abort.
TEST_P(MoveData, ATargetThatDiffersFailsVerificationWithExitFour) {
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  target()->execute("ALTER TABLE audit ADD COLUMN extra int");  // someone touched the target
  auto data = step("data", id);
  EXPECT_EQ(data.exit_code, 4) << describe(data);
  auto message = test::error_event(data).value("message", "");
  EXPECT_TRUE(contains(message, "the schema differs")) << message;
  expect_app_write_refused_on_source();
  expect_step(id, "prepared");
  ASSERT_EQ(step("abort", id).exit_code, 0);
  as_app(test::postgres_url(), source_name_)->execute("INSERT INTO audit (what) VALUES ('back')");
}

// With --owner, the target database and every object in it belong to that role, and the
// application working as it may write there after finalize.
TEST_P(MoveData, TheOwnerGivenAtCreateOwnsEverythingOnTheTarget) {
  std::string id = create({"--owner", app_});
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto data = step("data", id);
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  auto t = target();
  EXPECT_EQ(scalar(*t,
                   "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = "
                   "current_database()"),
            app_);
  EXPECT_EQ(scalar(*t,
                   "SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM "
                   "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                   "n.nspname = 'public'"),
            app_);
  EXPECT_EQ(scalar(*t,
                   "SELECT string_agg(DISTINCT pg_get_userbyid(p.proowner), ',') FROM "
                   "pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
                   "n.nspname = 'public'"),
            app_);
  ASSERT_EQ(step("finalize", id).exit_code, 0);
  as_app(test::postgres2_url(), target_name_)
      ->execute("INSERT INTO customers (name) VALUES ('owned')");
}

// Primary keys and unique constraints are built as unique indexes beside the table's
// read-back and then made constraints, except those PostgreSQL cannot make from an index
// (left to pg_restore): every kind arrives as the source has it, names quoted, in a schema off
// the search_path, with its options, deferrability, CLUSTER ON and replica identity.
TEST_P(MoveData, KeysOfEveryKindArriveAsTheSourceHasThem) {
  auto c = source();
  for (const std::string& sql : std::vector<std::string>{
           "CREATE SCHEMA ledger",
           "CREATE TABLE ledger.\"Entry Keys\" (id int NOT NULL, email text COLLATE \"C\", "
           "code int, a int, b int, c int, during tstzrange, \"Ref\" int NOT NULL, "
           "CONSTRAINT \"Entry PK\" PRIMARY KEY (id), "
           "CONSTRAINT entry_email UNIQUE (email), "
           "CONSTRAINT entry_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED, "
           "CONSTRAINT entry_a UNIQUE (a) INCLUDE (b), "
           "CONSTRAINT entry_c UNIQUE NULLS NOT DISTINCT (c), "
           "CONSTRAINT entry_ref UNIQUE (\"Ref\"), "
           "CONSTRAINT entry_during EXCLUDE USING gist (during WITH &&))",
           "ALTER TABLE ledger.\"Entry Keys\" CLUSTER ON entry_email",
           "ALTER TABLE ledger.\"Entry Keys\" REPLICA IDENTITY USING INDEX entry_ref",
           "CREATE TABLE ledger.plain (id bigint PRIMARY KEY, tag text UNIQUE WITH (fillfactor = "
           "70))",
           "INSERT INTO ledger.\"Entry Keys\" SELECT g, 'e' || g, g, g, g, NULLIF(g, 1), "
           "tstzrange(timestamptz '2026-01-01' + g * interval '1 day', "
           "timestamptz '2026-01-01' + (g + 1) * interval '1 day'), g "
           "FROM generate_series(1, 2000) g",
           "INSERT INTO ledger.plain SELECT g, 't' || g FROM generate_series(1, 2000) g",
           "COMMENT ON CONSTRAINT \"Entry PK\" ON ledger.\"Entry Keys\" IS 'the key'",
           "COMMENT ON CONSTRAINT plain_tag_key ON ledger.plain IS 'one tag each'",
           "COMMENT ON CONSTRAINT entry_code ON ledger.\"Entry Keys\" IS 'deferred'",
           "COMMENT ON INDEX ledger.plain_pkey IS 'the index'"}) {
    c->execute(sql);
  }
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto data = step("data", id);
  ASSERT_EQ(data.exit_code, 0) << describe(data);  // the verification compares the schemas
  // The same, read from the catalogs: each constraint's kind, definition, deferrability,
  // whether its index is clustered on and the replica identity, and the index's options.
  const std::string keys =
      "SELECT string_agg(format('%s %s %s %s %s %s %s %s', c.conname, c.contype, "
      "pg_get_constraintdef(c.oid), c.condeferrable, c.condeferred, i.indisclustered, "
      "i.indisreplident, ic.reloptions), E'\\n' ORDER BY c.conname) FROM pg_constraint c "
      "JOIN pg_index i ON i.indexrelid = c.conindid JOIN pg_class ic ON ic.oid = i.indexrelid "
      "WHERE c.connamespace = 'ledger'::regnamespace";
  std::string on_source = scalar(*source(), keys);
  EXPECT_EQ(scalar(*target(), keys), on_source);
  for (const char* expected :
       {"Entry PK p PRIMARY KEY (id)", "entry_email u UNIQUE (email) f f t f",
        "entry_code u UNIQUE (code) DEFERRABLE INITIALLY DEFERRED t t",
        "entry_a u UNIQUE (a) INCLUDE (b)",
        "entry_c u UNIQUE NULLS NOT DISTINCT (c)",
        "entry_ref u UNIQUE (\"Ref\") f f f t",
        "entry_during x EXCLUDE USING gist (during WITH &&)", "plain_pkey p PRIMARY KEY (id)",
        "plain_tag_key u UNIQUE (tag) f f f f {fillfactor=70}"}) {
    EXPECT_TRUE(contains(on_source, expected)) << expected << " in\n" << on_source;
  }
  // Which of them were built from an index: the plan of listing lines as pg_restore -l writes
  // them for these constraints.
  std::string listing;
  for (const auto& row : source()
                             ->query("SELECT oid, conname FROM pg_constraint "
                                     "WHERE connamespace = 'ledger'::regnamespace ORDER BY 2")
                             .rows) {
    listing += "1; 2606 " + row[0].text() + " CONSTRAINT ledger t " + row[1].text() + " x\n";
  }
  move::TableIndexPlan plan(listing, *source());
  auto entry_keys = plan.keys_from_index("ledger.\"Entry Keys\"");
  ASSERT_EQ(entry_keys.size(), 1u);
  EXPECT_EQ(entry_keys[0].create_index,
            "CREATE UNIQUE INDEX \"Entry PK\" ON ledger.\"Entry Keys\" USING btree (id)");
  EXPECT_EQ(entry_keys[0].add_constraint,
            "ALTER TABLE ONLY ledger.\"Entry Keys\" ADD CONSTRAINT \"Entry PK\" PRIMARY KEY "
            "USING INDEX \"Entry PK\"");
  std::string left = plan.listing_of("ledger.\"Entry Keys\"");
  for (const char* name :
       {"entry_a", "entry_c", "entry_code", "entry_during", "entry_email", "entry_ref"}) {
    EXPECT_TRUE(contains(left, std::string(" ") + name + " ")) << name << " in\n" << left;
  }
  EXPECT_FALSE(contains(left, "Entry PK")) << left;
  auto plain_keys = plan.keys_from_index("ledger.plain");
  ASSERT_EQ(plain_keys.size(), 2u);
  EXPECT_TRUE(contains(plain_keys[0].create_index + plain_keys[1].create_index,
                       "CREATE UNIQUE INDEX plain_tag_key ON ledger.plain USING btree (tag) WITH "
                       "(fillfactor='70')"));
  EXPECT_EQ(plan.listing_of("ledger.plain"), "");
}

// Each step refuses to run out of order (exit 2) and changes nothing.
TEST_P(MoveData, StepsRefuseToRunOutOfOrder) {
  std::string id = create();
  for (const char* early : {"data", "finalize", "cleanup"}) {
    auto r = step(early, id);
    EXPECT_EQ(r.exit_code, 2) << early << describe(r);
    EXPECT_TRUE(contains(test::error_event(r).value("hint", ""), "cutover move prepare " + id))
        << describe(r);
  }
  EXPECT_FALSE(target_exists());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto again = step("prepare", id);
  EXPECT_EQ(again.exit_code, 2) << describe(again);
  expect_step(id, "prepared");
}

// A signal in the middle of the copy: nothing keeps running on the servers, the source stays
// frozen, status says where the move stands, and data run again keeps the tables copied before
// and verifies.
class MoveDataInterrupted : public MoveData {
 protected:
  // Adds 40 tables to the source, then stops `move data --jobs 1` with `signal` once it has
  // copied three of its 44 tables. Returns the move's id and what the stopped step printed.
  std::pair<std::string, ProcessResult> stop_data_in_the_copy(int signal) {
    {
      auto c = source();
      for (int i = 0; i < 40; ++i) {
        c->execute("CREATE TABLE filler_" + std::to_string(i) +
                   " AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g");
      }
    }
    std::string id = create();
    EXPECT_EQ(step("prepare", id).exit_code, 0);
    SpawnedProcess data(
        cutover_argv({"--json", "move", "data", id, "--jobs", "1", "--state", state_}));
    test::poll_until("a few tables are copied", [&] {
      test::require_running(data, "move data");
      return events_named(json_events(data.output_so_far()), "table").size() >= 3;
    });
    data.kill(signal);
    return {id, data.wait(std::chrono::seconds(30))};
  }

  // Changes a row of `table` on the target, runs data again and expects verification to fail
  // (exit 4) naming that table; returns the error's message.
  std::string change_a_row_and_resume(const std::string& id, const std::string& table) {
    EXPECT_EQ(target()->query("UPDATE " + table + " SET v = 'changed' WHERE id = 7").affected_rows,
              1)
        << table;
    auto resumed = step("data", id);
    EXPECT_EQ(resumed.exit_code, 4) << describe(resumed);
    auto message = test::error_event(resumed).value("message", "");
    EXPECT_TRUE(contains(message, table + ": 20000 rows on the source, 20000 on the target with "
                                          "different contents"))
        << message;
    return message;
  }

  void interrupt_and_resume(int signal) {
    auto [id, stopped] = stop_data_in_the_copy(signal);
    if (signal == SIGKILL) {
      ASSERT_EQ(stopped.exit_code, 128 + SIGKILL) << describe(stopped);
    } else {
      ASSERT_EQ(stopped.exit_code, 1) << describe(stopped);
      EXPECT_TRUE(contains(test::error_event(stopped).value("message", ""), "interrupted by"))
          << describe(stopped);
    }
    std::size_t copied = events_named(json_events(stopped.out), "table").size();
    ASSERT_LT(copied, 45u) << "the signal came after the copy";

    auto admin = db::connect(test::postgres2_url());
    test::poll_until(
        "no COPY of the stopped move runs on the target",
        [&] {
          return scalar(*admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                    target_name_ + "' AND query LIKE 'COPY%'") == "0";
        },
        std::chrono::seconds(30));
    expect_app_write_refused_on_source();
    auto status = move({"status", id}, true);
    ASSERT_EQ(status.exit_code, 0) << describe(status);
    auto progress = json::parse(status.out)["progress"];
    EXPECT_TRUE(progress["frozen_since"].is_string()) << status.out;
    EXPECT_EQ(progress["tables_copied"].get<std::size_t>(), copied) << status.out;
    EXPECT_EQ(progress["step_running"], false) << "the stopped step let go of its lock";
    EXPECT_EQ(json::parse(status.out)["step"], "prepared");

    auto resumed = step("data", id);
    ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
    auto events = json_events(resumed.out);
    auto resume = events_named(events, "resume");
    ASSERT_EQ(resume.size(), 1u) << resumed.out;
    EXPECT_EQ(resume[0]["kept"].get<std::size_t>(), copied);
    EXPECT_EQ(events_named(events, "table").size() + copied, 44u)
        << "each table copied once in all";
    EXPECT_TRUE(events_named(events, "frozen").empty()) << "the freeze stood; it is not redone";
    ASSERT_EQ(events_named(events, "verified").size(), 1u) << resumed.out;
    EXPECT_EQ(scalar(*target(), "SELECT count(*) FROM filler_39"), "20000");
  }
};

TEST_P(MoveDataInterrupted, AKilledDataResumesKeepingTheCopiedTables) {
  interrupt_and_resume(SIGKILL);
}

TEST_P(MoveDataInterrupted, ASigtermStopsDataCleanlyAndItResumes) { interrupt_and_resume(SIGTERM); }

// The verification compares what it reads back from the target with what the copy read from
// the source: a row changed on the target after its table was copied fails it (exit 4),
// naming the table, though the count is the same.
TEST_P(MoveDataInterrupted, ARowChangedOnTheTargetAfterItsCopyFailsVerification) {
  auto [id, stopped] = stop_data_in_the_copy(SIGKILL);
  auto copied = events_named(json_events(stopped.out), "table");
  ASSERT_FALSE(copied.empty()) << describe(stopped);
  change_a_row_and_resume(id, copied.front()["table"].get<std::string>());
  expect_step(id, "prepared");
  ASSERT_EQ(step("abort", id).exit_code, 0);
}

// A table copied by a cutover that recorded no sum of its rows (an older one, before a
// resume) is verified against the source, read again: the one changed on the target is found,
// and only that one.
TEST_P(MoveDataInterrupted, TablesCopiedWithoutARecordedSumAreComparedWithTheSource) {
  auto [id, stopped] = stop_data_in_the_copy(SIGKILL);
  auto copied = events_named(json_events(stopped.out), "table");
  ASSERT_FALSE(copied.empty()) << describe(stopped);
  {
    auto store = db::connect("sqlite://" + state_);
    auto forgotten = store->query(
        "UPDATE move_facts SET value = json_remove(value, '$.sum') WHERE key LIKE 'copied:%' "
        "AND json_extract(value, '$.sum') IS NOT NULL");
    ASSERT_EQ(forgotten.affected_rows, static_cast<std::int64_t>(copied.size()))
        << "the copy recorded each table's sum";
  }
  std::string message = change_a_row_and_resume(id, copied.back()["table"].get<std::string>());
  std::size_t differences = 0;
  for (auto at = message.find("rows on the source"); at != std::string::npos;
       at = message.find("rows on the source", at + 1)) {
    ++differences;
  }
  EXPECT_EQ(differences, 1u) << message;
  ASSERT_EQ(step("abort", id).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Postgres, MoveDataInterrupted, testing::Values(Backend::kPostgres));
INSTANTIATE_TEST_SUITE_P(Postgres, MoveData, testing::Values(Backend::kPostgres));

}  // namespace
}  // namespace cutover
