// `cutover proxy` with real clients (libpq through cutover's driver, psql, pgbench) in front of
// the test PostgreSQL server: authentication, read-only mode enforced, and back.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/registry.h"
#include "probe/analysis.h"
#include "probe/probe.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"
#include "unit/proxy/wire_test_bytes.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using test::Backend;
using test::ScratchDatabase;

// A port nobody listens on now (the kernel's pick for a socket bound to port 0).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

void write_private_file(const fs::path& path, const std::string& content) {
  std::ofstream(path) << content;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

struct ProxyOptions {
  std::string standby_url;  // a second backend, another server with the same database name
  bool tls = false;         // a self-signed certificate for clients
  std::string extra;        // more lines of config
  std::vector<std::string> flags;  // command-line settings over the config's
};

// pgbench's tables at scale 1 in the database at `url`, straight to the server.
void pgbench_init(const std::string& url) {
  auto init = test::run_process({test::find_program("pgbench"), "-i", "-q", "-s", "1", url});
  ASSERT_EQ(init.exit_code, 0) << test::describe(init);
}

// A proxy in front of the test server, with one user "app" whose password is in password_file.
class RunningProxy {
 public:
  explicit RunningProxy(const std::string& database, const ProxyOptions& options = ProxyOptions())
      : port_(free_port()),
        admin_port_(free_port()),
        database_(database) {
    // One folder per proxy: a test may run several (replicas).
    dir_ = fs::temp_directory_path() /
           ("cutover-proxy-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    fs::create_directories(dir_);
    write_private_file(password_file(), "client secret 1\n");
    auto verifier = test::run_process({CUTOVER_BINARY, "proxy", "passwd", backend_user(),
                                       "--password-file", password_file().string()});
    EXPECT_EQ(verifier.exit_code, 0) << test::describe(verifier);
    write_private_file(dir_ / "userlist.txt", verifier.out);
    write_config(options);
    argv_ = {CUTOVER_BINARY, "--json", "proxy", "--config", (dir_ / "proxy.yaml").string()};
    argv_.insert(argv_.end(), options.flags.begin(), options.flags.end());
    start();
  }
  // kill -9, as a crash, an OOM kill or a Pod's end would: no drain, nothing written.
  void crash() {
    process_->kill(SIGKILL);
    EXPECT_EQ(process_->wait(std::chrono::seconds(30)).exit_code, 128 + SIGKILL);
  }
  // The same command again in the same folder (a supervisor's restart); returns once it listens.
  void start() {
    process_ = std::make_unique<test::SpawnedProcess>(argv_);
    test::poll_until("the proxy listens", [&] {
      test::require_running(*process_, "cutover proxy");
      return process_->output_so_far().find("\"listening\"") != std::string::npos;
    });
  }
  // The same command again with the config rewritten as `options`, for a start that must be
  // refused: its result (that of a SIGTERM once it listens, when it is not refused).
  test::ProcessResult start_refused(const ProxyOptions& options) {
    write_config(options);
    test::SpawnedProcess again(argv_);
    test::poll_until("the proxy exits or listens", [&] {
      return !again.running() || again.output_so_far().find("\"listening\"") != std::string::npos;
    });
    again.kill(SIGTERM);
    return again.wait(std::chrono::seconds(30));
  }
  // Rewrites the config with `options` and has the proxy read it again (SIGHUP).
  void reload(const ProxyOptions& options) {
    write_config(options);
    auto reloads = [&] {  // "reload" and "reload_failed" events
      std::string out = process_->output_so_far();
      std::size_t n = 0;
      for (auto at = out.find("\"event\":\"reload"); at != std::string::npos;
           at = out.find("\"event\":\"reload", at + 1)) {
        ++n;
      }
      return n;
    };
    std::size_t before = reloads();
    process_->kill(SIGHUP);
    test::poll_until(
        "the proxy reloads", [&] { return reloads() > before; }, std::chrono::seconds(30));
  }
  ~RunningProxy() {
    process_->kill(SIGTERM);
    process_->wait(std::chrono::seconds(30));
    fs::remove_all(dir_);
  }

  static std::string backend_user() { return parse_connection_url(test::postgres_url()).user; }
  fs::path password_file() const { return dir_ / "client-password"; }
  fs::path state_file() const { return dir_ / "proxy.state.json"; }  // beside proxy.yaml
  // GET /status, as JSON.
  nlohmann::json status() const {
    auto result = ctl("status");
    EXPECT_EQ(result.exit_code, 0) << test::describe(result);
    return test::json_events(result.out).at(0)["result"];
  }
  std::string client_password() const {
    std::string password;
    std::getline(std::ifstream(password_file()), password);
    return password;
  }
  int port() const { return port_; }
  int admin_port() const { return admin_port_; }
  std::string url() const {
    return "postgres://" + backend_user() + "@127.0.0.1:" + std::to_string(port_) + "/" + database_;
  }
  std::unique_ptr<db::Connection> connect() const {
    return db::connect(url(), {.password_file = password_file().string()});
  }
  test::ProcessResult ctl(const std::string& action,
                          const std::vector<std::string>& options = {}) const {
    std::vector<std::string> argv{CUTOVER_BINARY,
                                  "--json",
                                  "proxy",
                                  "ctl",
                                  action,
                                  "--admin",
                                  "127.0.0.1:" + std::to_string(admin_port_)};
    argv.insert(argv.end(), options.begin(), options.end());
    return test::run_process(argv);
  }
  test::SpawnedProcess& process() { return *process_; }

 private:
  void write_config(const ProxyOptions& options) {
    auto backend = parse_connection_url(test::postgres_url());
    std::ofstream config(dir_ / "proxy.yaml");
    config << "listen: 127.0.0.1:" << port_ << "\nadmin: 127.0.0.1:" << admin_port_
           << "\nbackends:\n  primary: " << backend.host << ":" << backend.port.value() << "\n";
    if (!options.standby_url.empty()) {
      auto standby = parse_connection_url(options.standby_url);
      config << "  standby: " << standby.host << ":" << standby.port.value() << "\n";
    }
    config << "users: userlist.txt\nbackend_passfile: " << test::required_env("PGPASSFILE") << "\n"
           << options.extra;
    if (options.tls) {
      if (!fs::exists(dir_ / "proxy.crt")) {
        auto made = test::run_process({test::find_program("openssl"), "req", "-x509", "-newkey",
                                       "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                                       "-keyout", (dir_ / "proxy.key").string(), "-out",
                                       (dir_ / "proxy.crt").string()});
        EXPECT_EQ(made.exit_code, 0) << test::describe(made);
      }
      config << "tls: {cert: proxy.crt, key: proxy.key}\n";
    }
  }

  int port_;
  int admin_port_;
  fs::path dir_;
  std::vector<std::string> argv_;
  std::string database_;
  std::unique_ptr<test::SpawnedProcess> process_;
};

std::string sqlstate_of(const std::function<void()>& statement) {
  try {
    statement();
  } catch (const Error& e) {
    return e.sqlstate();
  }
  return "";
}

// A TCP connection to the proxy's port, for bytes no client library would send; reads give up
// after 30 s (so that a proxy that waits for more fails the test instead of hanging it).
int connect_raw(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// What one read on `fd` returns ("" at the end of the stream or on a timeout).
std::string read_some(int fd) {
  std::string answer(512, '\0');
  ssize_t n = ::read(fd, answer.data(), answer.size());
  answer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return answer;
}

// libpq itself, for what cutover's driver does not send: one Query holding several
// statements, and pipelines.
class LibpqSession {
 public:
  explicit LibpqSession(const RunningProxy& proxy) {
    auto where = parse_connection_url(proxy.url());
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(where.port.value()) +
                           " dbname=" + where.database + " user=" + where.user +
                           " password='" + proxy.client_password() + "'";  // no ' or \ in it
    conn_ = PQconnectdb(conninfo.c_str());
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
  }
  ~LibpqSession() { PQfinish(conn_); }
  LibpqSession(const LibpqSession&) = delete;
  LibpqSession& operator=(const LibpqSession&) = delete;
  PGconn* get() { return conn_; }

  // One simple Query: "" when it succeeded, else its error's SQLSTATE.
  std::string exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    std::string outcome = outcome_of(result);
    PQclear(result);
    return outcome;
  }
  // In pipeline mode: "ok", an error's SQLSTATE, "sync" or "aborted" for the next result, with
  // the end of that query's results read too.
  std::string next_in_pipeline() {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) return "no result";
    bool sync = PQresultStatus(result) == PGRES_PIPELINE_SYNC;
    std::string outcome = sync ? "sync"
                          : PQresultStatus(result) == PGRES_PIPELINE_ABORTED ? "aborted"
                          : outcome_of(result).empty()                      ? "ok"
                                                                             : outcome_of(result);
    PQclear(result);
    if (!sync) {
      EXPECT_EQ(PQgetResult(conn_), nullptr);
    }
    return outcome;
  }
  void send(const char* sql) {
    EXPECT_EQ(PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0), 1)
        << PQerrorMessage(conn_);
  }
  // Sends `steps` in pipeline mode, each a query or "Sync", then reads an outcome per step (as
  // next_in_pipeline()).
  std::vector<std::string> pipeline(const std::vector<const char*>& steps) {
    EXPECT_EQ(PQenterPipelineMode(conn_), 1);
    for (const char* step : steps) {
      if (std::string_view(step) == "Sync") {
        EXPECT_EQ(PQpipelineSync(conn_), 1);
      } else {
        send(step);
      }
    }
    std::vector<std::string> outcomes;
    for (std::size_t i = 0; i < steps.size(); ++i) outcomes.push_back(next_in_pipeline());
    return outcomes;
  }

 private:
  static std::string outcome_of(PGresult* result) {
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return "";
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    return sqlstate == nullptr ? "no SQLSTATE" : sqlstate;
  }

  PGconn* conn_ = nullptr;
};

class ProxyClients : public testing::TestWithParam<Backend> {};

TEST_P(ProxyClients, WritesAndAttemptsToLiftItFailWith25006AndReadsGoOn) {
  ScratchDatabase scratch(Backend::kPostgres);
  scratch.connect()->execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
  RunningProxy proxy(scratch.name());
  auto session = proxy.connect();
  session->execute("INSERT INTO t VALUES (1, 'before')");
  // Prepared before the mode, to lift it later: dropped when the mode comes.
  session->execute(
      "PREPARE lift AS SELECT set_config('default_transaction_read_only', 'off', false)");

  ASSERT_EQ(proxy.ctl("readonly").exit_code, 0);
  EXPECT_EQ(sqlstate_of([&] { session->execute("EXECUTE lift"); }), "26000");
  EXPECT_EQ(session->query("SELECT count(*) FROM t").scalar().as_int(), 1);
  EXPECT_EQ(sqlstate_of([&] { session->execute("INSERT INTO t VALUES (2, 'during')"); }), "25006");
  for (const char* lift : {"SET default_transaction_read_only = off",
                           "SET SESSION CHARACTERISTICS AS TRANSACTION "
                           "READ WRITE",
                           "BEGIN READ WRITE", "RESET ALL",
                           "SELECT set_config('default_transaction_read_only', "
                           "'off', false)",
                           "SELECT 1; SET default_transaction_read_only TO DEFAULT",
                           "DO $$BEGIN EXECUTE 'SET default_transaction_read_only = off'; END$$"}) {
    EXPECT_EQ(sqlstate_of([&] { session->execute(lift); }), "25006") << lift;
    session->execute("ROLLBACK");  // ends what a refused BEGIN may have left open
    EXPECT_EQ(sqlstate_of([&] { session->execute("INSERT INTO t VALUES (3, 'lifted?')"); }),
              "25006")
        << "after " << lift;
  }
  // The simple protocol (psql -c sends one Query) with several statements in one string.
  std::string password = proxy.client_password();
  auto psql = test::run_process(
      {test::find_program("psql"), proxy.url(), "-c",
       "SELECT 1; set /* comment */ \"default_transaction_read_only\" = 'off'; INSERT INTO t "
       "VALUES (9, 'x')"},
      {{"PGPASSWORD", password}});
  EXPECT_NE(psql.exit_code, 0);
  EXPECT_NE(psql.err.find("cannot execute SET"), std::string::npos) << test::describe(psql);
  // A new session is read-only from its first transaction.
  auto fresh = proxy.connect();
  EXPECT_EQ(sqlstate_of([&] { fresh->execute("UPDATE t SET v = 'x'"); }), "25006");

  ASSERT_EQ(proxy.ctl("readwrite").exit_code, 0);
  session->execute("INSERT INTO t VALUES (4, 'after')");
  fresh->execute("INSERT INTO t VALUES (5, 'after')");
  EXPECT_EQ(scratch.connect()->query("SELECT count(*) FROM t").scalar().as_int(), 3);

  auto status = proxy.ctl("status");
  EXPECT_NE(status.out.find("\"read-write\""), std::string::npos) << test::describe(status);
}

// A session in a transaction when the mode begins finishes it read-write, and takes the mode
// at its end: one Query that ends it and goes on must not write in between.
TEST_P(ProxyClients, AQueryThatEndsATransactionOpenWhenReadOnlyBeganCannotWriteAfter) {
  ScratchDatabase scratch(Backend::kPostgres);
  scratch.connect()->execute("CREATE TABLE t (id int)");
  RunningProxy proxy(scratch.name());
  const std::vector<std::string> attempts{
      "COMMIT; INSERT INTO t VALUES (1)",
      "end; INSERT INTO t VALUES (2)",
      "ROLLBACK; INSERT INTO t VALUES (3)",
      "ABORT; INSERT INTO t VALUES (4)",
      "COMMIT AND CHAIN",  // the chained transaction would be read-write too
      "PREPARE TRANSACTION 'x'; INSERT INTO t VALUES (6)",
      "SELECT 1; COMMIT; /* ; */ INSERT INTO t VALUES (7)"};
  std::vector<std::unique_ptr<LibpqSession>> sessions;
  for (std::size_t i = 0; i <= attempts.size(); ++i) {
    sessions.push_back(std::make_unique<LibpqSession>(proxy));
    ASSERT_EQ(sessions.back()->exec("BEGIN"), "");
    ASSERT_EQ(sessions.back()->exec("SELECT 1"), "");
  }
  ASSERT_EQ(proxy.ctl("readonly").exit_code, 0);
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    LibpqSession& session = *sessions[i];
    EXPECT_EQ(session.exec(attempts[i]), "25006") << attempts[i];
    EXPECT_EQ(session.exec("INSERT INTO t VALUES (10)"), "25P02") << attempts[i];  // aborted
    EXPECT_EQ(session.exec("ROLLBACK"), "") << attempts[i];
    EXPECT_EQ(session.exec("INSERT INTO t VALUES (11)"), "25006") << attempts[i];
  }
  // A transaction in flight still finishes: its end may come last in a Query.
  EXPECT_EQ(sessions.back()->exec("INSERT INTO t VALUES (12); COMMIT"), "");
  EXPECT_EQ(sessions.back()->exec("INSERT INTO t VALUES (13)"), "25006");
  auto ids = scratch.connect()->query("SELECT id FROM t");
  ASSERT_EQ(ids.rows.size(), 1u);
  EXPECT_EQ(ids.rows[0][0].as_int(), 12);
}

// The same through libpq's pipeline mode: the COMMIT's answer has not come back through the
// proxy when the INSERT arrives, in the same batch (one Sync) or the next.
TEST_P(ProxyClients, APipelineThatEndsATransactionOpenWhenReadOnlyBeganCannotWriteAfter) {
  ScratchDatabase scratch(Backend::kPostgres);
  scratch.connect()->execute("CREATE TABLE t (id int)");
  RunningProxy proxy(scratch.name());
  LibpqSession one_batch(proxy), two_batches(proxy), prepared_before(proxy), in_flight(proxy);
  for (LibpqSession* session : {&one_batch, &two_batches, &prepared_before, &in_flight}) {
    ASSERT_EQ(session->exec("BEGIN"), "");
    ASSERT_EQ(session->exec("SELECT 1"), "");
  }
  PGresult* prepared = PQprepare(prepared_before.get(), "end_it", "COMMIT", 0, nullptr);
  ASSERT_EQ(PQresultStatus(prepared), PGRES_COMMAND_OK) << PQerrorMessage(prepared_before.get());
  PQclear(prepared);
  ASSERT_EQ(proxy.ctl("readonly").exit_code, 0);

  using Outcomes = std::vector<std::string>;
  EXPECT_EQ(one_batch.pipeline({"COMMIT", "INSERT INTO t VALUES (1)", "SELECT 1", "Sync"}),
            (Outcomes{"ok", "25006", "aborted", "sync"}));
  // The sleep keeps the COMMIT's answer back until the INSERT's batch has reached the proxy.
  EXPECT_EQ(two_batches.pipeline(
                {"SELECT pg_sleep(0.5)", "COMMIT", "Sync", "INSERT INTO t VALUES (2)", "Sync"}),
            (Outcomes{"ok", "ok", "sync", "25006", "sync"}));

  // COMMIT prepared before the mode, then an INSERT in the same batch.
  ASSERT_EQ(PQenterPipelineMode(prepared_before.get()), 1);
  ASSERT_EQ(PQsendQueryPrepared(prepared_before.get(), "end_it", 0, nullptr, nullptr, nullptr, 0),
            1);
  prepared_before.send("INSERT INTO t VALUES (3)");
  ASSERT_EQ(PQpipelineSync(prepared_before.get()), 1);
  for (const char* expected : {"ok", "25006", "sync"}) {
    EXPECT_EQ(prepared_before.next_in_pipeline(), expected);
  }

  // A transaction in flight finishes, pipelined: its write lands, the next one is refused.
  EXPECT_EQ(in_flight.pipeline({"INSERT INTO t VALUES (4)", "COMMIT", "Sync",
                                "INSERT INTO t VALUES (5)", "Sync"}),
            (Outcomes{"ok", "ok", "sync", "25006", "sync"}));

  for (LibpqSession* session : {&one_batch, &two_batches, &prepared_before, &in_flight}) {
    ASSERT_EQ(PQexitPipelineMode(session->get()), 1) << PQerrorMessage(session->get());
    EXPECT_EQ(session->exec("INSERT INTO t VALUES (6)"), "25006");
  }
  auto ids = scratch.connect()->query("SELECT id FROM t");
  ASSERT_EQ(ids.rows.size(), 1u);
  EXPECT_EQ(ids.rows[0][0].as_int(), 4);
}

TEST_P(ProxyClients, PsqlAndPgbenchPreparedRunThroughTheProxy) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name());
  std::string password = proxy.client_password();
  // The clients' own login to the proxy, as libpq reads it: never on a command line.
  std::map<std::string, std::optional<std::string>> env{{"PGPASSWORD", password}};
  auto init =
      test::run_process({test::find_program("pgbench"), "-i", "-q", "-s", "1", proxy.url()}, env);
  EXPECT_EQ(init.exit_code, 0) << test::describe(init);
  auto bench = test::run_process({test::find_program("pgbench"), "-M", "prepared", "-c", "4", "-j",
                                  "2", "-T", "3", proxy.url()},
                                 env);
  EXPECT_EQ(bench.exit_code, 0) << test::describe(bench);
  EXPECT_NE(bench.out.find("failed transactions: 0 "), std::string::npos) << bench.out;
  auto psql = test::run_process(
      {test::find_program("psql"), proxy.url(), "-Atc", "SELECT count(*) FROM pgbench_branches"},
      env);
  EXPECT_EQ(psql.exit_code, 0) << test::describe(psql);
  EXPECT_EQ(psql.out, "1\n");
}

// Each client with its own small workload, a cancel, and checked results.
TEST_P(ProxyClients, Psycopg2JdbcAndPgbenchInEveryModeAndPipelineMode) {
  ScratchDatabase scratch(Backend::kPostgres);
  ASSERT_NO_FATAL_FAILURE(pgbench_init(scratch.url()));
  RunningProxy proxy(scratch.name());
  std::string password = proxy.client_password();
  auto where = parse_connection_url(proxy.url());
  std::string user = RunningProxy::backend_user();
  std::map<std::string, std::optional<std::string>> env{
      {"PGPASSWORD", password},
      {"PROXY_DSN", "host=127.0.0.1 port=" + std::to_string(where.port.value()) +
                        " dbname=" + scratch.name() + " user=" + user},
      {"PROXY_JDBC_URL",
       "jdbc:postgresql://127.0.0.1:" + std::to_string(where.port.value()) + "/" + scratch.name()},
      {"PROXY_USER", user}};
  fs::path clients = fs::path(CUTOVER_SOURCE_DIR) / "tests/integration/proxy_clients";

  // Debian's own interpreter: python3-psycopg2 installs for it, not for another on PATH.
  auto python =
      test::run_process({"/usr/bin/python3", (clients / "psycopg2_client.py").string()}, env);
  EXPECT_EQ(python.exit_code, 0) << test::describe(python);
  EXPECT_EQ(python.out, "ok\n") << test::describe(python);

  auto java =
      test::run_process({test::find_program("java"), "-cp", "/usr/share/java/postgresql.jar",
                         (clients / "JdbcClient.java").string()},
                        env);
  EXPECT_EQ(java.exit_code, 0) << test::describe(java);
  EXPECT_EQ(java.out, "ok\n") << test::describe(java);

  for (const char* mode : {"simple", "extended", "prepared"}) {
    auto bench = test::run_process({test::find_program("pgbench"), "-M", mode, "-c", "4", "-j", "2",
                                    "-t", "200", "-n", proxy.url()},
                                   env);
    EXPECT_EQ(bench.exit_code, 0) << mode << ": " << test::describe(bench);
    EXPECT_NE(bench.out.find("number of transactions actually processed: 800/800"),
              std::string::npos)
        << mode << ": " << bench.out;
  }
  auto balance = [&] {
    return scratch.connect()->query("SELECT sum(abalance) FROM pgbench_accounts").scalar().as_int();
  };
  std::int64_t before = balance();
  auto pipeline =
      test::run_process({test::find_program("pgbench"), "-M", "extended", "-c", "2", "-t", "100",
                         "-n", "-f", (clients / "pipeline.pgbench").string(), proxy.url()},
                        env);
  EXPECT_EQ(pipeline.exit_code, 0) << test::describe(pipeline);
  EXPECT_NE(pipeline.out.find("actually processed: 200/200"), std::string::npos) << pipeline.out;
  // The pipelines' 200 updates, each +1, all arrived.
  EXPECT_EQ(balance() - before, 200);
}

void expect_a_wrong_password_refused(const RunningProxy& proxy) {
  fs::path wrong = fs::temp_directory_path() / ("cutover-proxy-wrong-" + std::to_string(getpid()));
  write_private_file(wrong, "not the password\n");
  try {
    db::connect(proxy.url(), {.password_file = wrong.string()});
    ADD_FAILURE() << "a wrong password logged in";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("password authentication failed"), std::string::npos) << e.message();
  }
  fs::remove(wrong);
}

TEST_P(ProxyClients, AWrongPasswordIsRefusedWith28P01) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name());
  expect_a_wrong_password_refused(proxy);
}

TEST_P(ProxyClients, ClientsMayUseTlsAndCancelAQuery) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name(), {.tls = true});
  std::string password = proxy.client_password();
  auto psql = test::run_process(
      {test::find_program("psql"), proxy.url() + "?sslmode=require", "-Atc", "\\conninfo"},
      {{"PGPASSWORD", password}});
  EXPECT_EQ(psql.exit_code, 0) << test::describe(psql);
  EXPECT_NE(psql.out.find("SSL connection"), std::string::npos) << psql.out;

  auto session = proxy.connect();
  auto canceller = session->canceller();
  std::thread cancel([&] {
    auto observer = scratch.connect();
    test::poll_until("the sleep runs on the server", [&] {
      return observer
                 ->query(
                     "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' "
                     "AND state = 'active'")
                 .scalar()
                 .as_int() == 1;
    });
    canceller->cancel();
  });
  // Cancelled (57014), not finished: the proxy passed the cancel to the right backend session.
  EXPECT_EQ(sqlstate_of([&] { session->execute("SELECT pg_sleep(30)"); }), "57014");
  cancel.join();
  EXPECT_EQ(session->query("SELECT 1").scalar().as_int(), 1);  // the session goes on
}

TEST_P(ProxyClients, WorkHeldPastTheHoldLimitGets57P03AndTheSessionGoesOn) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name(), {.extra = "hold_limit: 300ms\n"});
  auto session = proxy.connect();
  ASSERT_EQ(proxy.ctl("pause").exit_code, 0);
  // Through the extended protocol (a batch up to Sync) and the simple one (one Query).
  EXPECT_EQ(sqlstate_of([&] { session->query("SELECT 1"); }), "57P03");
  std::string password = proxy.client_password();
  std::map<std::string, std::optional<std::string>> env{{"PGPASSWORD", password}};
  auto psql = test::run_process(
      {test::find_program("psql"), proxy.url(), "-c", "SELECT 1", "-c", "SELECT 2"}, env);
  EXPECT_NE(psql.err.find("paused for longer than its hold limit"), std::string::npos)
      << test::describe(psql);
  ASSERT_EQ(proxy.ctl("resume").exit_code, 0);
  EXPECT_EQ(session->query("SELECT 2").scalar().as_int(), 2);
}

TEST_P(ProxyClients, AMalformedClientIsClosedWith08P01AndOthersGoOn) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name());
  auto session = proxy.connect();
  // A startup packet whose length word says 4 (less than its own 8-byte header), an oversized
  // one, one naming two users (the proxy would check one, PostgreSQL log in the other): each
  // closed with a FATAL 08P01, never a crash.
  std::string two_users("\0\x03\0\0user\0app\0user\0postgres\0\0", 27);
  two_users = std::string{'\0', '\0', '\0', static_cast<char>(two_users.size() + 4)} + two_users;
  for (std::string packet : {std::string("\0\0\0\x04\0\x03\0\0", 8),
                             std::string("\x7f\xff\xff\xff\0\x03\0\0", 8), two_users}) {
    int fd = connect_raw(proxy.port());
    ASSERT_EQ(::write(fd, packet.data(), packet.size()), static_cast<ssize_t>(packet.size()));
    std::string answer = read_some(fd);
    ::close(fd);
    ASSERT_FALSE(answer.empty());
    EXPECT_EQ(answer[0], 'E');
    EXPECT_NE(answer.find("C08P01"), std::string::npos);
  }
  EXPECT_EQ(session->query("SELECT 3").scalar().as_int(), 3);
  EXPECT_TRUE(proxy.process().running());
}

// Before its login a client sends only small messages: a password message announcing a
// megabyte is refused at its length word, before the proxy waits for (and holds) its bytes.
TEST_P(ProxyClients, AHugeMessageBeforeLoginIsRefusedWith08P01) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name());
  std::string parameters = "user";
  parameters += '\0' + RunningProxy::backend_user() + '\0' + "database" + '\0' + scratch.name() +
                '\0' + '\0';
  using proxy::test::be32;
  std::string startup = proxy::test::untyped(be32(3 << 16) + parameters);
  int fd = connect_raw(proxy.port());
  ASSERT_EQ(::write(fd, startup.data(), startup.size()), static_cast<ssize_t>(startup.size()));
  std::string asked = read_some(fd);
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked[0], 'R');  // the proxy asks for the password
  std::string huge = "p" + be32(1 << 20) + "n,,n=,r=";
  ASSERT_EQ(::write(fd, huge.data(), huge.size()), static_cast<ssize_t>(huge.size()));
  std::string answer = read_some(fd);
  ASSERT_FALSE(answer.empty()) << "no answer: the proxy waits for the megabyte";
  EXPECT_EQ(answer[0], 'E');
  EXPECT_NE(answer.find("C08P01"), std::string::npos) << answer;
  EXPECT_NE(answer.find("over the limit of 65536"), std::string::npos) << answer;
  EXPECT_EQ(read_some(fd), "");  // closed
  ::close(fd);
  auto session = proxy.connect();  // others log in as before
  EXPECT_EQ(session->query("SELECT 5").scalar().as_int(), 5);
}

TEST_P(ProxyClients, SigtermWaitsForOpenSessionsThenExitsZero) {
  ScratchDatabase scratch(Backend::kPostgres);
  auto proxy = std::make_unique<RunningProxy>(scratch.name());
  auto session = proxy->connect();
  proxy->process().kill(SIGTERM);
  test::poll_until("the proxy says it drains", [&] {
    return proxy->process().output_so_far().find("\"draining\"") != std::string::npos;
  });
  EXPECT_EQ(session->query("SELECT 4").scalar().as_int(), 4);  // open sessions go on
  EXPECT_TRUE(proxy->process().running());
  session.reset();  // the last session ends: the proxy exits
  auto result = proxy->process().wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << test::describe(result);
}

TEST_P(ProxyClients, SigtermClosesSessionsStillOpenAfterThePauseTimeoutAndExitsZero) {
  ScratchDatabase scratch(Backend::kPostgres);
  auto proxy = std::make_unique<RunningProxy>(scratch.name(),
                                              ProxyOptions{.extra = "pause_timeout: 300ms\n"});
  auto session = proxy->connect();
  proxy->process().kill(SIGTERM);
  auto result = proxy->process().wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << test::describe(result);
  EXPECT_NE(result.out.find("1 session(s) still open were closed"), std::string::npos)
      << result.out;
}

INSTANTIATE_TEST_SUITE_P(Postgres, ProxyClients, testing::Values(Backend::kPostgres));

// The probe as an application behind the proxy: 2 readers and 2 writers, 100 operations a
// second each, until stopped.
probe::ProbeOptions probe_through(const RunningProxy& proxy) {
  probe::ProbeOptions options;
  options.url = proxy.url();
  options.password_file = proxy.password_file().string();
  options.duration = std::chrono::seconds(60);
  options.readers = 2;
  options.writers = 2;
  options.rate = 100;
  return options;
}

// The same database on the second test server, dropped at the end.
class StandbyDatabase {
 public:
  explicit StandbyDatabase(const std::string& name)
      : name_(name), admin_(db::connect(test::postgres2_url())) {
    admin_->execute("DROP DATABASE IF EXISTS " + admin_->quote_identifier(name_));
    admin_->execute("CREATE DATABASE " + admin_->quote_identifier(name_));
  }
  ~StandbyDatabase() {
    admin_->execute("DROP DATABASE IF EXISTS " + admin_->quote_identifier(name_) + " WITH (FORCE)");
  }
  std::string url() const { return test::with_database(test::postgres2_url(), name_); }

 private:
  std::string name_;
  std::unique_ptr<db::Connection> admin_;
};

// Copies the probe's rows to the standby: what a move's data step does while writes wait.
void copy_probe_rows(const std::string& from_url, const std::string& to_url) {
  auto from = db::connect(from_url);
  auto to = db::connect(to_url);
  auto rows = from->query("SELECT run_id, writer, seq, client_us FROM cutover_probe");
  to->execute("BEGIN");
  for (const auto& row : rows.rows) {
    to->execute(
        "INSERT INTO cutover_probe (run_id, writer, seq, client_us) VALUES ($1, $2, $3, $4)",
        {row[0], row[1], row[2], row[3]});
  }
  to->execute("COMMIT");
}

// Stops the probe and its thread; every read and write must have been answered. Prints the
// longest gaps, `when` saying what was going on.
void stop_and_expect_every_operation_answered(probe::Probe& probe, std::thread& probe_thread,
                                              const std::string& when) {
  probe.stop();
  probe_thread.join();
  auto analysis = probe::analyze(probe.record());
  EXPECT_EQ(analysis.reads.ok, analysis.reads.total);
  EXPECT_EQ(analysis.writes.ok, analysis.writes.total);
  std::cout << "[ measured ] " << when << "the probe's longest time without a successful write: "
            << analysis.writes.longest_without_success_us / 1000 << " ms; reads "
            << analysis.reads.longest_without_success_us / 1000 << " ms" << std::endl;
}

// Waits for pgbench to end: exit 0 and no failed transaction.
void expect_pgbench_failed_nothing(test::SpawnedProcess& bench) {
  auto result = bench.wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << test::describe(result);
  EXPECT_NE(result.out.find("failed transactions: 0 "), std::string::npos) << result.out;
}

// Every write the probe saw acknowledged is in the database at `url` (and there were some).
void expect_every_acknowledged_write_in(const probe::Probe& probe, const std::string& url) {
  std::set<std::pair<std::int64_t, std::int64_t>> found;
  for (const auto& row : db::connect(url)
                             ->query("SELECT writer, seq FROM cutover_probe WHERE run_id = $1",
                                     {probe.record().run_id})
                             .rows) {
    found.emplace(row[0].as_int(), row[1].as_int());
  }
  std::int64_t acknowledged = 0;
  for (const auto& op : probe.record().operations) {
    if (op.kind != probe::OpKind::kWrite || !op.ok()) continue;
    ++acknowledged;
    EXPECT_TRUE(found.count({op.worker, op.write_seq})) << op.worker << "/" << op.write_seq;
  }
  EXPECT_GT(acknowledged, 100);
}

// With an application running through the proxy: pgbench and the probe.
class ProxyUnderLoad : public testing::TestWithParam<Backend> {};

TEST_P(ProxyUnderLoad, PauseSwitchResumeUnderPgbenchAndTheProbeFailsNothing) {
  ScratchDatabase scratch(Backend::kPostgres);
  StandbyDatabase standby(scratch.name());
  for (const auto& url : {scratch.url(), standby.url()}) {
    ASSERT_NO_FATAL_FAILURE(pgbench_init(url));
  }
  RunningProxy proxy(scratch.name(), {.standby_url = standby.url()});
  std::string password = proxy.client_password();

  probe::ProbeOptions options = probe_through(proxy);
  probe::Probe probe(options);
  probe.prepare();
  {  // the probe's table on the standby too, empty
    probe::ProbeOptions standby_options = options;
    standby_options.url = standby.url();
    standby_options.password_file.reset();
    probe::Probe(standby_options).prepare();
  }
  std::thread probe_thread([&] { probe.run(); });
  test::SpawnedProcess bench({test::find_program("pgbench"), "-M", "prepared", "-c", "8", "-j", "2",
                              "-T", "8", "-n", proxy.url()},
                             {{"PGPASSWORD", password}});
  test::poll_until("the probe and pgbench are under way", [&] {
    auto status = test::json_events(proxy.ctl("status").out).at(0)["result"];
    return probe.counts().writes_ok >= 100 && status["clients_active"].get<int>() >= 8 + 2 + 2;
  });

  // Every session logs in to the standby ahead, so that the pause only replays their state.
  // pgbench's 8 sessions live throughout; a probe session that is opening again after a slow
  // operation (a loaded machine) is not there to prepare, and is moved by the switch instead.
  auto prepare = proxy.ctl("prepare", {"--backend", "standby"});
  ASSERT_EQ(prepare.exit_code, 0) << test::describe(prepare);
  auto prepared = test::json_events(prepare.out).at(0)["result"];
  EXPECT_GE(prepared["prepared"].get<int>(), 8) << prepare.out;
  EXPECT_TRUE(prepared["failed"].empty()) << prepare.out;
  auto pause = proxy.ctl("pause", {"--timeout", "5s"});
  ASSERT_EQ(pause.exit_code, 0) << test::describe(pause);
  auto paused = test::json_events(pause.out).at(0)["result"];
  EXPECT_EQ(paused["busy_sessions"], 0) << pause.out;
  copy_probe_rows(scratch.url(), standby.url());
  auto moved = proxy.ctl("switch", {"--backend", "standby"});
  ASSERT_EQ(moved.exit_code, 0) << test::describe(moved);
  auto switched = test::json_events(moved.out).at(0)["result"];
  EXPECT_GE(switched["switched"].get<int>(), 8 + 2 + 2) << moved.out;
  EXPECT_TRUE(switched["failed"].empty()) << moved.out;
  auto resumed = proxy.ctl("resume");
  ASSERT_EQ(resumed.exit_code, 0) << test::describe(resumed);
  std::cout << "[ measured ] paused " << paused["waited_ms"] << " ms until idle; pause to resume "
            << test::json_events(resumed.out).at(0)["result"]["paused_ms"] << " ms" << std::endl;

  expect_pgbench_failed_nothing(bench);
  test::poll_until("the probe wrote on the standby", [&] {
    return db::connect(standby.url())
               ->query("SELECT count(*) FROM cutover_probe WHERE run_id = $1",
                       {probe.record().run_id})
               .scalar()
               .as_int() > static_cast<std::int64_t>(probe.counts().writes_ok / 2);
  });
  stop_and_expect_every_operation_answered(probe, probe_thread, "");
  // Every acknowledged write is on the standby: written there, or copied while paused.
  expect_every_acknowledged_write_in(probe, standby.url());
}

TEST_P(ProxyUnderLoad, ReadOnlyForFiveSecondsRefusesWritesOnlyThenAndLosesNothing) {
  ScratchDatabase scratch(Backend::kPostgres);
  ASSERT_NO_FATAL_FAILURE(pgbench_init(scratch.url()));
  RunningProxy proxy(scratch.name());
  std::string password = proxy.client_password();
  probe::ProbeOptions options = probe_through(proxy);
  probe::Probe probe(options);
  probe.prepare();
  std::thread probe_thread([&] { probe.run(); });
  // Reads only: pgbench stops a client at its first error, and writes do fail in the window.
  test::SpawnedProcess bench({test::find_program("pgbench"), "-S", "-M", "prepared", "-c", "8",
                              "-j", "2", "-T", "9", "-n", proxy.url()},
                             {{"PGPASSWORD", password}});
  test::poll_until("the probe and pgbench are under way", [&] {
    auto status = test::json_events(proxy.ctl("status").out).at(0)["result"];
    return probe.counts().writes_ok >= 100 && status["clients_active"].get<int>() >= 8 + 2 + 2;
  });
  std::int64_t asked = probe.elapsed_us();
  ASSERT_EQ(proxy.ctl("readonly").exit_code, 0);
  std::int64_t on = probe.elapsed_us();
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the read-only window itself
  std::int64_t lifting = probe.elapsed_us();
  ASSERT_EQ(proxy.ctl("readwrite").exit_code, 0);
  std::int64_t off = probe.elapsed_us();
  test::poll_until("writes go on after the window",
                   [&] { return probe.elapsed_us() > off + 1'000'000; });
  probe.stop();
  probe_thread.join();
  probe.verify();
  expect_pgbench_failed_nothing(bench);

  auto analysis = probe::analyze(probe.record());
  EXPECT_EQ(analysis.reads.ok, analysis.reads.total);
  std::string windows;
  for (const auto& w : analysis.writes.windows) {
    windows +=
        " " + std::to_string(w.start_us / 1000) + ".." + std::to_string(w.end_us / 1000) + " ms:";
    for (const auto& [cls, n] : w.errors) windows += " " + cls + " x" + std::to_string(n);
  }
  // Sessions take the mode at their own next statement, so at the edges one writer may already
  // write while another is still refused: windows may touch, but each is of refusals only.
  ASSERT_FALSE(analysis.writes.windows.empty());
  for (const auto& w : analysis.writes.windows) {
    EXPECT_EQ(w.errors.size(), 1u) << windows;
    EXPECT_EQ(w.errors.count("SQLSTATE 25006"), 1u) << windows;
  }
  std::cout << "[ measured ] read-only asked at " << asked / 1000 << " ms, on at " << on / 1000
            << " ms, lifted at " << lifting / 1000 << ".." << off / 1000
            << " ms; the probe's write windows" << windows << std::endl;
  for (const auto& op : probe.record().operations) {
    if (op.kind != probe::OpKind::kWrite) continue;
    if (op.ok()) {  // nothing written once the mode was on, until it was lifted
      EXPECT_FALSE(op.start_us >= on && op.end_us <= lifting) << op.start_us / 1000 << " ms";
    } else {  // refused only in the window
      EXPECT_GE(op.end_us, asked);
      EXPECT_LE(op.start_us, off);
    }
  }
  const auto& v = probe.record().verification;
  EXPECT_TRUE(v.lost.empty());
  EXPECT_TRUE(v.duplicated.empty());
  EXPECT_EQ(v.found, v.acknowledged);
}

TEST_P(ProxyUnderLoad, SighupAddsABackendThatASwitchThenUses) {
  ScratchDatabase scratch(Backend::kPostgres);
  StandbyDatabase standby(scratch.name());
  scratch.connect()->execute("CREATE TABLE whereami AS SELECT 'primary' AS server");
  db::connect(standby.url())->execute("CREATE TABLE whereami AS SELECT 'standby' AS server");
  RunningProxy proxy(scratch.name());
  auto session = proxy.connect();
  ASSERT_EQ(proxy.ctl("pause").exit_code, 0);
  auto unknown = proxy.ctl("switch", {"--backend", "standby"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("no backend is called 'standby'"), std::string::npos)
      << test::describe(unknown);

  proxy.reload({.standby_url = standby.url()});
  auto moved = proxy.ctl("switch", {"--backend", "standby"});
  EXPECT_EQ(moved.exit_code, 0) << test::describe(moved);
  ASSERT_EQ(proxy.ctl("resume").exit_code, 0);
  EXPECT_EQ(session->query("SELECT server FROM whereami").scalar().text(), "standby");
  // A config with a mistake changes nothing, and says so.
  proxy.reload({.standby_url = standby.url(), .extra = "max_clients: many\n"});
  EXPECT_NE(proxy.process().output_so_far().find("reload_failed"), std::string::npos);
  EXPECT_EQ(proxy.connect()->query("SELECT server FROM whereami").scalar().text(), "standby");
}

TEST_P(ProxyUnderLoad, APreparedSwitchThatDoesNotHappenLeavesNoConnectionBehind) {
  ScratchDatabase scratch(Backend::kPostgres);
  StandbyDatabase standby(scratch.name());
  RunningProxy proxy(scratch.name(), {.standby_url = standby.url()});
  std::vector<std::unique_ptr<db::Connection>> sessions;
  for (int i = 0; i < 3; ++i) sessions.push_back(proxy.connect());
  auto on_standby = [&] {
    return db::connect(test::postgres2_url())
        ->query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                {db::Value(scratch.name())})
        .scalar()
        .as_int();
  };
  auto prepare = proxy.ctl("prepare", {"--backend", "standby"});
  ASSERT_EQ(prepare.exit_code, 0) << test::describe(prepare);
  EXPECT_EQ(test::json_events(prepare.out).at(0)["result"]["prepared"], 3) << prepare.out;
  EXPECT_EQ(on_standby(), 3);
  for (auto& s : sessions) EXPECT_EQ(s->query("SELECT 5").scalar().as_int(), 5);  // unmoved
  ASSERT_EQ(proxy.ctl("resume").exit_code, 0);  // no switch came: the logins are closed
  test::poll_until("the prepared logins are gone", [&] { return on_standby() == 0; });
  for (auto& s : sessions) EXPECT_EQ(s->query("SELECT 6").scalar().as_int(), 6);
}

TEST_P(ProxyUnderLoad, ASessionTheSwitchCannotMoveIsClosedNotLeftOnTheOldBackend) {
  ScratchDatabase scratch(Backend::kPostgres);
  // The second server lacks the database: no session can log in there.
  RunningProxy proxy(scratch.name(),
                     {.standby_url = test::with_database(test::postgres2_url(), scratch.name())});
  auto session = proxy.connect();
  session->execute("CREATE TABLE t (id int)");
  ASSERT_EQ(proxy.ctl("pause").exit_code, 0);
  auto moved = proxy.ctl("switch", {"--backend", "standby"});
  ASSERT_EQ(moved.exit_code, 0) << test::describe(moved);
  auto result = test::json_events(moved.out).at(0)["result"];
  ASSERT_EQ(result["failed"].size(), 1u) << moved.out;
  EXPECT_NE(result["failed"][0]["error"].get<std::string>().find("does not exist"),
            std::string::npos)
      << moved.out;
  ASSERT_EQ(proxy.ctl("resume").exit_code, 0);
  // Its client must reconnect (to the new backend), not go on writing to the old one.
  EXPECT_THROW(session->execute("INSERT INTO t VALUES (1)"), Error);
  EXPECT_EQ(scratch.connect()->query("SELECT count(*) FROM t").scalar().as_int(), 0);
}

// The proxy killed with SIGKILL and started again, as a crash, a deploy or a Pod's restart does:
// it comes back in the mode and on the backend it had, never read-write on the config's
// `active` behind an operator's back.
class ProxyRestart : public testing::TestWithParam<Backend> {};

TEST_P(ProxyRestart, ReadOnlyOutlivesKillDashNineAndASighupUntilReadWriteIsAskedFor) {
  ScratchDatabase scratch(Backend::kPostgres);
  scratch.connect()->execute("CREATE TABLE t (id int)");
  RunningProxy proxy(scratch.name());
  ASSERT_EQ(proxy.ctl("readonly").exit_code, 0);

  proxy.crash();
  proxy.start();
  auto session = proxy.connect();
  EXPECT_EQ(sqlstate_of([&] { session->execute("INSERT INTO t VALUES (1)"); }), "25006");
  EXPECT_EQ(session->query("SELECT count(*) FROM t").scalar().as_int(), 0);  // reads go on
  auto status = proxy.status();
  EXPECT_EQ(status["mode"], "read-only") << status.dump();
  EXPECT_EQ(status["restored"]["mode"], "read-only") << status.dump();
  EXPECT_EQ(status["restored"]["from"], proxy.state_file().string()) << status.dump();
  EXPECT_EQ(status["restored"]["mode_since"], status["mode_since"]) << status.dump();
  EXPECT_NE(proxy.process().output_so_far().find("\"restored\""), std::string::npos);

  proxy.reload({});
  EXPECT_EQ(sqlstate_of([&] { proxy.connect()->execute("INSERT INTO t VALUES (2)"); }), "25006");

  // Lifted on purpose: that is kept too.
  ASSERT_EQ(proxy.ctl("readwrite").exit_code, 0);
  proxy.crash();
  proxy.start();
  proxy.connect()->execute("INSERT INTO t VALUES (3)");
  EXPECT_EQ(scratch.connect()->query("SELECT count(*) FROM t").scalar().as_int(), 1);
}

TEST_P(ProxyRestart, ASwitchedBackendOutlivesKillDashNineAndASighup) {
  ScratchDatabase scratch(Backend::kPostgres);
  StandbyDatabase standby(scratch.name());
  scratch.connect()->execute("CREATE TABLE whereami AS SELECT 'primary' AS server");
  db::connect(standby.url())->execute("CREATE TABLE whereami AS SELECT 'standby' AS server");
  RunningProxy proxy(scratch.name(), {.standby_url = standby.url()});  // active: primary
  auto session = proxy.connect();
  ASSERT_EQ(proxy.ctl("pause").exit_code, 0);
  auto moved = proxy.ctl("switch", {"--backend", "standby"});
  ASSERT_EQ(moved.exit_code, 0) << test::describe(moved);
  ASSERT_EQ(proxy.ctl("resume").exit_code, 0);
  session->execute("INSERT INTO whereami VALUES ('written before the crash')");

  proxy.crash();
  proxy.start();
  auto after = proxy.connect();
  EXPECT_EQ(after->query("SELECT server FROM whereami WHERE server IN ('primary', 'standby')")
                .scalar()
                .text(),
            "standby");
  after->execute("INSERT INTO whereami VALUES ('written after the restart')");
  EXPECT_EQ(proxy.status()["backend"], "standby");
  proxy.reload({.standby_url = standby.url()});
  EXPECT_EQ(proxy.connect()
                ->query("SELECT server FROM whereami WHERE server IN ('primary', 'standby')")
                .scalar()
                .text(),
            "standby");
  // Every write went to the backend the switch chose; none to the old one.
  EXPECT_EQ(db::connect(standby.url())->query("SELECT count(*) FROM whereami").scalar().as_int(),
            3);
  EXPECT_EQ(scratch.connect()->query("SELECT count(*) FROM whereami").scalar().as_int(), 1);
}

TEST_P(ProxyRestart, APersistedBackendTheConfigLacksOrABrokenStateFileExitsTwo) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name(), {.standby_url = test::postgres2_url()});
  ASSERT_EQ(proxy.ctl("pause").exit_code, 0);
  ASSERT_EQ(proxy.ctl("switch", {"--backend", "standby"}).exit_code, 0);
  proxy.crash();

  auto refused = proxy.start_refused({});  // the config without `standby`
  EXPECT_EQ(refused.exit_code, 2) << test::describe(refused);
  auto error = test::json_events(refused.out).back();  // --json: the error is an event
  EXPECT_NE(error.value("message", "").find("switched to backend 'standby'"), std::string::npos)
      << refused.out;
  EXPECT_NE(error.value("hint", "").find("delete " + proxy.state_file().string()),
            std::string::npos)
      << refused.out;

  std::ofstream(proxy.state_file()) << "{\"version\": 1, \"mode\": \"read-on";
  auto broken = proxy.start_refused({.standby_url = test::postgres2_url()});
  EXPECT_EQ(broken.exit_code, 2) << test::describe(broken);
  EXPECT_NE(test::json_events(broken.out)
                .back()
                .value("message", "")
                .find(proxy.state_file().string() + " is not valid JSON"),
            std::string::npos)
      << broken.out;

  // Deleted on purpose: the config's defaults again.
  fs::remove(proxy.state_file());
  proxy.start();
  auto status = proxy.status();
  EXPECT_EQ(status["backend"], "primary") << status.dump();
  EXPECT_EQ(status["mode"], "read-write") << status.dump();
  EXPECT_TRUE(status["restored"].is_null()) << status.dump();
}

INSTANTIATE_TEST_SUITE_P(Postgres, ProxyRestart, testing::Values(Backend::kPostgres));

// Sends `bytes` to the proxy on a fresh connection, then (unless `then_close`) reads its first
// answer; returns it ("" when the proxy closed the connection without a word).
std::string raw_exchange(int port, const std::string& bytes, bool then_close = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  std::string answer;
  if (!then_close) {
    answer.resize(512);
    ssize_t n = ::read(fd, answer.data(), answer.size());
    answer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(fd);
  return answer;
}

// A startup packet: protocol `version`, then key/value pairs.
std::string startup_packet(std::uint32_t version, const std::string& pairs) {
  std::string body;
  for (int shift : {24, 16, 8, 0}) body += static_cast<char>((version >> shift) & 0xff);
  body += pairs + std::string(1, '\0');
  auto length = static_cast<std::uint32_t>(body.size() + 4);
  std::string packet;
  for (int shift : {24, 16, 8, 0}) packet += static_cast<char>((length >> shift) & 0xff);
  return packet + body;
}

TEST_P(ProxyUnderLoad, BadClientsBesideTheProbeLeaveItEveryReadAndWrite) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name(), {.extra = "max_clients: 12\n"});
  probe::Probe probe(probe_through(proxy));
  probe.prepare();
  std::thread probe_thread([&] { probe.run(); });
  test::poll_until("the probe is under way", [&] { return probe.counts().writes_ok >= 50; });
  const std::string user = std::string("user\0", 5) + RunningProxy::backend_user() + '\0';

  // Malformed or hostile first messages: each answered with a FATAL 08P01, or closed.
  std::vector<std::pair<std::string, std::string>> hostile = {
      {"a length field of 2 GB", std::string("\x7f\xff\xff\xff\0\x03\0\0", 8)},
      {"garbage before the startup message", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"a length shorter than its header", std::string("\0\0\0\x04\0\x03\0\0", 8)},
  };
  for (const auto& [what, bytes] : hostile) {
    std::string answer = raw_exchange(proxy.port(), bytes);
    EXPECT_TRUE(answer.empty() || (answer[0] == 'E' && answer.find("C08P01") != std::string::npos))
        << what << ": " << answer;
  }
  std::string version = raw_exchange(proxy.port(), startup_packet(0x00040000, user));
  EXPECT_EQ(version.substr(0, 1), "E") << "an unknown protocol version: " << version;
  // A truncated startup message, and one cut off in the middle of the login.
  std::string whole = startup_packet(0x00030000, user);
  raw_exchange(proxy.port(), whole.substr(0, whole.size() / 2), true);
  raw_exchange(proxy.port(), whole, true);
  expect_a_wrong_password_refused(proxy);
  // An unknown backend in /switch.
  auto unknown = proxy.ctl("switch", {"--backend", "nope"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("no backend is called 'nope'"), std::string::npos)
      << test::describe(unknown);
  // A client that never reads its results: a query answering with about 200 MB, its client
  // stopped (SIGSTOP) while the answer streams.
  test::SpawnedProcess stalled(
      {test::find_program("psql"), "-X", "-q", "-o", "/dev/null", "-c",
       "SELECT repeat('x', 1000) FROM generate_series(1, 200000)", proxy.url()},
      {{"PGPASSWORD", proxy.client_password()}});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stalled.kill(SIGSTOP);
  // More clients than max_clients (12, the probe's 4 sessions and the stalled one among them):
  // refused with 53300, and the probe goes on.
  std::vector<std::unique_ptr<db::Connection>> crowd;
  std::string refused;
  for (int i = 0; i < 12 && refused.empty(); ++i) {
    try {
      crowd.push_back(proxy.connect());
    } catch (const Error& e) {
      refused = e.message();
    }
  }
  EXPECT_NE(refused.find("too many clients"), std::string::npos) << refused;
  crowd.clear();
  std::int64_t writes_before = static_cast<std::int64_t>(probe.counts().writes_ok);
  test::poll_until("the probe writes on beside the stalled client", [&] {
    return static_cast<std::int64_t>(probe.counts().writes_ok) > writes_before + 100;
  });
  stalled.kill(SIGKILL);
  stalled.wait(std::chrono::seconds(30));

  stop_and_expect_every_operation_answered(probe, probe_thread, "beside the bad clients, ");
  EXPECT_TRUE(proxy.process().running());
  EXPECT_EQ(proxy.connect()->query("SELECT 4").scalar().as_int(), 4);
}

INSTANTIATE_TEST_SUITE_P(Postgres, ProxyUnderLoad, testing::Values(Backend::kPostgres));

// `cutover move --proxy`: the application reaches the source through two proxy replicas (as
// with a sidecar per instance), pgbench through one and the probe through the other; the move
// freezes through their read-only mode, switches them to the target in finalize, and abort
// switches them back.
class MoveThroughProxy : public testing::TestWithParam<Backend> {};

TEST_P(MoveThroughProxy, FreezesSwitchesAndAbortsBackWithoutAFailedReadOrALostWrite) {
  ScratchDatabase scratch(Backend::kPostgres);
  StandbyDatabase target(scratch.name());  // empty: the move fills it (and empties it on abort)
  ASSERT_NO_FATAL_FAILURE(pgbench_init(scratch.url()));
  RunningProxy proxy(scratch.name(), {.standby_url = target.url()});
  RunningProxy replica(scratch.name(), {.standby_url = target.url()});
  fs::path state = fs::temp_directory_path() / ("cutover-move-proxy-" + scratch.name() + ".db");
  auto move = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{CUTOVER_BINARY, "--json", "move"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", state.string()});
    return test::run_process(argv);
  };
  probe::Probe probe(probe_through(proxy));
  probe.prepare();
  std::thread probe_thread([&] { probe.run(); });
  // Reads only: pgbench stops a client at its first error, and writes fail while frozen.
  test::SpawnedProcess bench({test::find_program("pgbench"), "-S", "-M", "prepared", "-c", "8",
                              "-j", "2", "-T", "15", "-n", replica.url()},
                             {{"PGPASSWORD", replica.client_password()}});
  auto sessions = [](const RunningProxy& p) {
    return test::json_events(p.ctl("status").out).at(0)["result"]["clients_active"].get<int>();
  };
  test::poll_until("the probe and pgbench are under way", [&] {
    return probe.counts().writes_ok >= 100 && sessions(proxy) >= 2 + 2 && sessions(replica) >= 8;
  });

  auto created = move({"create", "--to", test::postgres2_url(), "--database", scratch.url(),
                       "--proxy", "127.0.0.1:" + std::to_string(proxy.admin_port()), "--proxy",
                       "127.0.0.1:" + std::to_string(replica.admin_port()), "--proxy-backend",
                       "standby"});
  ASSERT_EQ(created.exit_code, 0) << test::describe(created);
  std::string id = test::json_events(created.out).back()["id"];
  auto prepared = move({"prepare", id});
  ASSERT_EQ(prepared.exit_code, 0) << test::describe(prepared);
  std::int64_t freezing = probe.elapsed_us();
  auto copied = move({"data", id});
  ASSERT_EQ(copied.exit_code, 0) << test::describe(copied);
  auto finalized = move({"finalize", id});
  std::int64_t switched = probe.elapsed_us();
  ASSERT_EQ(finalized.exit_code, 0) << test::describe(finalized);
  auto status_of = [](const RunningProxy& p) {
    return test::json_events(p.ctl("status").out).at(0)["result"];
  };
  for (const auto* p : {&proxy, &replica}) {
    EXPECT_EQ(status_of(*p)["backend"], "standby");
    EXPECT_EQ(status_of(*p)["mode"], "read-write");
  }
  test::poll_until("the probe writes on the target", [&] {
    return db::connect(target.url())
               ->query("SELECT count(*) FROM cutover_probe WHERE run_id = $1",
                       {probe.record().run_id})
               .scalar()
               .as_int() > static_cast<std::int64_t>(probe.counts().writes_ok / 2) + 50;
  });
  probe.stop();
  probe_thread.join();
  expect_pgbench_failed_nothing(bench);

  auto analysis = probe::analyze(probe.record());
  EXPECT_EQ(analysis.reads.ok, analysis.reads.total);
  for (const auto& op : probe.record().operations) {
    if (op.kind != probe::OpKind::kWrite || op.ok()) continue;
    // Refused only while frozen, and only as a write in a read-only transaction.
    EXPECT_EQ(op.sqlstate, "25006") << op.message;
    EXPECT_GE(op.end_us, freezing);
    EXPECT_LE(op.start_us, switched);
  }
  EXPECT_GT(analysis.writes.total - analysis.writes.ok, 0u) << "no write met the freeze";
  expect_every_acknowledged_write_in(probe, target.url());
  std::int64_t switch_pause_ms = -1;
  for (const auto& e : test::json_events(finalized.out)) {
    if (e.value("event", "") == "switched") switch_pause_ms = e.value("paused_ms", -1);
  }
  EXPECT_GE(switch_pause_ms, 0) << finalized.out;
  std::cout << "[ measured ] probe writes refused for "
            << analysis.writes.longest_without_success_us / 1000
            << " ms (data and finalize); longest read gap "
            << analysis.reads.longest_without_success_us / 1000
            << " ms; finalize's pause (prepare, then pause, switch, read-write, resume) "
            << switch_pause_ms << " ms" << std::endl;

  // The target has the probe's writes: abort refuses to lose them, and leaves the proxy as it
  // was; with --discard-target-writes it switches the sessions back to the source.
  auto session = proxy.connect();
  auto refused = move({"abort", id});
  EXPECT_EQ(refused.exit_code, 3) << test::describe(refused);
  for (const auto* p : {&proxy, &replica}) {
    EXPECT_EQ(status_of(*p)["backend"], "standby");
    EXPECT_EQ(status_of(*p)["mode"], "read-write");
  }
  auto aborted = move({"abort", id, "--discard-target-writes"});
  ASSERT_EQ(aborted.exit_code, 0) << test::describe(aborted);
  for (const auto* p : {&proxy, &replica}) {
    EXPECT_EQ(status_of(*p)["backend"], "primary");
    EXPECT_EQ(status_of(*p)["mode"], "read-write");
  }
  // The target database existed, empty, before the move: abort empties it again (the probe's
  // table has an identity column, whose sequence goes with the table).
  EXPECT_EQ(db::connect(target.url())
                ->query("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                        "c.relnamespace WHERE n.nspname = 'public'")
                .scalar()
                .as_int(),
            0);
  session->execute("INSERT INTO pgbench_history (tid, bid, aid, delta) VALUES (1, 1, 1, 42)");
  EXPECT_EQ(scratch.connect()
                ->query("SELECT count(*) FROM pgbench_history WHERE delta = 42")
                .scalar()
                .as_int(),
            1);
  fs::remove(state);
  fs::remove_all(state.string() + ".d");  // the store's folder of work files
}

INSTANTIATE_TEST_SUITE_P(Postgres, MoveThroughProxy, testing::Values(Backend::kPostgres));

TEST(ProxyCli, ABadConfigExitsTwoNamingTheKey) {
  fs::path file = fs::temp_directory_path() / ("cutover-proxy-bad-" + std::to_string(getpid()));
  std::ofstream(file) << "listen: 127.0.0.1:6432\nbackends: {a: nowhere}\nusers: u.txt\n";
  auto result = test::run_process({CUTOVER_BINARY, "proxy", "--config", file.string()});
  EXPECT_EQ(result.exit_code, 2) << test::describe(result);
  EXPECT_NE(result.err.find("backends.a"), std::string::npos) << result.err;
  std::ofstream(file) << "backends: {a: 127.0.0.1:5432}\nusers: u.txt\n";
  auto flag = test::run_process(
      {CUTOVER_BINARY, "proxy", "--config", file.string(), "--max-clients", "many"});
  EXPECT_EQ(flag.exit_code, 2) << test::describe(flag);
  EXPECT_NE(flag.err.find("max_clients: 'many'"), std::string::npos) << flag.err;
  fs::remove(file);
}

TEST_P(ProxyClients, CommandLineSettingsGoOverTheConfigFilesAndStayAtAReload) {
  ScratchDatabase scratch(Backend::kPostgres);
  RunningProxy proxy(scratch.name(), {.extra = "max_clients: 50\n", .flags = {"--max-clients", "1"}});
  auto first = proxy.connect();
  auto refused = [&] {
    try {
      proxy.connect();
    } catch (const Error& e) {
      return e.message().find("too many clients") != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(refused());
  proxy.reload({.extra = "max_clients: 50\n"});  // the file again; the flag still wins
  EXPECT_TRUE(refused());
  EXPECT_EQ(first->query("SELECT 7").scalar().as_int(), 7);
}

}  // namespace
}  // namespace cutover
