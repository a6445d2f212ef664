// `cutover change start / complete / rollback / status`: online expand/contract changes.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace cutover::cli {

void add_change_command(CLI::App& app, CommandRun& run);

}  // namespace cutover::cli
