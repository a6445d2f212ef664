// How a subcommand plugs into the CLI: it registers its options on the app and runs later.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/output.h"

namespace cutover::cli {

// Options every command shares.
struct GlobalOptions {
  bool json = false;
};

// A subcommand's entry point, run after parsing. Returns the exit code for success (0); failures
// throw cutover::Error, which main() maps to an exit code.
using CommandRun = std::function<int(Output&)>;

// The --password-file option every command that connects shares, with one wording.
inline void add_password_file_option(CLI::App& command, std::string& target) {
  command
      .add_option("--password-file", target,
                  "File whose first line is the password, or of pgpass lines "
                  "(host:port:database:user:password, mode 0600) matched per server; beats "
                  "PGPASSWORD and MYSQL_PWD, a password in the URL beats it")
      ->check(CLI::ExistingFile);
}

}  // namespace cutover::cli
