// `cutover move create / status / list / abort` as a user runs them: the real binary, two
// source databases (one on each PostgreSQL server) consolidated into the second server under
// new names; every bad input exits with its code and saves nothing; the state file is private
// and holds no password.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/connection_url.h"
#include "db/registry.h"
#include "move/move_store.h"
#include "support/cli_output.h"
#include "support/process.h"
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

const std::string kSecret = "Mv-S3cret-Pw";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

ProcessResult cutover_cli(std::vector<std::string> args) {
  args.insert(args.begin(), CUTOVER_BINARY);
  return test::run_process(args, {}, std::chrono::seconds(120));
}

// A database created on one server for one test, dropped (with its sessions) when it goes.
class ServerDatabase {
 public:
  ServerDatabase(std::string admin_url, std::string name)
      : admin_url_(std::move(admin_url)), name_(std::move(name)) {
    auto admin = db::connect(admin_url_);
    admin->execute("DROP DATABASE IF EXISTS " + admin->quote_identifier(name_) + " WITH (FORCE)");
    admin->execute("CREATE DATABASE " + admin->quote_identifier(name_));
  }
  ~ServerDatabase() {
    try {
      auto admin = db::connect(admin_url_);
      admin->execute("DROP DATABASE IF EXISTS " + admin->quote_identifier(name_) + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not drop " << name_ << ": " << e.what();
    }
  }
  ServerDatabase(const ServerDatabase&) = delete;
  ServerDatabase& operator=(const ServerDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::unique_ptr<db::Connection> connect() const {
    return db::connect(test::with_database(admin_url_, name_));
  }

 private:
  std::string admin_url_;
  std::string name_;
};

// A shop on the first server and a CRM on the second, each with an enum, a table without a
// key and an extension, moved into the second server as <name>_new.
class MoveCreate : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    suffix_ = std::to_string(getpid()) + "_" +
              std::to_string(testing::UnitTest::GetInstance()->random_seed()) + "_" +
              std::to_string(counter_++);
    role_ = "cutover_mv_" + suffix_;
    for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
      auto admin = db::connect(url);
      admin->execute("DROP ROLE IF EXISTS " + role_);
      admin->execute("CREATE ROLE " + role_ + " LOGIN SUPERUSER PASSWORD '" + kSecret + "'");
    }
    shop_ = std::make_unique<ServerDatabase>(test::postgres_url(), "cutover_mv_shop_" + suffix_);
    crm_ = std::make_unique<ServerDatabase>(test::postgres2_url(), "cutover_mv_crm_" + suffix_);
    {
      auto c = shop_->connect();
      c->execute("CREATE EXTENSION citext");
      c->execute("CREATE EXTENSION pgcrypto");
      c->execute("CREATE TYPE order_state AS ENUM ('open', 'paid', 'shipped')");
      c->execute(
          "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
          "email citext NOT NULL UNIQUE, token bytea DEFAULT gen_random_bytes(16))");
      c->execute(
          "CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint REFERENCES customers, "
          "state order_state NOT NULL DEFAULT 'open')");
      c->execute("CREATE TABLE audit_log (at timestamptz DEFAULT now(), line text)");
      c->execute("INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com')");
      c->execute("INSERT INTO audit_log (line) VALUES ('created')");
    }
    {
      auto c = crm_->connect();
      c->execute("CREATE EXTENSION citext");
      c->execute("CREATE TYPE lead_stage AS ENUM ('new', 'won', 'lost')");
      c->execute("CREATE TABLE leads (id int PRIMARY KEY, name citext, stage lead_stage)");
      c->execute("CREATE TABLE notes (lead_id int, body text)");
    }
    dir_ = fs::temp_directory_path() / ("cutover-move-create-" + suffix_);
    fs::remove_all(dir_);
    state_ = (dir_ / "state" / "moves.db").string();
  }

  void TearDown() override {
    target_extra_.clear();
    shop_.reset();
    crm_.reset();
    // The new names on the target exist only if a test made them; drop them in any case.
    auto target = db::connect(test::postgres2_url());
    for (const auto& name : {shop_new(), crm_new()}) {
      target->execute("DROP DATABASE IF EXISTS " + target->quote_identifier(name) +
                      " WITH (FORCE)");
    }
    for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
      auto admin = db::connect(url);
      admin->execute("DROP ROLE IF EXISTS " + role_);
      for (const auto& role : extra_roles_) admin->execute("DROP ROLE IF EXISTS " + role);
    }
    fs::remove_all(dir_);
  }

  // The server of `admin_url` reached as the test's role, with its password in the URL (as a
  // careless user would write it), naming `database`.
  std::string url_as_role(const std::string& admin_url, const std::string& database) const {
    ConnectionUrl u = parse_connection_url(admin_url);
    return "postgres://" + role_ + ":" + kSecret + "@" + u.host + ":" +
           std::to_string(u.port.value_or(5432)) + "/" + database;
  }
  std::string target_url() const { return url_as_role(test::postgres2_url(), "postgres"); }
  std::string shop_url() const { return url_as_role(test::postgres_url(), shop_->name()); }
  std::string crm_url() const { return url_as_role(test::postgres2_url(), crm_->name()); }
  std::string shop_new() const { return "cutover_mv_shop_" + suffix_ + "_new"; }
  std::string crm_new() const { return "cutover_mv_crm_" + suffix_ + "_new"; }

  std::vector<std::string> create_args() const {
    std::vector<std::string> args = {"move",       "create",
                                     "--state",    state_,
                                     "--to",       target_url(),
                                     "--database", shop_url() + "=" + shop_new(),
                                     "--database", crm_url() + "=" + crm_new()};
    for (const auto& role : test::postgres_login_superusers()) {
      args.insert(args.end(), {"--allow-unfrozen", role});
    }
    return args;
  }

  ProcessResult move(std::vector<std::string> args, bool json_output = false) {
    args.insert(args.begin(), "move");
    if (json_output) args.insert(args.begin(), "--json");
    auto r = cutover_cli(args);
    EXPECT_FALSE(contains(r.out, kSecret)) << describe(r);
    EXPECT_FALSE(contains(r.err, kSecret)) << describe(r);
    return r;
  }
  ProcessResult create(bool json_output = false) {
    auto args = create_args();
    args.erase(args.begin());
    return move(args, json_output);
  }

  // The ids of the moves in the state store, through `move list --json`.
  std::vector<std::string> saved_ids() {
    auto r = move({"list", "--state", state_}, true);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    std::vector<std::string> ids;
    for (const auto& e : events_named(json_events(r.out), "move")) ids.push_back(e["id"]);
    return ids;
  }

  // Runs a create that must fail with `code`, naming `needle` in its error, and save nothing.
  void expect_refused(int code, const std::string& needle) {
    auto r = create();
    EXPECT_EQ(r.exit_code, code) << describe(r);
    EXPECT_TRUE(contains(r.err, "error: ") && contains(r.err, needle)) << describe(r);
    auto j = create(true);
    EXPECT_EQ(j.exit_code, code) << describe(j);
    auto error = test::error_event(j);
    EXPECT_EQ(error.value("exit_code", 0), code) << describe(j);
    EXPECT_TRUE(contains(error.value("message", ""), needle)) << describe(j);
  }

  void expect_state_private_and_secret_free() {
    struct stat st {};
    ASSERT_EQ(::stat(state_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(fs::path(state_).parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(state_).parent_path())) {
      if (entry.is_directory()) {  // a move's own folder
        ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0077, 0u) << entry.path();
        continue;
      }
      std::ifstream in(entry.path(), std::ios::binary);
      std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      EXPECT_FALSE(contains(bytes, kSecret)) << entry.path();
    }
  }

  static inline int counter_ = 0;
  std::string suffix_;
  std::string role_;
  std::unique_ptr<ServerDatabase> shop_;
  std::unique_ptr<ServerDatabase> crm_;
  std::vector<std::unique_ptr<ServerDatabase>> target_extra_;
  std::vector<std::string> extra_roles_;  // dropped on both servers after the databases
  fs::path dir_;
  std::string state_;
};

TEST_P(MoveCreate, PassesPrintsTheIdAndStatusListAndAbortFollowIt) {
  auto r = create();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::smatch id_match;
  ASSERT_TRUE(std::regex_search(r.out, id_match, std::regex("move (mv-[0-9a-f]{8}) created")))
      << r.out;
  std::string id = id_match[1];
  EXPECT_TRUE(contains(r.out, "next: cutover move prepare " + id)) << r.out;
  for (const char* check : {"reachable", "privileges", "version", "extensions", "collations",
                            "roles", "target database", "size"}) {
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("passed +") + check + ":")))
        << check << "\n"
        << r.out;
  }
  EXPECT_FALSE(contains(r.out, "failed")) << r.out;
  // The tables without a key, by name, on each source.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("warning +keys: .*public\\.audit_log"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("warning +keys: .*public\\.notes"))) << r.out;
  EXPECT_TRUE(contains(r.out, "-> " + shop_new())) << r.out;
  // The password in the URL works, with a warning that it is not kept.
  EXPECT_TRUE(contains(r.err, "contains a password")) << r.err;
  expect_state_private_and_secret_free();

  auto status = move({"status", "--state", state_});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "move " + id + ": created")) << status.out;
  EXPECT_TRUE(contains(status.out, "cutover move prepare " + id)) << status.out;
  EXPECT_TRUE(contains(status.out, "preflight passed")) << status.out;

  auto status_json = move({"status", id, "--state", state_}, true);
  ASSERT_EQ(status_json.exit_code, 0) << describe(status_json);
  auto event = json::parse(status_json.out);
  EXPECT_EQ(event["event"], "status");
  EXPECT_EQ(event["id"], id);
  EXPECT_EQ(event["step"], "created");
  EXPECT_EQ(event["next"], "cutover move prepare " + id);
  ASSERT_EQ(event["plan"]["databases"].size(), 2u);
  EXPECT_EQ(event["plan"]["databases"][0]["target_name"], shop_new());
  EXPECT_EQ(event["plan"]["databases"][1]["source_name"], crm_->name());
  EXPECT_EQ(event["events"].size(), 1u);

  EXPECT_EQ(saved_ids(), std::vector<std::string>{id});
  auto list = move({"list", "--state", state_});
  EXPECT_TRUE(contains(list.out, id) && contains(list.out, "created")) << list.out;

  auto abort = move({"abort", id, "--state", state_});
  ASSERT_EQ(abort.exit_code, 0) << describe(abort);
  EXPECT_TRUE(contains(abort.out, "move " + id + ": aborted at step created: nothing existed"))
      << abort.out;
  auto again = move({"abort", id, "--state", state_});
  EXPECT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, "aborted already")) << again.out;
  auto after = json::parse(move({"status", id, "--state", state_}, true).out);
  EXPECT_EQ(after["step"], "aborted");
  EXPECT_TRUE(after["next"].is_null());
  EXPECT_EQ(after["events"].size(), 2u);

  // The aborted move released its databases: the same plan can be created again.
  auto second = create();
  EXPECT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(saved_ids().size(), 2u);
  expect_state_private_and_secret_free();
}

TEST_P(MoveCreate, JsonGivesOneCheckEventPerCheckAndACreatedEvent) {
  auto r = create(true);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto events = json_events(r.out);
  auto checks = events_named(events, "check");
  EXPECT_GE(checks.size(), 15u) << r.out;
  for (const auto& c : checks) {
    EXPECT_TRUE(c.contains("check") && c.contains("detail")) << c.dump();
    EXPECT_NE(c["status"], "failed") << c.dump();
  }
  auto created = events_named(events, "created");
  ASSERT_EQ(created.size(), 1u) << r.out;
  std::string id = created[0]["id"];
  EXPECT_EQ(created[0]["next"], "cutover move prepare " + id);
  EXPECT_GT(created[0]["total_bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(created[0]["step"], "created");
}

TEST_P(MoveCreate, AnUnreachableTargetExitsTwoNamingItAndSavesNothing) {
  auto args = create_args();
  args[5] = "postgres://" + role_ + ":" + kSecret + "@127.0.0.1:1/postgres";
  auto r = cutover_cli(args);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "cannot reach") && contains(r.err, "127.0.0.1:1")) << describe(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("failed +reachable: .*127\\.0\\.0\\.1:1")))
      << r.out;
  EXPECT_FALSE(contains(r.out + r.err, kSecret)) << describe(r);
  EXPECT_FALSE(fs::exists(state_));
}

TEST_P(MoveCreate, ATargetDatabaseThatIsNotEmptyFailsAndSavesNothing) {
  target_extra_.push_back(std::make_unique<ServerDatabase>(test::postgres2_url(), crm_new()));
  target_extra_.back()->connect()->execute("CREATE TABLE already_here (id int)");
  auto r = create();
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("failed +target database: .*" + crm_new() + ": exists and is not empty")))
      << r.out;
  EXPECT_TRUE(contains(r.out, "already_here")) << r.out;
  // Every check ran before the verdict.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("passed +size:"))) << r.out;
  EXPECT_TRUE(contains(r.err, "preflight failed (target database)")) << r.err;
  expect_refused(2, "target database");
  EXPECT_FALSE(fs::exists(state_));

  // An empty database of that name is fine: the move fills it.
  target_extra_.back()->connect()->execute("DROP TABLE already_here");
  auto ok = create();
  EXPECT_EQ(ok.exit_code, 0) << describe(ok);
  EXPECT_TRUE(contains(ok.out, "exists and is empty")) << ok.out;
}

TEST_P(MoveCreate, AnExtensionTheTargetDoesNotOfferFailsAndSavesNothing) {
  // Both test servers share one installation, so the source is given an extension that no
  // server offers by writing its catalog row directly (the scratch database is dropped after).
  shop_->connect()->execute(
      "INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, "
      "extversion) VALUES (999001, 'cutover_no_such_extension', 10, 'public'::regnamespace, "
      "true, '1.0')");
  auto r = create();
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out,
      std::regex("failed +extensions: .*cutover_no_such_extension.*pg_available_extensions")))
      << r.out;
  EXPECT_TRUE(contains(r.out, "fix: install the extension")) << r.out;
  expect_refused(2, "extensions");
  EXPECT_FALSE(fs::exists(state_));
}

TEST_P(MoveCreate, TwoDatabasesToOneNameAreRefused) {
  auto args = create_args();
  args[9] = crm_url() + "=" + shop_new();
  auto r = cutover_cli(args);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("failed +mapping: 2 databases would become '" + shop_new() + "'")))
      << r.out;
  EXPECT_TRUE(contains(r.err, "preflight failed (mapping)")) << r.err;
  EXPECT_FALSE(fs::exists(state_));

  // The CRM lives on the target server already: without a new name it would land on itself.
  auto itself = move({"create", "--state", state_, "--to", target_url(), "--database", crm_url()});
  EXPECT_EQ(itself.exit_code, 2) << describe(itself);
  EXPECT_TRUE(std::regex_search(
      itself.out, std::regex("failed +mapping: .*" + crm_->name() + " would be moved onto itself")))
      << itself.out;
  EXPECT_FALSE(fs::exists(state_));
}

TEST_P(MoveCreate, AnUnknownIdExitsTwo) {
  for (const char* sub : {"status", "abort"}) {
    auto missing_store = move({sub, "mv-00000000", "--state", state_});
    EXPECT_EQ(missing_store.exit_code, 2) << describe(missing_store);
    EXPECT_TRUE(contains(missing_store.err, "mv-00000000")) << missing_store.err;
  }
  ASSERT_EQ(create().exit_code, 0);
  for (const char* sub : {"status", "abort"}) {
    auto r = move({sub, "mv-00000000", "--state", state_});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.err, "no move mv-00000000")) << r.err;
    auto j = move({sub, "mv-00000000", "--state", state_}, true);
    EXPECT_EQ(test::error_event(j).value("exit_code", 0), 2) << describe(j);
  }
}

TEST_P(MoveCreate, ASecondMoveOfAHeldDatabaseExitsThreeNamingTheFirst) {
  auto first = create();
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  std::string id = saved_ids().at(0);
  // The shop again, under another name, from the same server.
  auto r = move({"create", "--state", state_, "--to", target_url(), "--database",
                 shop_url() + "=" + shop_new() + "_again"});
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "move " + id) && contains(r.err, shop_->name())) << r.err;
  // A new source moving into a name the first move will create.
  auto into = move({"create", "--state", state_, "--to", target_url(), "--database",
                    url_as_role(test::postgres_url(), "postgres") + "=" + crm_new()});
  EXPECT_EQ(into.exit_code, 3) << describe(into);
  EXPECT_EQ(saved_ids(), std::vector<std::string>{id});
}

TEST_P(MoveCreate, ARoleMissingOnTheTargetFailsUnlessOwnerIsGiven) {
  // A role that exists on the shop's server only owns one of its tables.
  std::string clerk = "cutover_mv_clerk_" + suffix_;
  auto source_admin = db::connect(test::postgres_url());
  extra_roles_.push_back(clerk);
  source_admin->execute("CREATE ROLE " + clerk);
  shop_->connect()->execute("ALTER TABLE audit_log OWNER TO " + clerk);
  auto r = create();
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("failed +roles: .*roles " + clerk))) << r.out;
  EXPECT_TRUE(contains(r.out, "--owner ROLE")) << r.out;
  EXPECT_FALSE(fs::exists(state_));

  // --owner naming a role the target lacks fails on its own...
  auto args = create_args();
  args.insert(args.end(), {"--owner", "cutover_mv_nobody_" + suffix_});
  auto no_owner = cutover_cli(args);
  EXPECT_EQ(no_owner.exit_code, 2) << describe(no_owner);
  EXPECT_TRUE(std::regex_search(no_owner.out, std::regex("failed +owner: "))) << no_owner.out;
  // ...and an existing one turns the missing role into a warning.
  args = create_args();
  args.insert(args.end(), {"--owner", "postgres"});
  auto with_owner = cutover_cli(args);
  EXPECT_EQ(with_owner.exit_code, 0) << describe(with_owner);
  EXPECT_TRUE(std::regex_search(with_owner.out, std::regex("warning +roles: .*" + clerk)))
      << with_owner.out;
  auto status = json::parse(move({"status", "--state", state_}, true).out);
  EXPECT_EQ(status["plan"]["owner"], "postgres");
}

// --owner replaces owners only: a role that a policy or default privileges name must exist on
// the target, else the build after the data fails with the sources frozen.
TEST_P(MoveCreate, ARoleThatPoliciesOrDefaultPrivilegesNameFailsEvenWithOwner) {
  std::string reader = "cutover_mv_reader_" + suffix_;
  std::string writer = "cutover_mv_writer_" + suffix_;
  auto source_admin = db::connect(test::postgres_url());
  for (const auto& role : {reader, writer}) {
    extra_roles_.push_back(role);
    source_admin->execute("CREATE ROLE " + role);
  }
  auto shop = shop_->connect();
  shop->execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY");
  shop->execute("CREATE POLICY readers ON audit_log FOR SELECT TO " + reader + " USING (true)");
  shop->execute("ALTER DEFAULT PRIVILEGES GRANT INSERT ON TABLES TO " + writer);
  auto args = create_args();
  args.insert(args.end(), {"--owner", "postgres"});
  auto r = cutover_cli(args);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("failed +roles: .*default privileges name: " + reader + " and " + writer)))
      << r.out;
  EXPECT_TRUE(contains(r.out, "--owner replaces the owners only")) << r.out;
  EXPECT_FALSE(fs::exists(state_));
}

// A SECURITY DEFINER function owned by a superuser writes as its owner: revoking the callers'
// privileges does not stop it, and create says so (a warning: it may only read).
TEST_P(MoveCreate, ASuperusersSecurityDefinerFunctionIsAWarning) {
  auto shop = shop_->connect();
  shop->execute(
      "CREATE FUNCTION log_visit(what text) RETURNS void LANGUAGE sql SECURITY DEFINER AS "
      "$$ INSERT INTO audit_log (line) VALUES (what) $$");
  shop->execute("ALTER FUNCTION log_visit(text) OWNER TO postgres");
  auto r = create();
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("warning +definer functions: .*log_visit\\(text\\) \\(postgres\\)")))
      << r.out;
}

TEST_P(MoveCreate, AUserThatCannotReadTheSourceOrCreateDatabasesFails) {
  std::string clerk = "cutover_mv_lim_" + suffix_;
  extra_roles_.push_back(clerk);
  for (const auto& url : {test::postgres_url(), test::postgres2_url()}) {
    db::connect(url)->execute("CREATE ROLE " + clerk + " LOGIN PASSWORD '" + kSecret + "'");
  }
  auto as_clerk = [&](const std::string& admin_url, const std::string& database) {
    ConnectionUrl u = parse_connection_url(admin_url);
    return "postgres://" + clerk + ":" + kSecret + "@" + u.host + ":" +
           std::to_string(u.port.value_or(5432)) + "/" + database;
  };
  std::vector<std::string> args = {
      "create",
      "--state",
      state_,
      "--to",
      as_clerk(test::postgres2_url(), "postgres"),
      "--database",
      as_clerk(test::postgres_url(), shop_->name()) + "=" + shop_new()};
  for (const auto& role : test::postgres_login_superusers()) {
    args.insert(args.end(), {"--allow-unfrozen", role});
  }
  auto r = move(args);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("failed +readable: .*cannot read public\\.audit_log, public\\.customers")))
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("failed +privileges: .*may not create")))
      << r.out;
  EXPECT_TRUE(contains(r.err, "preflight failed (privileges, readable)")) << r.err;
  EXPECT_FALSE(fs::exists(state_));
}

// A superuser a freeze by privileges cannot stop fails the preflight, unless allowed by name.
TEST_P(MoveCreate, ASuperuserTheFreezeCannotStopFailsUnlessAllowed) {
  auto args = create_args();
  args.erase(args.begin());
  std::vector<std::string> without;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--allow-unfrozen" && args[i + 1] == role_) {
      ++i;
      continue;
    }
    without.push_back(args[i]);
  }
  auto r = move(without);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("failed +freeze: .*cannot stop these superusers: " + role_)))
      << r.out;
  EXPECT_TRUE(contains(r.out, "--allow-unfrozen " + role_)) << r.out;
  EXPECT_FALSE(fs::exists(state_));
  auto allowed = create();
  EXPECT_EQ(allowed.exit_code, 0) << describe(allowed);
  EXPECT_TRUE(std::regex_search(allowed.out, std::regex("passed +freeze: "))) << allowed.out;
}

INSTANTIATE_TEST_SUITE_P(Postgres, MoveCreate, testing::Values(Backend::kPostgres));

TEST(MoveCli, HelpTeachesEachSubcommand) {
  auto top = cutover_cli({"move", "--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* part : {"create", "prepare", "data", "finalize", "cleanup", "status", "list",
                           "abort", "Examples:", "Exit codes"}) {
    EXPECT_TRUE(contains(top.out, part)) << part << "\n" << top.out;
  }
  for (const char* sub :
       {"create", "prepare", "data", "finalize", "abort", "cleanup", "status", "list"}) {
    auto r = cutover_cli({"move", sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_TRUE(contains(r.out, "Example")) << sub << "\n" << r.out;
    EXPECT_TRUE(contains(r.out, "--state")) << sub << "\n" << r.out;
  }
  EXPECT_TRUE(contains(cutover_cli({"move", "create", "--help"}).out, "SRC_URL=NEW_NAME"));
}

// A move at step prepared whose steps recorded nothing (written through the store): status
// names the next step, and abort undoes only what was recorded, so it needs no server.
TEST(MoveCli, AbortUndoesOnlyWhatTheMoveRecorded) {
  fs::path dir = fs::temp_directory_path() / ("cutover-move-abort-" + std::to_string(getpid()));
  fs::remove_all(dir);
  std::string state = (dir / "moves.db").string();
  std::string id;
  {
    auto store = move::MoveStore::open(state);
    move::MovePlan plan;
    plan.target = parse_connection_url("postgres://admin@new-db/postgres");
    plan.databases.push_back(move::parse_mapping("postgres://admin@old-db/shop=shop_eu"));
    id = store.create(plan, "created").id;
    store.advance(id, move::MoveStep::kCreated, move::MoveStep::kPrepared, "prepared");
  }
  auto status = cutover_cli({"--json", "move", "status", id, "--state", state});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  auto event = json::parse(status.out);
  EXPECT_EQ(event["step"], "prepared");
  EXPECT_EQ(event["next"], "cutover move data " + id);
  EXPECT_EQ(event["events"].size(), 2u);
  auto r = cutover_cli({"move", "abort", id, "--state", state});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "aborted at step prepared")) << r.out;
  fs::remove_all(dir);
}

TEST_P(MoveCreate, AnUnreachableProxyFailsThePreflightAndSavesNothing) {
  auto args = create_args();
  args[7] = shop_url();  // the proxy keeps database names
  args[9] = crm_url();
  args.insert(args.end(), {"--proxy", "127.0.0.1:1", "--proxy-backend", "new"});
  auto r = cutover_cli(args);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("failed +proxy: cannot reach the proxy's admin "
                                                  "API at 127\\.0\\.0\\.1:1")))
      << r.out;
  EXPECT_FALSE(fs::exists(state_));
}

TEST(MoveCli, ProxyOptionsThatCannotWorkExitTwoBeforeAnyServerIsAsked) {
  const std::string source = "postgres://h/shop";
  auto alone = cutover_cli({"move", "create", "--to", "postgres://h2/postgres", "--database",
                            source, "--proxy", "127.0.0.1:6433"});
  EXPECT_EQ(alone.exit_code, 2) << describe(alone);
  EXPECT_TRUE(contains(alone.err, "--proxy and --proxy-backend go together")) << alone.err;
  auto mariadb = cutover_cli({"move", "create", "--to", "mariadb://h2/", "--database",
                              "mariadb://h/shop", "--proxy", "127.0.0.1:6433", "--proxy-backend",
                              "new"});
  EXPECT_EQ(mariadb.exit_code, 2) << describe(mariadb);
  EXPECT_TRUE(contains(mariadb.err, "--proxy is for PostgreSQL moves")) << mariadb.err;
  auto renamed = cutover_cli({"move", "create", "--to", "postgres://h2/postgres", "--database",
                              source + "=shop2", "--proxy", "127.0.0.1:6433", "--proxy-backend",
                              "new"});
  EXPECT_EQ(renamed.exit_code, 2) << describe(renamed);
  EXPECT_TRUE(contains(renamed.err, "renames shop to shop2")) << renamed.err;
  auto address = cutover_cli({"move", "create", "--to", "postgres://h2/postgres", "--database",
                              source, "--proxy", "127.0.0.1", "--proxy-backend", "new"});
  EXPECT_EQ(address.exit_code, 2) << describe(address);
  EXPECT_TRUE(contains(address.err, "--proxy must be the proxy's admin address")) << address.err;
  auto freeze = cutover_cli({"move", "create", "--to", "postgres://h2/postgres", "--database",
                             source, "--freeze", "proxy"});
  EXPECT_EQ(freeze.exit_code, 2) << describe(freeze);
  EXPECT_TRUE(contains(freeze.err, "--freeze proxy needs --proxy")) << freeze.err;
}

TEST(MoveCli, UsageErrorsExitTwo) {
  EXPECT_EQ(cutover_cli({"move"}).exit_code, 2);
  EXPECT_EQ(cutover_cli({"move", "create", "--to", "postgres://h/postgres"}).exit_code, 2);
  EXPECT_EQ(cutover_cli({"move", "abort"}).exit_code, 2);
  auto bad = cutover_cli({"move", "create", "--to", "postgres://h/postgres", "--database",
                          "mariadb://root:" + kSecret + "@h/shop"});
  EXPECT_EQ(bad.exit_code, 2) << describe(bad);
  EXPECT_TRUE(contains(bad.err, "a move goes between servers of one kind")) << bad.err;
  EXPECT_FALSE(contains(bad.out + bad.err, kSecret));
  auto file = cutover_cli(
      {"move", "create", "--to", "postgres://h/postgres", "--database", "sqlite:/tmp/app.db"});
  EXPECT_EQ(file.exit_code, 2) << describe(file);
  EXPECT_TRUE(contains(file.err, "is sqlite and --to postgres://h/postgres is postgres"))
      << file.err;
  auto memory =
      cutover_cli({"move", "create", "--to", "sqlite:/tmp/new/", "--database", "sqlite::memory:"});
  EXPECT_EQ(memory.exit_code, 2) << describe(memory);
  EXPECT_TRUE(contains(memory.err, "names no SQLite file")) << memory.err;
  auto no_db = cutover_cli(
      {"move", "create", "--to", "postgres://h/postgres", "--database", "postgres://h/"});
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_TRUE(contains(no_db.err, "names no database")) << no_db.err;
}

}  // namespace
}  // namespace cutover
