// What data records of each database's copy and verification, the same for every engine: the
// tables an earlier run copied (kept), the progress line, a fact and an event per copied table,
// and the verdict of the verification.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "move/move_step.h"
#include "move/table_comparison.h"
#include "move/table_copy.h"

namespace cutover::move {

class CopyRecords {
 public:
  CopyRecords(MoveStepRun& run, const DatabaseMapping& d) : run_(run), d_(d) {}

  // Whether an earlier run copied `table` (counted as kept).
  bool copied_before(const std::string& table);
  // Says how many tables were kept, and starts the progress line of `tables` tables (none:
  // no line) and about `rows` rows.
  void start(std::size_t tables, std::int64_t rows);
  void progress(std::int64_t rows, std::int64_t bytes);
  // Records a finished table (kept by the next run), with the sum of the rows that the copy
  // read from the source, and says so with --json.
  void copied(const CopiedTable& table);
  // The sum that the copy of `table` recorded, if it did (a cutover before these sums did not).
  std::optional<TableSum> source_sum(const std::string& table);
  void finish();

 private:
  MoveStepRun& run_;
  const DatabaseMapping& d_;
  int kept_ = 0;
  std::size_t tables_ = 0, done_ = 0;
  std::unique_ptr<ProgressReporter> progress_;
};

// Throws Error(kVerificationFailed) naming every difference, the source still frozen; else
// records the target's sums for abort and logs the verdict, `also` naming what else was
// compared ("sequences and schema").
void record_verification(MoveStepRun& run, const DatabaseMapping& d, const std::string& target,
                         std::size_t tables, const TableComparison& compared,
                         const std::string& also);

}  // namespace cutover::move
