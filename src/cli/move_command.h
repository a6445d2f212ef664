// `cutover move create / status / list / abort`: relocate whole databases as a staged plan.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace cutover::cli {

void add_move_command(CLI::App& app, CommandRun& run);

}  // namespace cutover::cli
