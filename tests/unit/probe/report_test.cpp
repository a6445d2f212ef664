// The probe's JSON record and HTML page: complete, escaped, self-contained.
#include <gtest/gtest.h>

#include "probe/html_report.h"
#include "probe/json_report.h"
#include "probe/summary.h"

namespace cutover::probe {
namespace {

ProbeRecord sample_record() {
  ProbeRecord r;
  r.run_id = "abc";
  r.url = "postgres://app:***@db/shop";
  r.verify_url = r.url;
  r.flavor = "postgresql";
  r.duration_us = 1'000'000;
  r.readers = 1;
  r.writers = 1;
  Operation ok{
      .kind = OpKind::kWrite, .worker = 0, .start_us = 1000, .end_us = 2000, .write_seq = 0};
  Operation bad{.kind = OpKind::kWrite,
                .worker = 0,
                .start_us = 300'000,
                .end_us = 301'000,
                .outcome = Outcome::kError,
                .sqlstate = "25006",
                .message = "cannot execute INSERT in a read-only transaction <script>",
                .write_seq = 1};
  Operation read{.kind = OpKind::kRead, .worker = 0, .start_us = 500'000, .end_us = 500'400};
  r.operations = {ok, bad, read};
  r.verification = {.done = true, .acknowledged = 1, .found = 0, .lost = {{0, 0}}};
  return r;
}

TEST(ProbeReport, JsonHasEveryOperationAndTheSummary) {
  auto r = sample_record();
  auto j = to_json(r, analyze(r));
  EXPECT_EQ(j["format"], "cutover-probe/1");
  ASSERT_EQ(j["operations"].size(), 3u);
  EXPECT_EQ(j["operations"][1][4], "error");
  EXPECT_EQ(j["operations"][1][6], "25006");
  EXPECT_EQ(j["summary"]["writes"]["failed"], 1);
  EXPECT_EQ(j["summary"]["verification"]["lost"][0]["seq"], 0);
  EXPECT_EQ(j["summary"]["writes"]["windows"][0]["errors"]["SQLSTATE 25006"], 1);
}

TEST(ProbeReport, HtmlIsSelfContainedWithAnEscapedTimeline) {
  auto r = sample_record();
  std::string html = html_report(r, analyze(r));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "untrusted text must be escaped";
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "no external resources";
  EXPECT_EQ(html.find("href=\"http"), std::string::npos) << "no external resources";
  // 1 s in 100 ms buckets: 10 per lane, 2 lanes.
  size_t rects = 0;
  for (size_t at = html.find("<rect"); at != std::string::npos; at = html.find("<rect", at + 1)) {
    ++rects;
  }
  EXPECT_EQ(rects, 20u);
  EXPECT_NE(html.find("#d64541"), std::string::npos) << "the failed bucket is red";
  EXPECT_NE(html.find("1 lost"), std::string::npos);
}

TEST(ProbeReport, SummarySaysWhatHappened) {
  auto r = sample_record();
  std::string text = human_summary(r, analyze(r));
  EXPECT_NE(text.find("unavailable 0.300s .. "), std::string::npos) << text;
  EXPECT_NE(text.find("lost: writer 0 seq 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("app:s"), std::string::npos);
}

}  // namespace
}  // namespace cutover::probe
