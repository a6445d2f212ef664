// InterruptWatch: a real SIGTERM/SIGINT sent to this process is taken by the watch's thread,
// runs the cancel callbacks, wakes interruptible waits and becomes one "interrupted by" error.
#include "core/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"

namespace cutover {
namespace {

using namespace std::chrono_literals;

// Polls `done` until it is true or 10 s passed; returns whether it became true.
template <typename F>
bool eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Interrupt, NothingIsInterruptedWithoutAWatch) {
  EXPECT_FALSE(interrupted());
  EXPECT_EQ(interrupt_signal_name(), "");
  EXPECT_FALSE(interrupted_within(1ms));
  int calls = 0;
  OnInterrupt never([&] { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(Interrupt, ASignalRunsTheCallbacksWakesWaitsAndNamesItselfInTheError) {
  InterruptWatch watch(SecondSignal::kIgnore);
  std::atomic<int> once_calls{0}, repeat_calls{0};
  OnInterrupt once([&] { ++once_calls; });
  OnInterrupt repeated([&] { ++repeat_calls; }, /*repeat=*/true);
  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = interrupted_within(60s); });

  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return interrupted(); }));
  waiter.join();
  EXPECT_TRUE(woke) << "interrupted_within returns when the signal comes, not after 60 s";
  EXPECT_EQ(watch.signal(), SIGTERM);
  EXPECT_EQ(interrupt_signal_name(), "SIGTERM");
  EXPECT_TRUE(eventually([&] { return once_calls == 1; }));
  // A callback left registered is called again (about every second), for a statement that
  // had not started when the first cancel came.
  EXPECT_TRUE(eventually([&] { return repeat_calls >= 2; }));
  EXPECT_EQ(once_calls, 1);

  // Registered after the signal: runs at once, in this thread.
  int late_calls = 0;
  OnInterrupt late([&] { ++late_calls; });
  EXPECT_EQ(late_calls, 1);

  // A second signal is swallowed with kIgnore, and the first one stays the one reported.
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  EXPECT_TRUE(interrupted_within(1ms));
  EXPECT_EQ(interrupt_signal_name(), "SIGTERM");

  try {
    throw_interrupted("while testing", "nothing to do");
    FAIL() << "throw_interrupted returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
    EXPECT_EQ(e.message(), "interrupted by SIGTERM while testing");
    EXPECT_EQ(e.hint(), "nothing to do");
  }
}

// The terminal of an ssh session that dropped: a step stops as it does on SIGTERM.
TEST(Interrupt, AHangupStopsAsSigtermDoes) {
  InterruptWatch watch(SecondSignal::kIgnore);
  std::atomic<int> calls{0};
  OnInterrupt cancel([&] { ++calls; });
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);
  ASSERT_TRUE(eventually([&] { return interrupted(); }));
  EXPECT_EQ(watch.signal(), SIGHUP);
  EXPECT_EQ(interrupt_signal_name(), "SIGHUP");
  EXPECT_TRUE(eventually([&] { return calls == 1; }));
}

TEST(Interrupt, AWatchEndsWithoutASignalAndAnotherCanFollow) {
  { InterruptWatch first; }
  InterruptWatch second;
  EXPECT_FALSE(interrupted());
  EXPECT_FALSE(interrupted_within(1ms));
  EXPECT_THROW(InterruptWatch third, std::logic_error);
}

}  // namespace
}  // namespace cutover
