// What a PostgreSQL session talks to: version, database, user, read-only state, a pooler between.
#pragma once

#include <libpq-fe.h>

#include "db/connection.h"
#include "db/server_info.h"

namespace cutover::db::pg {

// Asks the server behind `conn` (one query through `session`, the Connection wrapping `conn`).
// Throws Error like any query.
ServerInfo read_server_info(PGconn* conn, Connection& session);

}  // namespace cutover::db::pg
