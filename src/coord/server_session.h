// A lease holder's server session: who it is (as the database names it), and how a successor
// ends it and waits until it is gone.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "coord/lease.h"
#include "db/connection.h"

namespace cutover::coord {

// The session of `connection`: PostgreSQL's backend pid and start, MariaDB's connection id and
// the server's start, and on Galera the node's name and the host:port clients reach it by.
// nullopt where a session cannot be ended safely or need not be: SQLite (a process's locks die
// with it) and PostgreSQL behind a transaction pooler (server sessions are shared by clients).
std::optional<ServerSession> identify_session(db::Connection& connection);

// Ends `session` (pg_terminate_backend; MariaDB KILL CONNECTION, on Galera on the session's own
// node, reached through options.url with that node's host:port) and polls until it is gone from
// pg_stat_activity / information_schema.PROCESSLIST, so that what it had not committed is rolled
// back. A Galera node that has left the cluster cannot commit anything: that counts as done.
// Calls `keep_alive` between polls; when it returns false (the lease was lost) gives up.
// Throws Error(kConflict) when the session cannot be ended (no right to, its node unreachable
// while still in the cluster), outlives options.session_end_timeout, or the lease is lost;
// database errors as Error.
SessionTakeover end_session(db::Connection& connection, const ServerSession& session,
                            const LeaseOptions& options, const std::function<bool()>& keep_alive);

// `url` with its host:port replaced by `address` (credentials, database and parameters kept).
// Throws Error(kBadInput) when the URL has no host part.
std::string with_host_port(const std::string& url, const std::string& address);

}  // namespace cutover::coord
