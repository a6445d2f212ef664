// The cutover executable: parses the command line, runs one command, and is the only place
// that catches cutover::Error and turns it into an exit code.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/change_command.h"
#include "cli/check_command.h"
#include "cli/command.h"
#include "cli/migrate_command.h"
#include "cli/move_command.h"
#include "cli/probe_command.h"
#include "cli/proxy_command.h"
#include "core/connection_url.h"
#include "core/error.h"
#include "core/output.h"

namespace {

constexpr const char* kDescription =
    "cutover: zero-downtime database migrations.\n"
    "Changes schemas while old and new application versions run side by side, moves databases\n"
    "between servers, and switches traffic, while reads keep working and writes pause only\n"
    "inside a declared window. PostgreSQL first, MariaDB (with Galera) second, SQLite embedded.";

void report_error(const cutover::Error& error, bool json) {
  if (json) {
    nlohmann::json event = {{"event", "error"},
                            {"code", cutover::error_code_name(error.code())},
                            {"exit_code", cutover::exit_code(error.code())},
                            {"message", cutover::redact(error.message())}};
    if (!error.hint().empty()) event["hint"] = cutover::redact(error.hint());
    if (!error.sqlstate().empty()) event["sqlstate"] = error.sqlstate();
    if (error.vendor_code() != 0) event["vendor_code"] = error.vendor_code();
    std::cout << event.dump() << std::endl;
    return;
  }
  std::cerr << "error: " << cutover::redact(error.message()) << "\n";
  if (!error.hint().empty()) std::cerr << "hint: " << cutover::redact(error.hint()) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "cutover");
  app.set_version_flag("--version", std::string("cutover ") + CUTOVER_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  cutover::cli::GlobalOptions global;
  app.add_flag("--json", global.json, "Print one JSON object per event on stdout, for scripts");
  app.footer(
      "\nExit codes: 0 done, 1 operation failed, 2 bad input or usage, 3 locked or conflicting,\n"
      "4 verification failed.\nRun 'cutover COMMAND --help' for the options of a command.");

  cutover::cli::CommandRun run;
  cutover::cli::add_check_command(app, run);
  cutover::cli::add_probe_command(app, run);
  cutover::cli::add_migrate_command(app, run);
  cutover::cli::add_change_command(app, run);
  cutover::cli::add_move_command(app, run);
  cutover::cli::add_proxy_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cutover::exit_code(cutover::ErrorCode::kBadInput);
  }

  try {
    cutover::Output output = cutover::Output::for_process(global.json);
    return run(output);
  } catch (const cutover::Error& error) {
    report_error(error, global.json);
    return cutover::exit_code(error.code());
  } catch (const std::exception& error) {
    // A bug, not an operational failure: say so plainly, still without secrets.
    std::cerr << "internal error: " << cutover::redact(error.what()) << "\n";
    return cutover::exit_code(cutover::ErrorCode::kOperationFailed);
  }
}
