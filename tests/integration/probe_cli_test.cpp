// `cutover probe` as a user runs it: the real binary, its reports, and its HTML page rendered by
// headless Chromium.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using test::Backend;
using test::run_process;
namespace fs = std::filesystem;

test::ProcessResult cutover_cli(std::vector<std::string> args) {
  args.insert(args.begin(), CUTOVER_BINARY);
  return run_process(args);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ProbeCli : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cutover-probe-cli-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_P(ProbeCli, WritesSummaryRecordAndAnHtmlPageThatChromiumRenders) {
  test::ScratchDatabase scratch(GetParam());
  auto json = dir_ / "probe.json", html = dir_ / "probe.html";
  auto r = cutover_cli({"probe", scratch.url(), "--duration", "2s", "--readers", "2", "--writers",
                        "2", "--rate", "50", "--json", json.string(), "--html", html.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("reads   100.000% available"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 lost, 0 duplicated"), std::string::npos) << r.out;

  auto record = nlohmann::json::parse(read_file(json));
  EXPECT_EQ(record["format"], "cutover-probe/1");
  EXPECT_GT(record["operations"].size(), 100u);
  EXPECT_EQ(record["summary"]["verification"]["lost"].size(), 0u);

  // Chromium renders the page to a PNG; a console error or a crash fails the test.
  auto png = dir_ / "probe.png";
  auto chromium = run_process({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                               "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", "--user-data-dir=" + (dir_ / "chromium").string(),
                               "--enable-logging=stderr", "--v=0", "--window-size=1400,800",
                               "--screenshot=" + png.string(), "file://" + html.string()});
  EXPECT_EQ(chromium.exit_code, 0) << chromium.err;
  EXPECT_EQ(chromium.err.find("CONSOLE"), std::string::npos) << chromium.err;
  ASSERT_TRUE(fs::exists(png)) << chromium.err;
  EXPECT_GT(fs::file_size(png), 10'000u) << "the screenshot looks empty";
  if (const char* keep = std::getenv("CUTOVER_KEEP_SCREENSHOT"))
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
}

TEST_P(ProbeCli, JsonEventsModePrintsTheSummaryAsJson) {
  test::ScratchDatabase scratch(GetParam());
  auto r = cutover_cli({"--json", "probe", scratch.url(), "--duration", "1s", "--rate", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream lines(r.out);
  std::string line, last;
  while (std::getline(lines, line)) {
    auto event = nlohmann::json::parse(line);  // every line is one JSON object
    last = line;
  }
  auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["event"], "probe_summary");
  EXPECT_EQ(summary["reads"]["failed"], 0);
}

// Several processes on one SQLite file, as several application instances would be: each
// probe creates the table or finds it, and none loses a write.
TEST_P(ProbeCli, SeveralProcessesShareOneDatabase) {
  test::ScratchDatabase scratch(GetParam());
  constexpr int kProcesses = 3;
  std::vector<test::ProcessResult> results(kProcesses);
  std::vector<std::thread> threads;
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<size_t>(i)] = cutover_cli(
          {"probe", scratch.url(), "--duration", "2s", "--readers", "1", "--writers", "2"});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(" 0 lost, 0 duplicated"), std::string::npos) << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ProbeCli, testing::Values(Backend::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ProbeCli, testing::Values(Backend::kPostgres));

TEST(ProbeCliInput, BadInputExitsTwoAndNamesTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"probe", "sqlite::memory:", "--duration", "soon"}, "--duration: 'soon' is not a duration"},
      {{"probe", "sqlite::memory:", "--readers", "0", "--writers", "0"}, "at least one reader"},
      {{"probe", "nosuch://x"}, "unknown scheme 'nosuch'"},
      {{"probe", "postgres://u@127.0.0.1:1/db"}, "127.0.0.1:1"},
  };
  for (const auto& c : cases) {
    auto r = cutover_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.needle << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace cutover
