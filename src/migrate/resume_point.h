// Where a file that an interrupted run left partly applied resumes, and whether it still may:
// shared by `migrate` (which resumes there) and `migrate validate` (which refuses what migrate
// would refuse).
#pragma once

#include <optional>

#include "coord/lease.h"
#include "migrate/prepared_script.h"

namespace cutover::migrate {

// Where to resume `script`, the next file to apply: after the statements the lease records as
// applied by an earlier holder (0 when it records none). Throws Error(kBadInput) when that
// record is about another file, or when those statements have changed since (their
// prefix_checksum differs), with the way out (restore them, or undo and `migrate repair`).
int resume_point(const std::optional<coord::LeaseState>& lease, const PreparedScript& script);

}  // namespace cutover::migrate
