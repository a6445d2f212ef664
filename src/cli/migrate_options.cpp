// The options `cutover migrate` and its subcommands share.
#include "cli/migrate_options.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "cli/command.h"
#include "core/connection_url.h"
#include "core/duration.h"
#include "core/error.h"
#include "db/registry.h"
#include "migrate/flyway_config.h"
#include "migrate/version.h"

namespace cutover::cli {

void add_migrate_common_options(CLI::App& command, MigrateCliOptions& o) {
  command.add_option("url", o.url,
                     "Database: postgres://user@host/db, mariadb://user@host/db, sqlite:///path");
  command
      .add_option("--dir", o.dir, "Folder of migration files V<version>__<desc>.sql, R__<desc>.sql")
      ->capture_default_str()
      ->each([&o](const std::string&) { o.given.insert("--dir"); });
  command
      .add_option("--history-table", o.history_table,
                  "History table; flyway_schema_history adopts a Flyway project as it is")
      ->capture_default_str()
      ->each([&o](const std::string&) { o.given.insert("--history-table"); });
  command.add_option("--placeholder", o.placeholders,
                     "NAME=VALUE filling ${NAME} in the scripts; repeat for several");
  add_password_file_option(command, o.password_file);
  command.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to wait for a connection")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

namespace {

migrate::MigrateOptions to_migrate_options_checked(const MigrateCliOptions& o);

// The Flyway project configuration in the working directory, if there is one.
std::optional<migrate::FlywayProjectConfig> read_flyway_project_config() {
  std::vector<std::string> found;
  for (const char* name : {"flyway.conf", "flyway.toml"}) {
    if (std::error_code ignored; std::filesystem::is_regular_file(name, ignored)) {
      found.push_back(name);
    }
  }
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    throw_bad_input("both flyway.conf and flyway.toml are in the working directory",
                    "keep the one Flyway reads for this project and move the other away");
  }
  std::ifstream in(found.front(), std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) {
    throw_bad_input(fmt::format("cannot read {}", found.front()),
                    "check that this user may read it, or move it away");
  }
  return migrate::parse_flyway_project_config(found.front(), text, ".");
}

// `url` with `schema` made the connection's current one, where the URL allows it: in front of
// the default search_path, quoted, as Flyway sets it (extensions in public stay visible).
std::string with_default_schema(const std::string& url, const std::string& schema,
                                std::vector<std::string>& ignored) {
  ConnectionUrl parsed = parse_connection_url(url);
  if (parsed.scheme != Scheme::kPostgres || parsed.keyword_form) {
    ignored.push_back("flyway.schemas/defaultSchema (the URL's database is the schema)");
    return url;
  }
  if (parsed.options.contains("options")) {
    ignored.push_back("flyway.schemas/defaultSchema (the URL sets options already)");
    return url;
  }
  std::string quoted = "\"";
  for (char c : schema) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  quoted += "\"";
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "options=" + percent_encode("-csearch_path=" + quoted + ",\"$user\",public");
}

}  // namespace

migrate::MigrateOptions to_migrate_options(const MigrateCliOptions& given, Output* warnings) {
  MigrateCliOptions o = given;
  std::optional<migrate::FlywayProjectConfig> flyway = read_flyway_project_config();
  std::vector<std::string> from_file;  // placeholders given by the file, added below
  std::optional<std::string> schema;   // the one the file makes current
  if (flyway) {
    std::vector<std::string> ignored = flyway->ignored_keys;
    if (o.url.empty() && flyway->url) {
      o.url = *flyway->url;
      if (flyway->schema) {
        o.url = with_default_schema(o.url, *flyway->schema, ignored);
        schema = flyway->schema;
      }
    } else if (flyway->schema) {
      ignored.push_back("flyway.schemas/defaultSchema (the URL is given on the command line)");
    }
    if (!o.given.contains("--dir") && flyway->dir) o.dir = *flyway->dir;
    // A Flyway project's history is Flyway's, by Flyway's default name.
    if (!o.given.contains("--history-table")) {
      o.history_table = flyway->table.value_or("flyway_schema_history");
    }
    if (o.target.empty() && flyway->target) o.target = *flyway->target;
    if (flyway->out_of_order) o.out_of_order = o.out_of_order || *flyway->out_of_order;
    if (!flyway->baseline_on_migrate) {
      if (flyway->baseline_version) ignored.push_back("flyway.baselineVersion");
      if (flyway->baseline_description) ignored.push_back("flyway.baselineDescription");
    }
    for (const auto& [name, value] : flyway->placeholders) from_file.push_back(name + "=" + value);
    if (warnings && !ignored.empty()) {
      std::string names;
      for (const auto& key : ignored) names += (names.empty() ? "" : ", ") + key;
      warnings->warn(fmt::format("{}: settings without a counterpart in cutover, ignored: {}",
                                 flyway->source, names));
    }
  }
  migrate::MigrateOptions options = to_migrate_options_checked(o);
  for (const auto& assignment : from_file) {
    options.placeholders.insert(migrate::parse_placeholder_assignment(assignment));  // CLI wins
  }
  if (flyway && flyway->execute_in_transaction == false) options.execute_in_transaction = false;
  options.schema = schema;
  if (flyway && flyway->baseline_on_migrate) {
    const std::string version = flyway->baseline_version.value_or("1");
    try {
      options.baseline_on_migrate = migrate::Version::parse(version);
    } catch (const Error& e) {
      throw_bad_input(fmt::format("{}: flyway.baselineVersion: {}", flyway->source, e.message()),
                      "give a version such as 1 or 2.1");
    }
    if (flyway->baseline_description) options.baseline_description = *flyway->baseline_description;
  }
  return options;
}

namespace {

// The options as given (after flyway.conf), checked and converted.
migrate::MigrateOptions to_migrate_options_checked(const MigrateCliOptions& o) {
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
  if (!o.target.empty() && o.target != "latest") {
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

}  // namespace

MigrateSession open_migrate_session(const MigrateCliOptions& o, Output* warnings,
                                    bool files_optional) {
  MigrateSession session{to_migrate_options(o, warnings), {}, nullptr, {}};
  session.connection = db::connect(session.options.url, session.options.connect);
  if (session.connection->server().galera) {
    // As migrate's own run reads: after everything the cluster committed before them, so that
    // info, validate and repair on one node see what another node's migrate just did.
    session.connection->execute("SET SESSION wsrep_sync_wait = 1");
  }
  migrate::require_schema(*session.connection, session.options);
  migrate::HistoryTable history(*session.connection, session.options.history_table);
  history.refuse_unadopted_flyway_history();
  if (history.exists()) history.check_columns();
  // Built-in placeholders come from the session; repeatable checksums need every placeholder.
  session.options.placeholders = migrate::with_builtin_placeholders(
      session.options.placeholders, *session.connection, session.options.history_table);
  if (files_optional && !o.given.contains("--dir") &&
      !std::filesystem::exists(session.options.dir)) {
    return session;
  }
  session.scripts = migrate::load_migrations(session.options.dir, session.options.placeholders);
  migrate::apply_execute_in_transaction(session.options, session.scripts);
  session.callbacks = migrate::load_callbacks(session.options.dir, session.options.placeholders);
  return session;
}

}  // namespace cutover::cli
