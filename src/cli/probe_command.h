// `cutover probe URL`: steady reads and writes, every outcome recorded, and a report of what
// clients saw.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace cutover::cli {

void add_probe_command(CLI::App& app, CommandRun& run);

}  // namespace cutover::cli
