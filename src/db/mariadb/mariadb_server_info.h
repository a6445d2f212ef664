// What a MariaDB/MySQL session is talking to: flavor, version, user, database, Galera facts.
#pragma once

#include <mysql.h>

#include "db/server_info.h"

namespace cutover::db::mariadb {

// Asks the server (three short queries). Galera facts are filled when wsrep_on is ON;
// read_only is true when the server runs read_only or the session's transactions are READ ONLY
// (a user with READ ONLY ADMIN may still write on a read_only server). Throws
// Error(kOperationFailed) when a query fails.
ServerInfo read_server_info(MYSQL* mysql);

}  // namespace cutover::db::mariadb
