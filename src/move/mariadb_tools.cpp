// mariadb-dump and the mariadb client, run for a move with the password in their environment.
#include "move/mariadb_tools.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/child_process.h"
#include "core/error.h"
#include "db/password_source.h"
#include "move/database_address.h"

namespace cutover::move {
namespace {

void run_tool(std::vector<std::string> argv, const MariadbToolServer& server,
              const std::string& what, const std::string& input_file = {}) {
  argv.insert(argv.begin() + 1, server.arguments.begin(), server.arguments.end());
  ChildOptions options;
  options.environment = server.environment;
  options.input_file = input_file;
  ChildResult result = run_child(argv, options);
  if (result.succeeded()) return;
  throw Error(
      ErrorCode::kOperationFailed,
      redact(fmt::format("{} on {} failed: {} {}", argv[0], server.shown, result.describe(), what)),
      fmt::format("the error is {}'s own; fix its cause and run the same cutover command "
                  "again (or cutover move abort)",
                  argv[0]));
}

// What every dump shares: no data, no dates or comments, and one consistent snapshot.
std::vector<std::string> dump_command(const std::string& database, const std::string& file) {
  return {"mariadb-dump",
          "--no-data",
          "--skip-dump-date",
          "--skip-comments",
          "--single-transaction",
          "--result-file=" + file,
          "--",
          database};
}

}  // namespace

MariadbToolServer mariadb_tool_server(const ConnectionUrl& server,
                                      const db::ConnectOptions& connect) {
  MariadbToolServer out;
  out.shown = url_without_password(server);
  if (!server.host.empty()) {
    out.arguments.push_back("--host=" + server.host);
    out.arguments.push_back("--protocol=tcp");
  }
  if (server.port) out.arguments.push_back(fmt::format("--port={}", *server.port));
  if (!server.user.empty()) out.arguments.push_back("--user=" + server.user);
  if (auto password = db::mariadb_password(server, connect)) {
    out.environment.emplace_back("MYSQL_PWD", *password);
  }
  return out;
}

void dump_mariadb_schema(const MariadbToolServer& source, const std::string& database,
                         SchemaPart part, const std::string& file) {
  auto argv = dump_command(database, file);
  std::vector<std::string> what =
      part == SchemaPart::kBeforeData
          ? std::vector<std::string>{"--skip-triggers", "--routines", "--skip-events"}
          : std::vector<std::string>{"--no-create-info", "--triggers", "--skip-routines",
                                     "--events"};
  argv.insert(argv.begin() + 1, what.begin(), what.end());
  run_tool(argv, source, "(dumping the schema)");
}

void load_mariadb_schema(const MariadbToolServer& target, const std::string& database,
                         const std::string& file) {
  // From stdin: the client's own `source` command goes on after an error.
  run_tool({"mariadb", "--batch", "--database=" + database}, target, "(restoring the schema)",
           file);
}

std::string mariadb_schema_text(const MariadbToolServer& server, const std::string& database,
                                const std::string& scratch) {
  auto argv = dump_command(database, scratch);
  argv.insert(argv.begin() + 1, {"--routines", "--triggers", "--events"});
  run_tool(argv, server, "(reading the schema to compare)");
  std::ifstream in(scratch);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(scratch.c_str());
  return text.str();
}

}  // namespace cutover::move
