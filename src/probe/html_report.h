// A self-contained HTML page of a probe run: summary tables and an inline SVG timeline of read
// and write availability in 100 ms buckets, to open in any browser.
#pragma once

#include <string>

#include "probe/analysis.h"
#include "probe/probe_record.h"

namespace cutover::probe {

std::string html_report(const ProbeRecord& record, const Analysis& analysis);

}  // namespace cutover::probe
