// Running another program: its exit, its errors, the environment it is given.
#include "core/child_process.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover {
namespace {

TEST(ChildProcess, ASuccessAndAFailureAreToldApartWithTheLastErrorLine) {
  EXPECT_TRUE(run_shell("true").succeeded());
  auto failed = run_shell("echo first >&2; echo 'the real reason' >&2; exit 3");
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.describe(), "exited with 3: the real reason");
}

// pg_restore --jobs ends with its worker's death; the server's ERROR line before says why.
TEST(ChildProcess, AServersErrorLineIsPreferredToTheLastLine) {
  auto failed = run_shell(
      "echo 'pg_restore: error: could not execute query: ERROR:  trigger \"t\" already exists' "
      ">&2; echo 'Command was: CREATE TRIGGER t' >&2; echo 'pg_restore: error: a worker process "
      "died unexpectedly' >&2; exit 1");
  EXPECT_EQ(failed.describe(),
            "exited with 1: pg_restore: error: could not execute query: ERROR:  trigger \"t\" "
            "already exists");
}

TEST(ChildProcess, TheEnvironmentReachesTheChildOnly) {
  ChildOptions options;
  options.environment = {{"CUTOVER_CHILD_SECRET", "s3cret"}};
  auto r = run_shell("test \"$CUTOVER_CHILD_SECRET\" = s3cret || exit 9", options);
  EXPECT_TRUE(r.succeeded()) << r.describe();
  EXPECT_EQ(std::getenv("CUTOVER_CHILD_SECRET"), nullptr);
}

TEST(ChildProcess, AKilledChildIsReportedWithItsSignal) {
  auto r = run_shell("kill -9 $$");
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.signal, 9);
  EXPECT_NE(r.describe().find("was ended by"), std::string::npos) << r.describe();
}

TEST(ChildProcess, AProgramThatIsNotInstalledThrowsNamingIt) {
  try {
    run_child({"cutover-no-such-program"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("cannot run cutover-no-such-program"), std::string::npos)
        << e.message();
    EXPECT_NE(e.hint().find("install"), std::string::npos) << e.hint();
  }
}

TEST(ChildProcess, OnlyTheEndOfAVeryLongErrorOutputIsKept) {
  auto r = run_shell("yes x | head -c 100000 >&2; echo >&2; echo last >&2; exit 1");
  EXPECT_LE(r.errors.size(), 8u * 1024);
  EXPECT_EQ(r.describe(), "exited with 1: last");
}

}  // namespace
}  // namespace cutover
