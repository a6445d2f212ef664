// The options `cutover migrate` and its subcommands share, as typed on the command line, and
// their conversion into the runner's options.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"
#include "migrate/callbacks.h"
#include "migrate/migration_runner.h"
#include "migrate/migration_source.h"

namespace cutover::cli {

struct MigrateCliOptions {
  std::string url;
  std::string dir = "migrations";
  std::string history_table{migrate::kDefaultHistoryTable};
  std::vector<std::string> placeholders;
  std::string password_file;
  int connect_timeout_s = 10;
  // migrate
  std::string target;
  bool dry_run = false;
  bool out_of_order = false;
  std::string lock_timeout{db::kDefaultLockTimeoutText};
  std::string retry_for{db::kDefaultRetryForText};
  std::string statement_timeout = "0";
  std::string wait_timeout = "10m";
  std::string lease_ttl = "10s";
  // baseline
  std::string baseline_version;
  std::string baseline_description = "<< Flyway Baseline >>";
  // The options given on the command line (e.g. "--dir"), which win over flyway.conf.
  std::set<std::string> given;
};

// Registers the URL and the options every migrate command takes on `command`.
void add_migrate_common_options(CLI::App& command, MigrateCliOptions& options);

// Checks and converts every option, after reading a Flyway project's flyway.conf or
// flyway.toml in the working directory (command-line options win over it; what it sets that
// cutover has no counterpart for is named in one warning on `warnings`). Throws
// Error(kBadInput) naming the option for a bad value, or the file and key for a setting that
// cannot be honoured (see parse_flyway_project_config), before anything connects.
migrate::MigrateOptions to_migrate_options(const MigrateCliOptions& options,
                                           Output* warnings = nullptr);

// The migration files of the --dir folder, and a connection to the URL, after the options
// (whose placeholders then include Flyway's built-ins), and the folder's Flyway callbacks.
struct MigrateSession {
  migrate::MigrateOptions options;
  std::vector<migrate::MigrationScript> scripts;
  std::unique_ptr<db::Connection> connection;
  std::vector<migrate::CallbackScript> callbacks;
};
// Throws as to_migrate_options and load_migrations do, and Error(kBadInput) when the database
// holds an unadopted Flyway history (HistoryTable::refuse_unadopted_flyway_history).
// `files_optional` (baseline, which applies no file): a default folder that does not exist
// holds no files nor callbacks.
MigrateSession open_migrate_session(const MigrateCliOptions& options, Output* warnings = nullptr,
                                    bool files_optional = false);

}  // namespace cutover::cli
