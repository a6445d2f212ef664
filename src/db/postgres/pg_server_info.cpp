// What a PostgreSQL session talks to: version, database, user, read-only state, a pooler between.
#include "db/postgres/pg_server_info.h"

#include <string>

namespace cutover::db::pg {
namespace {

constexpr const char* kServerFacts =
    "select current_database(), current_user, "
    "current_setting('transaction_read_only') = 'on' or pg_is_in_recovery(), "
    "pg_backend_pid(), current_setting('server_version')";

// "15.20 (Debian 15.20-0+deb12u1)" -> "15.20".
std::string short_version(const std::string& server_version) {
  return server_version.substr(0, server_version.find(' '));
}

}  // namespace

ServerInfo read_server_info(PGconn* conn, Connection& session) {
  Result facts = session.query(kServerFacts);
  const Row& row = facts.rows.at(0);

  ServerInfo info;
  info.flavor = Flavor::kPostgres;
  info.database = row[0].text();
  info.user = row[1].text();
  info.read_only = row[2].text() == "t";
  info.version = short_version(row[4].text());
  info.version_number = PQserverVersion(conn);

  // A pooler or protocol-aware proxy cannot hand the client the BackendKeyData of a server
  // backend, because the backend behind the session may change: PgBouncer, Odyssey and
  // Supavisor send a random cancel key of their own (PQbackendPID then holds random bits), RDS
  // Proxy sends none (PQbackendPID is 0). A plain TCP forwarder (NAT, a Docker port, an SSH
  // tunnel) passes the server's message through unchanged. So "the PID libpq was told at login
  // is not the PID of the backend running our query" is exactly "something rewrites the
  // protocol between us and the server". Comparing ports (inet_server_port() against
  // getpeername()) would instead flag every port mapping, and pooler-specific probes (SHOW
  // commands) only work on one product's admin console.
  info.behind_pooler = PQbackendPID(conn) != static_cast<int>(row[3].as_int());
  return info;
}

}  // namespace cutover::db::pg
