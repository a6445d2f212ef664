// Comparing every table of a moved database on both sides: its count and checksum read on the
// source and the target at once (or taken from what the copy recorded), several tables at a
// time, whatever the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/progress.h"
#include "db/connection.h"
#include "move/table_verify.h"

namespace cutover::move {

struct TableComparison {
  std::vector<std::string> differences;  // "t: 5 rows on the source, 4 on the target", ...
  std::int64_t rows = 0;                 // on the source, all tables
  nlohmann::json sums = nlohmann::json::object();  // the target's, {"t": TableSum}, for abort
};

struct TableComparisonRequest {
  std::vector<std::string> tables;  // as `sum` takes them
  int jobs = 1;                     // tables compared at once, each with a session per side
  std::function<std::unique_ptr<db::Connection>()> open_source;
  std::function<std::unique_ptr<db::Connection>()> open_target;
  std::function<TableSum(db::Connection&, const std::string&)> sum;
  // The sums known already (what the copy read from the frozen source, and read back from the
  // target): a side whose sum is known is not read.
  std::map<std::string, TableSum> source_sums, target_sums;
};

// Throws the first failure after stopping the other workers; on SIGINT/SIGTERM, Error
// "interrupted" (the statements under way finish first).
TableComparison compare_tables(const TableComparisonRequest& request, ProgressReporter& progress);

// "the schema differs: the source has "<line>" where the target has "<line>"", naming the first
// line that differs (enough to start looking), or empty when the two texts are equal.
std::string schema_difference(const std::string& source, const std::string& target);

}  // namespace cutover::move
