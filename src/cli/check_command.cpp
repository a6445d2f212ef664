// `cutover check URL...`: can cutover reach these databases, and what are they?
#include "cli/check_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/registry.h"

namespace cutover::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> urls;
  std::string password_file;
  int connect_timeout_s = 10;
};

nlohmann::json describe(const db::ServerInfo& info, bool can_create) {
  nlohmann::json j = {{"flavor", db::flavor_name(info.flavor)},
                      {"version", info.version},
                      {"version_number", info.version_number},
                      {"database", info.database},
                      {"user", info.user},
                      {"read_only", info.read_only},
                      {"can_create_tables", can_create}};
  if (info.flavor == db::Flavor::kPostgres) j["behind_pooler"] = info.behind_pooler;
  if (info.flavor == db::Flavor::kMariaDb || info.flavor == db::Flavor::kMySql) {
    j["galera"] = info.galera;
    if (info.galera) {
      j["galera_cluster_size"] = info.galera_cluster_size;
      j["galera_node"] = info.galera_node;
    }
  }
  return j;
}

void print_human(Output& output, const std::string& url, const db::ServerInfo& info,
                 bool can_create) {
  auto& out = output.out();
  out << url << "\n";
  out << fmt::format("  {:<18}{} {}\n", "server", db::flavor_name(info.flavor), info.version);
  out << fmt::format("  {:<18}{}\n", "database", info.database);
  if (!info.user.empty()) out << fmt::format("  {:<18}{}\n", "user", info.user);
  if (info.flavor == db::Flavor::kPostgres) {
    out << fmt::format("  {:<18}{}\n", "pooler",
                       info.behind_pooler ? "yes: a pooler such as PgBouncer is in between"
                                          : "no: direct connection");
  }
  if (info.flavor == db::Flavor::kMariaDb || info.flavor == db::Flavor::kMySql) {
    if (info.galera) {
      out << fmt::format("  {:<18}yes: node {} of a {}-node cluster\n", "galera", info.galera_node,
                         info.galera_cluster_size);
    } else {
      out << fmt::format("  {:<18}no\n", "galera");
    }
  }
  out << fmt::format("  {:<18}{}\n", "read-only", info.read_only ? "yes" : "no");
  out << fmt::format("  {:<18}{}\n", "can create tables", can_create ? "yes" : "no");
}

int run_check(const CheckOptions& options, Output& output) {
  db::ConnectOptions connect_options;
  connect_options.connect_timeout = std::chrono::seconds(options.connect_timeout_s);
  if (!options.password_file.empty()) connect_options.password_file = options.password_file;

  // Parse every URL first, so a typo in the last one is reported before any connection.
  for (const auto& url : options.urls) {
    ConnectionUrl parsed = parse_connection_url(url);
    if (parsed.password) {
      output.warn("the connection string " + parsed.redacted() +
                  " contains a password, which other users of this machine can read in the "
                  "process list; use PGPASSWORD, ~/.pgpass, MYSQL_PWD, an option file or "
                  "--password-file instead");
    }
  }
  for (const auto& url : options.urls) {
    auto connection = db::connect(url, connect_options);
    bool can_create = connection->can_create_tables();
    const auto& info = connection->server();
    if (output.json()) {
      nlohmann::json event = describe(info, can_create);
      event["event"] = "check";
      event["url"] = connection->redacted_url();
      output.event(event);
    } else {
      print_human(output, connection->redacted_url(), info, can_create);
    }
  }
  return 0;
}

}  // namespace

void add_check_command(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check", "Connect to each database and report what it is and what cutover may do there");
  cmd->footer(
      "\nURL forms:\n"
      "  postgres://user@host:5432/db    (or a libpq string: \"host=h port=5432 dbname=db\")\n"
      "  mariadb://user@host:3306/db     (mysql:// too)\n"
      "  sqlite:path/to/file.db          (sqlite::memory: for a throwaway database)\n"
      "\nPasswords never go in the URL: cutover reads PGPASSWORD, ~/.pgpass, PGSERVICE,\n"
      "MYSQL_PWD, the MariaDB option files, or --password-file.\n"
      "\nExamples:\n"
      "  cutover check postgres://app@db1:5432/shop sqlite:state.db\n"
      "  cutover check --json mariadb://root@127.0.0.1:3306/ | jq .galera_cluster_size\n"
      "\nExit codes: 0 all reachable, 2 a URL is malformed or a server unreachable or refused.");
  cmd->add_option("url", options->urls, "Connection strings to check")->required();
  add_password_file_option(*cmd, options->password_file);
  cmd->add_option("--connect-timeout", options->connect_timeout_s,
                  "Seconds to wait for each server")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->callback(
      [&run, options] { run = [options](Output& output) { return run_check(*options, output); }; });
}

}  // namespace cutover::cli
