// Whether a lease's holder, as describe_this_process() names it, is a process of this host that
// has ended: `change status` says nothing runs after a kill -9, while the lease still waits.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "coord/lease.h"

namespace cutover::coord {
namespace {

std::string host_of(const std::string& holder) { return holder.substr(0, holder.find(':')); }

TEST(LeaseHolder, ThisLiveProcessHasNotEnded) {
  EXPECT_FALSE(holder_ended_here(describe_this_process()));
}

TEST(LeaseHolder, AChildThatExitedHasEnded) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  const std::string host = host_of(describe_this_process());
  EXPECT_TRUE(holder_ended_here(host + ":" + std::to_string(child) + ":00000000000000ab"));
}

TEST(LeaseHolder, AnotherHostsProcessOrAnUnreadableHolderIsNotKnownToHaveEnded) {
  const std::string host = host_of(describe_this_process());
  EXPECT_FALSE(holder_ended_here("another-host-" + host + ":999999:00000000000000ab"));
  for (const char* pid : {"", "x", "12x", "-5", "0", "99999999999"}) {
    EXPECT_FALSE(holder_ended_here(host + ":" + pid + ":00000000000000ab")) << pid;
  }
  EXPECT_FALSE(holder_ended_here(host));
  EXPECT_FALSE(holder_ended_here(""));
}

}  // namespace
}  // namespace cutover::coord
