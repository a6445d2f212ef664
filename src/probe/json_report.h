// The full probe record and its analysis as one JSON document, for machines and archives.
#pragma once

#include <nlohmann/json.hpp>

#include "probe/analysis.h"
#include "probe/probe_record.h"

namespace cutover::probe {

// Operations are arrays, to keep large runs compact:
//   [kind "r"|"w", worker, start_us, end_us, outcome, write_seq, sqlstate, vendor_code, message]
// with the last four only where they apply.
nlohmann::json to_json(const ProbeRecord& record, const Analysis& analysis);

// The analysis alone: what the summary says, as JSON.
nlohmann::json analysis_json(const Analysis& analysis, const Verification& verification);

}  // namespace cutover::probe
