// `cutover probe URL`: steady reads and writes, every outcome recorded, and a report of what
// clients saw.
#include "cli/probe_command.h"

#include <fmt/format.h>

#include <exception>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "probe/analysis.h"
#include "probe/html_report.h"
#include "probe/json_report.h"
#include "probe/probe.h"
#include "probe/summary.h"

namespace cutover::cli {
namespace {

struct ProbeCliOptions {
  std::string url;
  std::string verify_url;
  std::string duration = "30s";
  std::string op_timeout = "2s";
  std::string lock_timeout = "500ms";
  int readers = 4;
  int writers = 4;
  double rate = 0;
  std::string table = "cutover_probe";
  std::string json_file;
  std::string html_file;
  std::string password_file;
  bool no_verify = false;
};

void write_file(const std::string& path, const std::string& content, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();  // a full disk shows only when the buffer is written
  if (!out) {
    throw Error(ErrorCode::kOperationFailed, fmt::format("cannot write the {} to {}", what, path),
                "check that the directory exists and is writable");
  }
}

int run_probe(const ProbeCliOptions& cli, Output& output) {
  probe::ProbeOptions options;
  options.url = cli.url;
  options.verify_url = cli.verify_url;
  options.table = cli.table;
  options.duration = parse_duration(cli.duration, "--duration");
  options.op_timeout = parse_duration(cli.op_timeout, "--op-timeout");
  options.lock_timeout = parse_duration(cli.lock_timeout, "--lock-timeout");
  options.readers = cli.readers;
  options.writers = cli.writers;
  options.rate = cli.rate;
  if (!cli.password_file.empty()) options.password_file = cli.password_file;
  if (options.duration.count() <= 0) {
    throw_bad_input("--duration must be more than 0", "for example --duration 30s");
  }

  // Ctrl-C and SIGTERM end the load early and the reports are still written. Created before
  // the probe, whose watchdog thread starts with it, so that no thread takes the signals but
  // the watch's own, where calling Probe::stop() is safe, unlike in a signal handler.
  InterruptWatch interrupt_watch(SecondSignal::kIgnore);
  probe::Probe probe(options);
  probe.prepare();

  ProgressReporter progress(output, "probe", "ms", options.duration.count());
  bool interrupted = false;
  {
    OnInterrupt stop_probe([&probe] { probe.stop(); });  // at once if a signal came already
    probe.run([&](const probe::ProbeCounts& c) {
      progress.set_detail(fmt::format("reads {} ok {} failed, writes {} ok {} failed", c.reads_ok,
                                      c.reads_failed, c.writes_ok, c.writes_failed));
      progress.update(c.elapsed_us / 1000);
    });
    interrupted = cutover::interrupted();
  }
  progress.finish();

  // A target unreachable at the end must not cost the record of the whole run: write the
  // reports first (they say "not verified"), then fail.
  std::exception_ptr verify_failure;
  if (!cli.no_verify && options.writers > 0) {
    try {
      probe.verify();
    } catch (const Error&) {
      verify_failure = std::current_exception();
    }
  }
  const auto& record = probe.record();
  auto analysis = probe::analyze(record);

  if (!cli.json_file.empty()) {
    write_file(cli.json_file, probe::to_json(record, analysis).dump() + "\n", "JSON record");
  }
  if (!cli.html_file.empty()) {
    write_file(cli.html_file, probe::html_report(record, analysis), "HTML report");
  }
  if (output.json()) {
    nlohmann::json event = probe::analysis_json(analysis, record.verification);
    event["event"] = "probe_summary";
    event["url"] = record.url;
    event["run_id"] = record.run_id;
    output.event(event);
  } else {
    output.out() << probe::human_summary(record, analysis);
  }
  if (verify_failure) std::rethrow_exception(verify_failure);
  if (interrupted) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("the probe was interrupted after {:.1f} s",
                            static_cast<double>(record.duration_us) / 1e6),
                "the reports cover what ran until then");
  }
  const auto& v = record.verification;
  if (!v.lost.empty() || !v.duplicated.empty()) {
    throw Error(ErrorCode::kVerificationFailed,
                fmt::format("{} acknowledged writes lost, {} duplicated", v.lost.size(),
                            v.duplicated.size()),
                "the report lists each lost or duplicated write by writer and sequence number");
  }
  return 0;
}

}  // namespace

void add_probe_command(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<ProbeCliOptions>();
  auto* cmd = app.add_subcommand(
      "probe",
      "Run steady reads and writes against a database and report what clients saw: "
      "availability, unavailability windows, latency, lost writes");
  cmd->footer(
      "\nEach writer inserts rows numbered (writer, sequence) into the probe table and commits;\n"
      "each reader runs a point read of a recent write and a small range read. A loop whose\n"
      "connection breaks reconnects, as an application's pool would. At the end every\n"
      "acknowledged write is looked up on the target (--verify-against, default the URL).\n"
      "\nExamples:\n"
      "  cutover probe postgres://app@db/shop --duration 60s --html probe.html\n"
      "  cutover probe postgres://app@old/shop --verify-against postgres://app@new/shop\n"
      "  cutover --json probe sqlite:app.db --duration 10s     # summary as a JSON event\n"
      "\nExit codes: 0 done (the report says how available the database was), 2 bad input or\n"
      "unreachable at start, 4 an acknowledged write was lost or duplicated.");
  cmd->add_option("url", o->url, "Database to probe")->required();
  cmd->add_option("--verify-against", o->verify_url,
                  "Where to look for acknowledged writes afterwards (after a move: the target)");
  cmd->add_option("--duration", o->duration, "How long to run: 30s, 2m, 500ms")
      ->capture_default_str();
  cmd->add_option("--readers", o->readers, "Reader loops")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--writers", o->writers, "Writer loops")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--rate", o->rate, "Operations per second per loop; 0 = as fast as possible")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--table", o->table, "Probe table, created if missing")->capture_default_str();
  cmd->add_option("--op-timeout", o->op_timeout, "Cancel and count as a timeout after this")
      ->capture_default_str();
  cmd->add_option("--lock-timeout", o->lock_timeout, "Give up waiting for a lock after this")
      ->capture_default_str();
  cmd->add_option("--json", o->json_file, "Write the full record (every operation) to FILE");
  cmd->add_option("--html", o->html_file, "Write a self-contained HTML report with a timeline");
  add_password_file_option(*cmd, o->password_file);
  cmd->add_flag("--no-verify", o->no_verify, "Skip the lookup of acknowledged writes");
  cmd->callback([&run, o] { run = [o](Output& output) { return run_probe(*o, output); }; });
}

}  // namespace cutover::cli
