// `cutover migrate` and its subcommands info, validate, baseline and repair.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace cutover::cli {

void add_migrate_command(CLI::App& app, CommandRun& run);

}  // namespace cutover::cli
