// The probe's findings in plain words, for a person reading a terminal.
#pragma once

#include <string>

#include "probe/analysis.h"
#include "probe/probe_record.h"

namespace cutover::probe {

std::string human_summary(const ProbeRecord& record, const Analysis& analysis);

}  // namespace cutover::probe
