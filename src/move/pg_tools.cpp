// pg_dump and pg_restore, run for a move with the password in their environment only.
#include "move/pg_tools.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/child_process.h"
#include "core/error.h"
#include "core/password_file.h"
#include "move/database_address.h"

namespace cutover::move {
namespace {

void run_tool(const std::vector<std::string>& argv, const PgToolDatabase& database,
              const std::string& what) {
  ChildOptions options;
  options.environment = database.environment;
  ChildResult result = run_child(argv, options);
  if (result.succeeded()) return;
  throw Error(ErrorCode::kOperationFailed,
              redact(fmt::format("{} of {} failed: {} {}", argv[0], database.conninfo,
                                 result.describe(), what)),
              fmt::format("the error is {}'s own; fix its cause and run the same cutover command "
                          "again (or cutover move abort)",
                          argv[0]));
}

}  // namespace

PgToolDatabase pg_tool_database(const ConnectionUrl& server, std::string_view database,
                                const db::ConnectOptions& connect) {
  PgToolDatabase out;
  ConnectionUrl url = parse_connection_url(url_with_database(server, database));
  out.conninfo = url_without_password(url);
  if (url.password) {
    out.environment.emplace_back("PGPASSWORD", *url.password);
  } else if (connect.password_file) {
    // A file of pgpass lines is the tools' PGPASSFILE: they match it per host themselves.
    PasswordFile file = load_password_file(*connect.password_file);
    if (file.password) {
      out.environment.emplace_back("PGPASSWORD", *file.password);
    } else {
      out.environment.emplace_back("PGPASSFILE", file.path);
    }
  }
  out.environment.emplace_back("PGCONNECT_TIMEOUT",
                               std::to_string(connect.connect_timeout.count()));
  out.environment.emplace_back("PGAPPNAME", connect.application_name);
  return out;
}

void dump_schema(const PgToolDatabase& source, const std::string& file) {
  run_tool({"pg_dump", "--schema-only", "--format=custom", "--no-tablespaces", "--file=" + file,
            "--dbname=" + source.conninfo},
           source, "(dumping the schema)");
}

void restore_schema(const PgToolDatabase& target, const std::string& file, std::string_view section,
                    int jobs, const std::optional<std::string>& owner,
                    const std::string& use_list) {
  std::vector<std::string> argv = {"pg_restore", "--section=" + std::string(section),
                                   "--exit-on-error", "--no-tablespaces",
                                   "--dbname=" + target.conninfo};
  if (section == "pre-data" || jobs == 0) {
    argv.push_back("--single-transaction");
  } else {
    argv.push_back("--jobs=" + std::to_string(jobs));
  }
  if (owner) argv.insert(argv.end(), {"--no-owner", "--role=" + *owner});
  if (!use_list.empty()) argv.push_back("--use-list=" + use_list);
  argv.push_back(file);
  PgToolDatabase bounded = target;
  bounded.environment.emplace_back("PGOPTIONS",
                                   fmt::format("-c lock_timeout={}", kTargetLockTimeout));
  run_tool(argv, bounded, fmt::format("(restoring the schema's {} section)", section));
}

std::string schema_listing(const PgToolDatabase& database, const std::string& file,
                           const std::string& scratch) {
  run_tool({"pg_restore", "--list", "--file=" + scratch, file}, database,
           "(listing the schema dump's entries)");
  std::ifstream in(scratch);
  std::ostringstream out;
  out << in.rdbuf();
  std::remove(scratch.c_str());
  return out.str();
}

std::string schema_text(const PgToolDatabase& database, const std::string& scratch) {
  run_tool({"pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--no-tablespaces",
            "--file=" + scratch, "--dbname=" + database.conninfo},
           database, "(reading the schema to compare it)");
  std::ifstream in(scratch);
  std::string line;
  std::ostringstream out;
  while (std::getline(in, line)) {
    if (line.rfind("--", 0) == 0 || line.rfind("\\restrict", 0) == 0 ||
        line.rfind("\\unrestrict", 0) == 0 || line.empty()) {
      continue;
    }
    out << line << '\n';
  }
  return out.str();
}

}  // namespace cutover::move
