// `cutover proxy`: the PostgreSQL wire-protocol proxy, its control commands, and verifiers for
// its users file.
#pragma once

#include "cli/command.h"

namespace cutover::cli {

void add_proxy_command(CLI::App& app, CommandRun& run);

}  // namespace cutover::cli
