// `cutover probe` run by a test as one application version.
#include "support/probe_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "db/registry.h"
#include "support/cli_output.h"

namespace cutover::test {

namespace fs = std::filesystem;
using nlohmann::json;

ProbeProcess::ProbeProcess(const std::string& binary, std::string label, const std::string& url,
                           fs::path record)
    : label_(std::move(label)),
      record_(std::move(record)),
      process_({binary, "probe", url, "--duration", "1h", "--readers", "1", "--writers", "2",
                "--rate", "50", "--json", record_.string()}) {}

std::string ProbeProcess::gone() {
  return label_ + " exited early: " + describe(process_.wait(std::chrono::seconds(5)));
}

void ProbeProcess::stop_and_check() {
  process_.kill(SIGINT);
  ProcessResult r = process_.wait(std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 1) << label_ << " should end as interrupted\n" << describe(r);
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << label_ << "\n" << describe(r);
  if (!fs::exists(record_)) {
    ADD_FAILURE() << label_ << " wrote no record at " << record_ << "\n" << describe(r);
    return;
  }
  std::ifstream in(record_);
  std::stringstream text;
  text << in.rdbuf();
  json record = json::parse(text.str());
  json summary = record["summary"];
  json verification = summary["verification"];  // null when the writes were not verified
  std::int64_t writes = summary["writes"]["total"];
  std::int64_t failed_reads = summary["reads"]["failed"];
  std::int64_t failed_writes = summary["writes"]["failed"];
  bool clean = writes > 0 && failed_reads == 0 && failed_writes == 0 && verification.is_object() &&
               verification["lost"].empty() && verification["duplicated"].empty();
  if (clean) return;
  std::string failures;
  int failed = 0;
  for (const auto& op : record["operations"]) {
    if (op[4] == "ok") continue;
    if (++failed > 20) continue;
    failures += "  " + op[0].get<std::string>() + " worker " + op[1].dump() + " at " +
                std::to_string(op[2].get<std::int64_t>() / 1000) +
                " ms: " + op[4].get<std::string>() + " " + (op.size() > 6 ? op[6].dump() : "") +
                " " + (op.size() > 8 ? op[8].get<std::string>() : "") + "\n";
  }
  ADD_FAILURE() << label_ << " saw trouble: " << writes << " writes, " << failed_writes
                << " failed, " << failed_reads << " failed reads, lost/duplicated "
                << verification.dump() << "\n--- summary:\n"
                << r.out << "\n--- failed operations (" << failed << ", first 20):\n"
                << failures << "--- record: " << record_;
}

std::int64_t probe_runs(const std::string& url) {
  try {
    auto connection = db::connect(url);
    return connection->query("SELECT count(DISTINCT run_id) FROM cutover_probe").scalar().as_int();
  } catch (const Error& e) {
    if (e.sqlstate() == "42P01" || e.sqlstate() == "42S02" || e.vendor_code() == 1146) return 0;
    // Galera aborts the count when the probe's DDL arrives from another node: poll again.
    if (e.vendor_code() == 1213) return 0;
    throw;
  }
}

}  // namespace cutover::test
