// The grants a MariaDB move carries to the target: what each account may do on a moved
// database, its tables, columns and routines, read on the source (grants on wildcard names
// such as `sh%`.* resolved), and what of it the target's own grants lack.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

// One account's privileges on one object, as GRANT names them.
struct MariadbGrant {
  std::string grantee;               // 'user'@'host' as information_schema writes it
  std::string object;                // `shop`.*, `shop`.`t`, FUNCTION `shop`.`f`
  std::set<std::string> privileges;  // SELECT, UPDATE (`city`): one column each
  bool grant_option = false;
  bool database_wide = false;  // on `db`.*
  bool from_wildcard = false;  // database-wide, from grants on wildcard names, not on this name
};

// What accounts may do on `database`, named on `target_name` (escaped where a database-wide
// grant needs it: `shop\_eu`.*). Database-wide privileges come from the account's grant on
// this very name, else from its grants on wildcard names that match it (`sh%`.*, `shop\_%`.*;
// `_` and `%` are wildcards unless escaped). The server applies one of those by its own
// order, so with several of them only the privileges all give count (never more than the
// source gives). Routines' grants need mysql.procs_priv; an account that may not read it
// gets none of them.
std::vector<MariadbGrant> mariadb_database_grants(db::Connection& server,
                                                  const std::string& database,
                                                  const std::string& target_name);

// Each account `grants` name, once, in order.
std::vector<std::string> grantees_of(const std::vector<MariadbGrant>& grants);

// "GRANT SELECT, INSERT ON `shop2`.* TO 'app'@'%' [WITH GRANT OPTION]".
std::string grant_statement(const MariadbGrant& grant);

// The GRANT statements that give what `wanted` holds and `existing` (the target's grants on
// the same database, read by mariadb_database_grants) lacks: revoking exactly these undoes
// them and leaves the target's own grants. Where the target's database-wide privileges come
// from wildcard names only, a grant on the name would hide them, so it carries them too.
std::vector<std::string> grants_to_give(const std::vector<MariadbGrant>& wanted,
                                        const std::vector<MariadbGrant>& existing);

}  // namespace cutover::move
