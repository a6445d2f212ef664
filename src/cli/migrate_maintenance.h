// The migrate subcommands that inspect or mend the history: info, validate, baseline, repair.
#pragma once

#include "cli/migrate_options.h"
#include "core/output.h"

namespace cutover::cli {

int run_migrate_info(const MigrateCliOptions& options, Output& output);
int run_migrate_validate(const MigrateCliOptions& options, Output& output);
int run_migrate_baseline(const MigrateCliOptions& options, Output& output);
int run_migrate_repair(const MigrateCliOptions& options, Output& output);

}  // namespace cutover::cli
