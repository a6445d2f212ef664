// Where a moved database lives: connection strings rewritten to name another database or to
// drop the password, and a key that says whether two strings name the same database.
#pragma once

#include <string>
#include <string_view>

#include "core/connection_url.h"

namespace cutover::move {

// `url` with every password removed (user-info password, password=/sslpassword= options), as
// stored in the state store and shown to users. Connections made from it get their password
// from PGPASSWORD, ~/.pgpass, PGSERVICE or --password-file. Never throws.
std::string url_without_password(const ConnectionUrl& url);

// `url` naming `database` instead of its own; keeps the password if it held one (for the
// connections of this process only: never store the result).
std::string url_with_database(const ConnectionUrl& url, std::string_view database);

// "host:port/database" for `url` (host "local" for the default socket, the engine's default
// port when none is given; "sqlite:/path/file" for SQLite, `database` a file of the directory
// `url` names unless it is a path itself), so that two moves of the same database can be told
// apart from two databases. Two spellings of one host (localhost and 127.0.0.1) give two keys.
std::string database_key(const ConnectionUrl& url, std::string_view database);

}  // namespace cutover::move
