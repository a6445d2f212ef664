// How a subcommand plugs into the CLI: it registers its options on the app and runs later.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "core/output.h"

namespace cutover::cli {

// Options every command shares.
struct GlobalOptions {
  bool json = false;
};

// A subcommand's entry point, run after parsing. Returns the exit code for success (0); failures
// throw cutover::Error, which main() maps to an exit code.
using CommandRun = std::function<int(Output&)>;

}  // namespace cutover::cli
