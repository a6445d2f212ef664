// `cutover check` as a user runs it: the real binary against real servers. Bad input of every
// kind exits 2 with a message naming the problem, and no password ever appears in any output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/connection_url.h"
#include "support/process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using test::Backend;
using test::ProcessResult;
using test::run_process;

const std::string kSecret = "Sup3r-Secret-Pw";

ProcessResult cutover_cli(std::vector<std::string> args,
                          const std::map<std::string, std::optional<std::string>>& env = {}) {
  args.insert(args.begin(), CUTOVER_BINARY);
  return run_process(args, env);
}

void expect_no_secret(const ProcessResult& r) {
  EXPECT_EQ(r.out.find(kSecret), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find(kSecret), std::string::npos) << r.err;
}

// Runs `args` with and without --json; both must exit `code`, name `needle` and hide the secret.
void expect_failure(const std::vector<std::string>& args, int code, const std::string& needle,
                    const std::map<std::string, std::optional<std::string>>& env = {}) {
  ProcessResult human = cutover_cli(args, env);
  EXPECT_EQ(human.exit_code, code) << human.out << human.err;
  EXPECT_NE(human.err.find("error: "), std::string::npos) << human.err;
  EXPECT_NE(human.err.find(needle), std::string::npos) << human.err;
  EXPECT_NE(human.err.find("hint: "), std::string::npos) << human.err;
  expect_no_secret(human);

  std::vector<std::string> json_args = args;
  json_args.insert(json_args.begin() + 1, "--json");
  ProcessResult json = cutover_cli(json_args, env);
  EXPECT_EQ(json.exit_code, code) << json.out << json.err;
  // The error event is the last line.
  std::string last_line = json.out.substr(0, json.out.find_last_not_of('\n') + 1);
  last_line = last_line.substr(last_line.rfind('\n') + 1);
  auto event = nlohmann::json::parse(last_line);
  EXPECT_EQ(event["event"], "error");
  EXPECT_EQ(event["exit_code"], code);
  EXPECT_NE(event["message"].get<std::string>().find(needle), std::string::npos) << json.out;
  expect_no_secret(json);
}

TEST(CheckCli, HelpTeachesAndExitsZero) {
  auto r = cutover_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("check"), std::string::npos);
  auto check = cutover_cli({"check", "--help"});
  EXPECT_EQ(check.exit_code, 0);
  EXPECT_NE(check.out.find("sqlite:path/to/file.db"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("--password-file"), std::string::npos);
  auto version = cutover_cli({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("cutover "), std::string::npos);
}

TEST(CheckCli, UsageErrorsExitTwo) {
  EXPECT_EQ(cutover_cli({}).exit_code, 2);
  EXPECT_EQ(cutover_cli({"check"}).exit_code, 2);
  EXPECT_EQ(cutover_cli({"no-such-command"}).exit_code, 2);
}

TEST(CheckCli, UnknownSchemeExitsTwo) {
  expect_failure({"check", "oracle://scott:" + kSecret + "@db/orcl"}, 2, "unknown scheme 'oracle'");
}

TEST(CheckCli, MalformedUrlExitsTwo) {
  expect_failure({"check", "postgres://u:" + kSecret + "@h:notaport/db"}, 2, "bad port 'notaport'");
  expect_failure({"check", "not a url"}, 2, "is not a connection string");
}

TEST(CheckCli, MalformedUrlIsReportedBeforeAnyConnection) {
  auto sqlite = std::filesystem::temp_directory_path() /
                ("cutover-check-first-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(sqlite);
  expect_failure({"check", "sqlite:" + sqlite.string(), "bogus://x"}, 2, "unknown scheme");
  EXPECT_FALSE(std::filesystem::exists(sqlite)) << "check created a file before failing";
}

class CheckCliOnServer : public testing::TestWithParam<Backend> {
 protected:
  std::string url() {
    switch (GetParam()) {
      case Backend::kPostgres:
        return test::postgres_url();
      case Backend::kMariaDb:
        return test::mariadb_url();
      case Backend::kGalera:
        return test::galera_urls().at(1);
      case Backend::kSqlite:
        break;
    }
    return "sqlite:" + sqlite_file().string();
  }
  void TearDown() override { std::filesystem::remove(sqlite_file()); }
  static std::filesystem::path sqlite_file() {
    return std::filesystem::temp_directory_path() /
           ("cutover-check-" + std::to_string(getpid()) + ".db");
  }
  // The same server with `port` and `userinfo` changed.
  std::string url_with(const std::string& userinfo, int port) {
    ConnectionUrl u = parse_connection_url(url());
    std::string scheme = u.scheme == Scheme::kPostgres ? "postgres" : "mariadb";
    return scheme + "://" + userinfo + "@127.0.0.1:" + std::to_string(port) + "/" + u.database;
  }
  // The environment variable a wrong password is given through, as an operator would.
  std::string password_variable() {
    return GetParam() == Backend::kPostgres ? "PGPASSWORD" : "MYSQL_PWD";
  }
};

TEST_P(CheckCliOnServer, ReportsTheServer) {
  auto r = cutover_cli({"check", url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("can create tables +yes"))) << r.out;
  auto json = cutover_cli({"check", "--json", url()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto event = nlohmann::json::parse(json.out);
  EXPECT_EQ(event["event"], "check");
  EXPECT_EQ(event["can_create_tables"], true);
  switch (GetParam()) {
    case Backend::kSqlite:
      EXPECT_EQ(event["flavor"], "sqlite");
      break;
    case Backend::kPostgres:
      EXPECT_EQ(event["flavor"], "postgresql");
      EXPECT_EQ(event["behind_pooler"], false);
      break;
    case Backend::kMariaDb:
      EXPECT_EQ(event["flavor"], "mariadb");
      EXPECT_EQ(event["galera"], false);
      break;
    case Backend::kGalera:
      EXPECT_EQ(event["galera"], true);
      EXPECT_EQ(event["galera_cluster_size"], 3);
      break;
  }
}

// Servers reached over the network, where passwords and ports exist.
class CheckCliOnNetworkServer : public CheckCliOnServer {};

TEST_P(CheckCliOnNetworkServer, WrongPasswordExitsTwoAndNeverShowsIt) {
  ConnectionUrl u = parse_connection_url(url());
  // Through the environment, as recommended...
  expect_failure({"check", url()}, 2, "authentication", {{password_variable(), kSecret}});
  // ...through --password-file...
  auto file = std::filesystem::temp_directory_path() /
              ("cutover-wrong-password-" + std::to_string(getpid()));
  { std::ofstream(file) << kSecret << "\n"; }
  expect_failure(
      {"check", "--password-file", file.string(), url_with(u.user, *u.port)}, 2, "authentication",
      {{"PGPASSWORD", std::nullopt}, {"MYSQL_PWD", std::nullopt}, {"PGPASSFILE", "/dev/null"}});
  std::filesystem::remove(file);
  // ...and in the URL, which works but is warned about.
  expect_failure({"check", url_with(u.user + ":" + kSecret, *u.port)}, 2, "authentication");
}

TEST_P(CheckCliOnNetworkServer, UnreachablePortExitsTwo) {
  ConnectionUrl u = parse_connection_url(url());
  expect_failure({"check", url_with(u.user + ":" + kSecret, 1)}, 2, "127.0.0.1:1");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CheckCliOnServer, testing::Values(Backend::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CheckCliOnServer, testing::Values(Backend::kPostgres));
INSTANTIATE_TEST_SUITE_P(MariaDb, CheckCliOnServer, testing::Values(Backend::kMariaDb));
INSTANTIATE_TEST_SUITE_P(Galera, CheckCliOnServer, testing::Values(Backend::kGalera));
INSTANTIATE_TEST_SUITE_P(Postgres, CheckCliOnNetworkServer, testing::Values(Backend::kPostgres));
INSTANTIATE_TEST_SUITE_P(MariaDb, CheckCliOnNetworkServer, testing::Values(Backend::kMariaDb));
INSTANTIATE_TEST_SUITE_P(Galera, CheckCliOnNetworkServer, testing::Values(Backend::kGalera));

}  // namespace
}  // namespace cutover
