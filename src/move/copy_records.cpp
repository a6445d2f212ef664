// What data records of each database's copy and verification.
#include "move/copy_records.h"

#include <fmt/format.h>

#include "core/error.h"

namespace cutover::move {

bool CopyRecords::copied_before(const std::string& table) {
  if (!run_.store().fact(run_.id(), "copied:" + d_.target_name + ":" + table)) return false;
  ++kept_;
  return true;
}

std::optional<TableSum> CopyRecords::source_sum(const std::string& table) {
  auto fact = run_.store().fact(run_.id(), "copied:" + d_.target_name + ":" + table);
  if (!fact || !fact->contains("sum")) return std::nullopt;
  return TableSum::from_json(fact->at("sum"));
}

void CopyRecords::start(std::size_t tables, std::int64_t rows) {
  if (kept_ > 0) {
    run_.say("resume",
             fmt::format("{}: {} copied before {} kept", d_.source_name(),
                         kept_ == 1 ? "1 table" : fmt::format("{} tables", kept_),
                         kept_ == 1 ? "is" : "are"),
             {{"database", d_.source_name()}, {"kept", kept_}});
  }
  tables_ = tables;
  if (tables == 0) return;
  progress_ =
      std::make_unique<ProgressReporter>(run_.output(), "copy " + d_.source_name(), "rows", rows);
  progress_->set_detail(fmt::format("0/{} tables", tables));
}

void CopyRecords::progress(std::int64_t rows, std::int64_t bytes) {
  if (progress_) progress_->update(rows, bytes);
}

void CopyRecords::finish() {
  if (progress_) progress_->finish();
}

void CopyRecords::copied(const CopiedTable& t) {
  nlohmann::json fact = {{"rows", t.rows}, {"bytes", t.bytes}};
  if (!t.sum.checksum.empty()) fact["sum"] = t.sum.to_json();
  run_.store().set_fact(run_.id(), "copied:" + d_.target_name + ":" + t.name, fact);
  progress_->set_detail(fmt::format("{}/{} tables, last {}", ++done_, tables_, t.name));
  if (run_.output().json()) {
    run_.say("table", "",
             {{"database", d_.source_name()},
              {"table", t.name},
              {"rows", t.rows},
              {"bytes", t.bytes},
              {"seconds", t.seconds}});
  }
}

void record_verification(MoveStepRun& run, const DatabaseMapping& d, const std::string& target,
                         std::size_t tables, const TableComparison& compared,
                         const std::string& also) {
  if (!compared.differences.empty()) {
    std::string list;
    bool rows_differ = false;  // else only the schema: cutover's own doing, not a writer's
    for (const auto& x : compared.differences) {
      list += (list.empty() ? "" : ", ") + x;
      rows_differ = rows_differ || !x.starts_with("the schema differs");
    }
    std::string cause = rows_differ ? "(a writer the freeze did not stop?)"
                                    : "(what the schema dump holds that the restore did not "
                                      "make: please report it)";
    throw Error(ErrorCode::kVerificationFailed,
                fmt::format("{} -> {}: verification failed: {}", d.source_name(), target, list),
                fmt::format("the source is still frozen and untouched: find the cause {}, then "
                            "cutover move abort {} and move again",
                            cause, run.id()));
  }
  run.store().set_fact(run.id(), "verified:" + d.target_name,
                       {{"tables", tables}, {"rows", compared.rows}, {"sums", compared.sums}});
  run.log("verified",
          fmt::format("{} -> {}: verified: {} table{}, {} rows, counts and checksums equal, {} "
                      "equal",
                      d.source_name(), target, tables, tables == 1 ? "" : "s", compared.rows, also),
          {{"database", d.target_name}, {"tables", tables}, {"rows", compared.rows}});
}

}  // namespace cutover::move
