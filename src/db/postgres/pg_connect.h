// Opening a libpq session from a connection string: parameters, password file, readable failures.
#pragma once

#include "core/connection_url.h"
#include "db/postgres/pg_handles.h"
#include "db/registry.h"

namespace cutover::db::pg {

// Opens a session for `url` (postgres://, postgresql:// or a libpq keyword string); libpq
// applies the PG* environment, PGSERVICE and ~/.pgpass (or PGPASSFILE) as usual.
//
// Precedence: what the connection string says wins. application_name, client_encoding (UTF8)
// and connect_timeout come from `options` unless the string sets them, and beat PGAPPNAME,
// PGCLIENTENCODING and PGCONNECT_TIMEOUT. The password comes from the string, else
// PGPASSWORD, else the service file, else ~/.pgpass; only when the server then asks for a
// password that none of these gave is the first line of `options.password_file` used (a
// second attempt). connect_timeout bounds the whole attempt (all hosts of a multi-host string
// together), 0 meaning no limit.
//
// Notices the server sends are discarded: the driver never prints. Throws
// Error(kBadInput, DbFailure::kConnect) whose message names the redacted URL and the reason
// (connection refused, password authentication failed, ...) and whose hint says what to check;
// no message ever contains a password.
ConnHandle open_session(const ConnectionUrl& url, const ConnectOptions& options);

}  // namespace cutover::db::pg
