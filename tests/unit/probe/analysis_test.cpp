// Availability analysis of probe records: windows, gaps, percentiles, error classes.
#include "probe/analysis.h"

#include <gtest/gtest.h>

namespace cutover::probe {
namespace {

Operation op(OpKind kind, std::int64_t start_ms, std::int64_t end_ms,
             Outcome outcome = Outcome::kOk, std::string sqlstate = {}) {
  Operation o;
  o.kind = kind;
  o.start_us = start_ms * 1000;
  o.end_us = end_ms * 1000;
  o.outcome = outcome;
  o.sqlstate = std::move(sqlstate);
  return o;
}

ProbeRecord record_of(std::vector<Operation> ops, std::int64_t duration_ms) {
  ProbeRecord r;
  r.operations = std::move(ops);
  r.duration_us = duration_ms * 1000;
  return r;
}

TEST(ProbeAnalysis, AllOkMeansFullAvailabilityAndNoWindow) {
  std::vector<Operation> ops;
  for (int i = 0; i < 100; ++i) ops.push_back(op(OpKind::kRead, i * 10, i * 10 + 1 + i % 3));
  auto a = analyze(record_of(ops, 1000));
  EXPECT_EQ(a.reads.total, 100);
  EXPECT_DOUBLE_EQ(a.reads.availability_pct, 100.0);
  EXPECT_TRUE(a.reads.windows.empty());
  EXPECT_DOUBLE_EQ(a.reads.p50_ms, 2.0);
  EXPECT_DOUBLE_EQ(a.reads.max_ms, 3.0);
  EXPECT_EQ(a.reads.longest_without_success_us, 11'000);  // e.g. end 1 + 0 -> end 11 + 1
  EXPECT_EQ(a.writes.total, 0);
  EXPECT_DOUBLE_EQ(a.ops_per_second, 100.0);
}

TEST(ProbeAnalysis, OneOutageIsOneWindowFromFirstFailureToNextSuccess) {
  std::vector<Operation> ops = {
      op(OpKind::kWrite, 0, 5),
      op(OpKind::kWrite, 100, 102),
      op(OpKind::kWrite, 200, 201, Outcome::kConnectionLost),
      op(OpKind::kWrite, 260, 261, Outcome::kConnectionLost),
      op(OpKind::kWrite, 300, 301, Outcome::kError, "57P03"),
      op(OpKind::kWrite, 2200, 2203),
      op(OpKind::kWrite, 2300, 2301),
  };
  auto a = analyze(record_of(ops, 3000));
  ASSERT_EQ(a.writes.windows.size(), 1u);
  const auto& w = a.writes.windows[0];
  EXPECT_EQ(w.start_us, 200'000);
  EXPECT_EQ(w.end_us, 2'203'000);
  EXPECT_FALSE(w.open_at_end);
  EXPECT_EQ(w.errors.at("connection lost"), 2);
  EXPECT_EQ(w.errors.at("SQLSTATE 57P03"), 1);
  EXPECT_EQ(a.writes.longest_without_success_us, 2'101'000);
  EXPECT_NEAR(a.writes.availability_pct, 4.0 / 7 * 100, 1e-9);
}

TEST(ProbeAnalysis, TimeAvailabilityWeighsTheOutageByItsLength) {
  // 1000 quick successes in 9 s, then 1 s in which 20 attempts fail: by operations 98 %
  // available, by time 90 %.
  std::vector<Operation> ops;
  for (int i = 0; i < 1000; ++i) ops.push_back(op(OpKind::kRead, i * 9, i * 9 + 1));
  for (int i = 0; i < 20; ++i) {
    ops.push_back(op(OpKind::kRead, 9000 + i * 50, 9000 + i * 50 + 1, Outcome::kConnectionLost));
  }
  ops.push_back(op(OpKind::kRead, 9999, 10'000));
  auto a = analyze(record_of(ops, 10'000));
  EXPECT_NEAR(a.reads.availability_pct, 100.0 * 1001 / 1021, 1e-9);
  ASSERT_EQ(a.reads.windows.size(), 1u);
  EXPECT_NEAR(a.reads.time_availability_pct, 90.0, 0.02);
}

TEST(ProbeAnalysis, WindowNeverStartsBeforeTheLastSuccessEnded) {
  // A slow failure that started before a success ended must not stretch the window back.
  std::vector<Operation> ops = {op(OpKind::kRead, 0, 50),
                                op(OpKind::kRead, 10, 80, Outcome::kTimeout),
                                op(OpKind::kRead, 90, 95)};
  auto a = analyze(record_of(ops, 100));
  ASSERT_EQ(a.reads.windows.size(), 1u);
  EXPECT_EQ(a.reads.windows[0].start_us, 50'000);
  EXPECT_EQ(a.reads.windows[0].errors.at("timeout"), 1);
}

TEST(ProbeAnalysis, ASuccessAskedForBeforeTheWindowOpenedDoesNotEndIt) {
  // A write sent before the freeze, answered after the first refusal: still one window.
  std::vector<Operation> ops = {op(OpKind::kWrite, 0, 5),
                                op(OpKind::kWrite, 100, 101, Outcome::kError, "25006"),
                                op(OpKind::kWrite, 90, 120),
                                op(OpKind::kWrite, 130, 131, Outcome::kError, "25006"),
                                op(OpKind::kWrite, 300, 301)};
  auto a = analyze(record_of(ops, 400));
  ASSERT_EQ(a.writes.windows.size(), 1u);
  EXPECT_EQ(a.writes.windows[0].start_us, 100'000);
  EXPECT_EQ(a.writes.windows[0].end_us, 301'000);
  EXPECT_EQ(a.writes.windows[0].errors.at("SQLSTATE 25006"), 2);
}

TEST(ProbeAnalysis, AFailureAskedForInsideAClosedWindowDoesNotOpenAnother) {
  // Two writers in a lock freeze: one times out after the other's write closed the window.
  std::vector<Operation> ops = {op(OpKind::kWrite, 0, 5),
                                op(OpKind::kWrite, 100, 101, Outcome::kError, "55P03"),
                                op(OpKind::kWrite, 200, 400, Outcome::kError, "55P03"),
                                op(OpKind::kWrite, 350, 390),
                                op(OpKind::kWrite, 500, 501)};
  auto a = analyze(record_of(ops, 600));
  ASSERT_EQ(a.writes.windows.size(), 1u);
  EXPECT_EQ(a.writes.windows[0].start_us, 100'000);
  EXPECT_EQ(a.writes.windows[0].end_us, 390'000);
  EXPECT_EQ(a.writes.windows[0].errors.at("SQLSTATE 55P03"), 2);
  EXPECT_EQ(a.writes.errors.at("SQLSTATE 55P03"), 2);
}

TEST(ProbeAnalysis, FailuresUntilTheEndLeaveAnOpenWindow) {
  std::vector<Operation> ops = {op(OpKind::kRead, 0, 1),
                                op(OpKind::kRead, 500, 501, Outcome::kConnectionLost)};
  auto a = analyze(record_of(ops, 1000));
  ASSERT_EQ(a.reads.windows.size(), 1u);
  EXPECT_TRUE(a.reads.windows[0].open_at_end);
  EXPECT_EQ(a.reads.windows[0].end_us, 1'000'000);
  EXPECT_EQ(a.reads.longest_without_success_us, 999'000);
}

TEST(ProbeAnalysis, SeparateOutagesAreSeparateWindowsPerKind) {
  std::vector<Operation> ops = {
      op(OpKind::kWrite, 0, 1, Outcome::kError, "25006"),
      op(OpKind::kRead, 0, 1),
      op(OpKind::kWrite, 10, 11),
      op(OpKind::kWrite, 20, 21, Outcome::kError, "25006"),
      op(OpKind::kRead, 20, 21),
      op(OpKind::kWrite, 30, 31),
  };
  auto a = analyze(record_of(ops, 40));
  EXPECT_EQ(a.writes.windows.size(), 2u);
  EXPECT_TRUE(a.reads.windows.empty());
  EXPECT_EQ(a.writes.errors.at("SQLSTATE 25006"), 2);
}

TEST(ProbeAnalysis, MariaDbErrorsAreClassedByNumber) {
  Operation o = op(OpKind::kWrite, 0, 1, Outcome::kError, "HY000");
  o.vendor_code = 1290;
  EXPECT_EQ(error_class(o), "error 1290");
  o.sqlstate = "25006";
  EXPECT_EQ(error_class(o), "SQLSTATE 25006");
}

TEST(ProbeAnalysis, P99IsTheNearestRank) {
  std::vector<Operation> ops;
  for (int i = 1; i <= 200; ++i) ops.push_back(op(OpKind::kRead, 0, i));
  auto a = analyze(record_of(ops, 300));
  EXPECT_DOUBLE_EQ(a.reads.p50_ms, 100.0);
  EXPECT_DOUBLE_EQ(a.reads.p99_ms, 198.0);
  EXPECT_DOUBLE_EQ(a.reads.max_ms, 200.0);
}

}  // namespace
}  // namespace cutover::probe
