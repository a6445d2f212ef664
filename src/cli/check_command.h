// `cutover check URL...`: can cutover reach these databases, and what are they?
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace cutover::cli {

// Adds the `check` subcommand to `app`; when it is chosen, `run` is set to its entry point.
void add_check_command(CLI::App& app, CommandRun& run);

}  // namespace cutover::cli
