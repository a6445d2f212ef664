// Many processes opening one new SQLite file at the same moment: every one of them gets a
// working connection (the switch to WAL journaling waits for the others like any lock).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/registry.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using test::Backend;

class SqliteOpenRace : public testing::TestWithParam<Backend> {};

// Opens the database and writes to it; the exit status says whether it worked, and stderr
// says why not. Runs in a forked child: only async-safe exits.
[[noreturn]] void open_and_write(const std::string& url, int read_fd) {
  char go = 0;
  if (read(read_fd, &go, 1) != 1) _exit(3);
  try {
    auto connection = db::connect(url);
    connection->execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)");
    connection->execute("INSERT INTO t DEFAULT VALUES");
  } catch (const Error& error) {
    std::fprintf(stderr, "open failed: %s\n", error.message().c_str());
    std::fflush(stderr);
    _exit(1);
  }
  _exit(0);
}

TEST_P(SqliteOpenRace, SixteenProcessesOpeningANewFileAtOnceAllSucceed) {
  constexpr int kRounds = 60;
  constexpr int kProcesses = 16;
  int failed = 0;
  for (int round = 0; round < kRounds; ++round) {
    test::ScratchDatabase scratch(GetParam());  // a path to a file that does not exist yet
    int start[2];
    ASSERT_EQ(pipe(start), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(start[1]);
        open_and_write(scratch.url(), start[0]);
      }
      children.push_back(pid);
    }
    close(start[0]);
    // One byte each: they all start the moment the bytes are written.
    std::string go(kProcesses, 'g');
    ASSERT_EQ(write(start[1], go.data(), go.size()), static_cast<ssize_t>(go.size()));
    close(start[1]);
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
  }
  EXPECT_EQ(failed, 0) << "processes that could not open or write the new file, of "
                       << kRounds * kProcesses;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteOpenRace, testing::Values(Backend::kSqlite));

}  // namespace
}  // namespace cutover
