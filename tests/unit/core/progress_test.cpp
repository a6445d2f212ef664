// The progress reporter: rate, ETA, and what it prints in each output mode.
#include "core/progress.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace cutover {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  ProgressReporter::Clock fn() {
    return [this] { return now; };
  }
};

TEST(Progress, ComputesRateAndEta) {
  std::ostringstream out, err;
  Output output(out, err, false, false);
  FakeClock clock;
  ProgressReporter progress(output, "copy", "rows", 1000, clock.fn());
  clock.now += 1s;
  progress.update(100);
  clock.now += 1s;
  progress.update(200);
  EXPECT_DOUBLE_EQ(progress.rate(), 100.0);
  EXPECT_DOUBLE_EQ(progress.eta_seconds(), 8.0);
}

TEST(Progress, UnknownTotalHasNoEta) {
  std::ostringstream out, err;
  Output output(out, err, false, false);
  FakeClock clock;
  ProgressReporter progress(output, "scan", "rows", 0, clock.fn());
  clock.now += 2s;
  progress.update(50);
  EXPECT_LT(progress.eta_seconds(), 0);
}

TEST(Progress, PlainLinesAreThrottledAndFinishPrintsOnce) {
  std::ostringstream out, err;
  Output output(out, err, false, false);
  FakeClock clock;
  ProgressReporter progress(output, "copy users", "rows", 100, clock.fn());
  for (int i = 1; i <= 10; ++i) {
    clock.now += 1s;
    progress.update(i * 10, i * 1024);
  }
  progress.finish();
  progress.finish();
  std::string text = err.str();
  // 10 s of updates, a line every 5 s, and the final line.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_NE(text.find("copy users [########################] 100% 100/100 rows, 10.0 KiB"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("took 0:10"), std::string::npos) << text;
  EXPECT_TRUE(out.str().empty());
}

TEST(Progress, TerminalRedrawsInPlace) {
  std::ostringstream out, err;
  Output output(out, err, false, true);
  FakeClock clock;
  ProgressReporter progress(output, "copy", "rows", 10, clock.fn());
  clock.now += 200ms;
  progress.update(5);
  progress.finish();
  EXPECT_EQ(err.str().rfind("\r\033[K", 0), 0u) << err.str();
  EXPECT_EQ(err.str().back(), '\n');
}

TEST(Progress, JsonEventsGoToStdout) {
  std::ostringstream out, err;
  Output output(out, err, true, false);
  FakeClock clock;
  ProgressReporter progress(output, "copy", "rows", 400, clock.fn());
  clock.now += 1s;
  progress.update(100, 4096);
  progress.finish();
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["event"], "progress");
  EXPECT_EQ(first["done"], 100);
  EXPECT_EQ(first["total"], 400);
  EXPECT_EQ(first["bytes"], 4096);
  EXPECT_DOUBLE_EQ(first["eta_s"].get<double>(), 3.0);
  std::getline(lines, line);
  EXPECT_EQ(nlohmann::json::parse(line)["event"], "progress_done");
  EXPECT_TRUE(err.str().empty());
}

TEST(Progress, Formats) {
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1500), "1.5k");
  EXPECT_EQ(format_count(2.5e6), "2.5M");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_duration(7), "0:07");
  EXPECT_EQ(format_duration(3723), "1:02:03");
}

}  // namespace
}  // namespace cutover
