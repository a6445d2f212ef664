// What a MariaDB/MySQL session is talking to: flavor, version, user, database, Galera facts.
#include "db/mariadb/mariadb_server_info.h"

#include <map>
#include <string>

#include "db/mariadb/mariadb_text_query.h"

namespace cutover::db::mariadb {
namespace {

// Name -> value of the session's variables; SHOW VARIABLES works on MariaDB and MySQL alike,
// where @@transaction_read_only or @@wsrep_on would fail on one of them.
std::map<std::string, std::string> session_variables(MYSQL* mysql) {
  auto reader = run_text_query(mysql,
                               "SHOW SESSION VARIABLES WHERE Variable_name IN ('read_only', "
                               "'tx_read_only', 'transaction_read_only', 'wsrep_on', "
                               "'wsrep_node_name')",
                               Fetch::kBuffered);
  std::map<std::string, std::string> variables;
  Row row;
  while (reader->next(row)) variables[row[0].text()] = row[1].text();
  return variables;
}

bool is_on(const std::map<std::string, std::string>& variables, const std::string& name) {
  auto found = variables.find(name);
  return found != variables.end() && (found->second == "ON" || found->second == "1");
}

int galera_cluster_size(MYSQL* mysql) {
  auto reader =
      run_text_query(mysql, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'", Fetch::kBuffered);
  Row row;
  return reader->next(row) ? static_cast<int>(row[1].as_int()) : 0;
}

}  // namespace

ServerInfo read_server_info(MYSQL* mysql) {
  ServerInfo info;
  info.version = mysql_get_server_info(mysql);
  info.version_number = static_cast<int>(mysql_get_server_version(mysql));
  info.flavor =
      info.version.find("MariaDB") != std::string::npos ? Flavor::kMariaDb : Flavor::kMySql;

  auto identity = run_text_query(mysql, "SELECT DATABASE(), CURRENT_USER()", Fetch::kBuffered);
  Row row;
  if (identity->next(row)) {
    info.database = row[0].text();
    info.user = row[1].text();
  }
  identity.reset();

  auto variables = session_variables(mysql);
  info.read_only = is_on(variables, "read_only") || is_on(variables, "tx_read_only") ||
                   is_on(variables, "transaction_read_only");
  info.galera = is_on(variables, "wsrep_on");
  if (info.galera) {
    info.galera_node = variables["wsrep_node_name"];
    info.galera_cluster_size = galera_cluster_size(mysql);
  }
  return info;
}

}  // namespace cutover::db::mariadb
