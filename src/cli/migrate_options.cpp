// The options `cutover migrate` and its subcommands share.
#include "cli/migrate_options.h"

#include <fmt/format.h>

#include "cli/command.h"
#include "core/duration.h"
#include "core/error.h"
#include "db/registry.h"
#include "migrate/version.h"

namespace cutover::cli {

void add_migrate_common_options(CLI::App& command, MigrateCliOptions& o) {
  command.add_option("url", o.url,
                     "Database: postgres://user@host/db, mariadb://user@host/db, sqlite:///path");
  command.add_option("--dir", o.dir, "Folder of migration files V<version>__<desc>.sql, R__<desc>.sql")
      ->capture_default_str();
  command.add_option("--history-table", o.history_table,
                     "History table; flyway_schema_history adopts a Flyway project as it is")
      ->capture_default_str();
  command.add_option("--placeholder", o.placeholders,
                     "NAME=VALUE filling ${NAME} in the scripts; repeat for several");
  add_password_file_option(command, o.password_file);
  command.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to wait for a connection")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

migrate::MigrateOptions to_migrate_options(const MigrateCliOptions& o) {
  if (o.url.empty()) {
    throw_bad_input("no database URL given",
                    "name the database: cutover migrate postgres://app@db/shop --dir migrations");
  }
  migrate::MigrateOptions options;
  options.url = o.url;
  options.connect.connect_timeout = std::chrono::seconds(o.connect_timeout_s);
  if (!o.password_file.empty()) options.connect.password_file = o.password_file;
  options.connect.application_name = "cutover migrate";
  options.dir = o.dir;
  options.history_table = o.history_table;
  for (const auto& assignment : o.placeholders) {
    options.placeholders.insert(migrate::parse_placeholder_assignment(assignment));
  }
  if (!o.target.empty()) {
    try {
      options.plan.target = migrate::Version::parse(o.target);
    } catch (const Error& e) {
      throw_bad_input("--target: " + e.message(), "give a version such as 3 or 2.1");
    }
  }
  options.plan.out_of_order = o.out_of_order;
  options.apply.retry.lock_timeout = parse_duration(o.lock_timeout, "--lock-timeout");
  options.apply.retry.retry_for = parse_duration(o.retry_for, "--retry-for");
  options.apply.statement_timeout = parse_duration(o.statement_timeout, "--statement-timeout");
  options.wait_timeout = parse_duration(o.wait_timeout, "--wait-timeout");
  options.lease.ttl = parse_duration(o.lease_ttl, "--lease-ttl");
  if (options.apply.retry.lock_timeout.count() <= 0) {
    throw_bad_input("--lock-timeout must be above zero",
                    "a DDL statement that waits for a lock without limit queues every query of "
                    "the application behind it; keep it short, e.g. 200ms (the default)");
  }
  if (options.lease.ttl < std::chrono::seconds(1)) {
    throw_bad_input("--lease-ttl must be at least 1s",
                    "the lease is renewed every third of it; the default is 10s");
  }
  return options;
}

MigrateSession open_migrate_session(const MigrateCliOptions& o) {
  MigrateSession session{to_migrate_options(o), {}, nullptr, {}};
  session.connection = db::connect(session.options.url, session.options.connect);
  // Built-in placeholders come from the session; repeatable checksums need every placeholder.
  session.options.placeholders = migrate::with_builtin_placeholders(
      session.options.placeholders, *session.connection, session.options.history_table);
  session.scripts = migrate::load_migrations(session.options.dir, session.options.placeholders);
  session.callbacks = migrate::load_callbacks(session.options.dir, session.options.placeholders);
  return session;
}

}  // namespace cutover::cli
