// A lease holder's server session: who it is, and how a successor ends it.
#include "coord/server_session.h"

#include <fmt/format.h>

#include <cstdlib>
#include <thread>

#include "core/error.h"
#include "db/registry.h"

namespace cutover::coord {
namespace {

using Clock = std::chrono::steady_clock;
using db::Flavor;

constexpr std::chrono::milliseconds kPoll{50};
// MariaDB's start is computed from its uptime in whole seconds: allow for the rounding.
constexpr std::int64_t kServerStartSlackSeconds = 2;
constexpr int kMariaDbUnknownThread = 1094;

bool is_mariadb(Flavor flavor) { return flavor == Flavor::kMariaDb || flavor == Flavor::kMySql; }

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// The PostgreSQL backend's start, in microseconds: the same expression when recording and when
// matching, so that equal means the same backend and not a later one with a reused pid.
constexpr const char* kPgBackendStart = "(extract(epoch FROM backend_start) * 1000000)::bigint";

std::string galera_address(db::Connection& connection) {
  auto row = connection.query("SELECT @@wsrep_node_incoming_address, @@wsrep_node_address, @@port")
                 .rows.at(0);
  std::string incoming = row[0].text(), node = row[1].text(), port = row[2].text();
  if (!incoming.empty() && incoming != "AUTO") {
    // host or host:port (an IPv6 host comes in brackets).
    bool has_port =
        incoming.find(':', incoming.rfind(']') == std::string::npos ? 0 : incoming.rfind(']')) !=
        std::string::npos;
    return has_port ? incoming : incoming + ":" + port;
  }
  if (node.empty()) return {};
  // wsrep_node_address is the replication address: its host, with the client port.
  std::size_t colon = node.rfind(':');
  if (colon != std::string::npos && node.find(']') == std::string::npos &&
      node.find(':') == colon) {
    node = node.substr(0, colon);
  } else if (node.starts_with('[') && node.find(']') != std::string::npos) {
    node = node.substr(0, node.find(']') + 1);
  }
  return node + ":" + port;
}

std::int64_t mariadb_server_start(db::Connection& connection) {
  return connection
      .query(
          "SELECT UNIX_TIMESTAMP() - CAST(VARIABLE_VALUE AS SIGNED) FROM "
          "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'")
      .scalar()
      .as_int();
}

Error cannot_end(const ServerSession& session, const std::string& why, const std::string& hint) {
  return Error(ErrorCode::kConflict,
               fmt::format("the previous lease holder's {} may still be running a statement, "
                           "and {}",
                           describe_session(session), why),
               hint);
}

// Polls until `gone` is true; keeps the lease alive meanwhile.
void wait_until_gone(const ServerSession& session, const LeaseOptions& options,
                     const std::function<bool()>& keep_alive, Clock::time_point started,
                     const std::function<bool()>& gone) {
  Clock::time_point deadline = started + options.session_end_timeout;
  while (!gone()) {
    if (Clock::now() >= deadline) {
      throw cannot_end(session,
                       fmt::format("it was still there {} ms after it was told to end (rolling "
                                   "back what it had not committed takes as long as doing it)",
                                   since(started).count()),
                       "run again once it is gone (see pg_stat_activity or SHOW PROCESSLIST)");
    }
    if (!keep_alive()) {
      throw Error(ErrorCode::kConflict,
                  fmt::format("lost the lease while waiting for the previous holder's {} to end",
                              describe_session(session)),
                  "nothing needs fixing; run again and it waits for the instance that took over");
    }
    std::this_thread::sleep_for(kPoll);
  }
}

SessionTakeover end_postgres(db::Connection& connection, const ServerSession& session,
                             const LeaseOptions& options, const std::function<bool()>& keep_alive) {
  Clock::time_point started = Clock::now();
  auto present = [&] {
    return connection
               .query(
                   fmt::format("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND {} = $2",
                               kPgBackendStart),
                   {session.id, session.start})
               .scalar()
               .as_int() > 0;
  };
  if (!present()) return {session, "gone", since(started)};
  try {
    connection.query(
        fmt::format("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND "
                    "{} = $2",
                    kPgBackendStart),
        {session.id, session.start});
  } catch (const Error& e) {
    if (e.db_failure() != DbFailure::kStatement) throw;
    throw cannot_end(session, fmt::format("ending it failed: {}", e.message()),
                     "let this user end that session (the same role, or a member of "
                     "pg_signal_backend), or end it by hand: SELECT pg_terminate_backend(" +
                         std::to_string(session.id) + ")")
        .with_sqlstate(e.sqlstate())
        .with_vendor_code(e.vendor_code())
        .with_db_failure(e.db_failure());
  }
  wait_until_gone(session, options, keep_alive, started, [&] { return !present(); });
  return {session, "ended", since(started)};
}

// Whether the Galera node named `node` is still a member of the cluster, as this node sees it.
bool galera_member(db::Connection& connection, const std::string& node) {
  return connection
             .query("SELECT count(*) FROM mysql.wsrep_cluster_members WHERE node_name = $1", {node})
             .scalar()
             .as_int() > 0;
}

SessionTakeover end_mariadb(db::Connection& connection, const ServerSession& session,
                            const LeaseOptions& options, const std::function<bool()>& keep_alive) {
  Clock::time_point started = Clock::now();
  db::Connection* target = &connection;
  std::unique_ptr<db::Connection> remote;
  const db::ServerInfo& here = connection.server();
  if (!session.node.empty() && here.galera && session.node != here.galera_node) {
    if (!galera_member(connection, session.node)) return {session, "node left", since(started)};
    if (options.url.empty() || session.address.empty()) {
      throw cannot_end(session, "its node cannot be reached from here (no address recorded)",
                       "end it by hand on node " + session.node + ": KILL CONNECTION " +
                           std::to_string(session.id));
    }
    try {
      remote = db::connect(with_host_port(options.url, session.address), options.connect);
    } catch (const Error& e) {
      // It may have left the cluster since: then nothing of it can commit any more.
      if (!galera_member(connection, session.node)) {
        return {session, "node left", since(started)};
      }
      throw cannot_end(session,
                       fmt::format("its node {} ({}) is still in the cluster but cannot be "
                                   "reached: {}",
                                   session.node, session.address, e.message()),
                       "make that node reachable from here, or end the session on it by hand: "
                       "KILL CONNECTION " +
                           std::to_string(session.id));
    }
    target = remote.get();
  }
  if (session.start != 0 &&
      std::llabs(mariadb_server_start(*target) - session.start) > kServerStartSlackSeconds) {
    return {session, "gone", since(started)};  // the server restarted: the session died with it
  }
  auto present = [&] {
    return target
               ->query("SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = $1",
                       {session.id})
               .scalar()
               .as_int() > 0;
  };
  if (!present()) return {session, "gone", since(started)};
  try {
    target->execute(fmt::format("KILL CONNECTION {}", session.id));
  } catch (const Error& e) {
    if (e.db_failure() != DbFailure::kStatement) throw;
    if (e.vendor_code() != kMariaDbUnknownThread) {
      throw cannot_end(session, fmt::format("ending it failed: {}", e.message()),
                       "let this user end that session (the same user, or CONNECTION ADMIN), or "
                       "end it by hand: KILL CONNECTION " +
                           std::to_string(session.id))
          .with_sqlstate(e.sqlstate())
          .with_vendor_code(e.vendor_code())
          .with_db_failure(e.db_failure());
    }
  }
  wait_until_gone(session, options, keep_alive, started, [&] { return !present(); });
  return {session, "ended", since(started)};
}

}  // namespace

std::string describe_session(const ServerSession& session) {
  if (!session.node.empty()) {
    return fmt::format("server session {} on node {}{}", session.id, session.node,
                       session.address.empty() ? "" : " (" + session.address + ")");
  }
  return fmt::format("server session {}", session.id);
}

std::optional<ServerSession> identify_session(db::Connection& connection) {
  const db::ServerInfo& server = connection.server();
  if (server.flavor == Flavor::kSqlite) return std::nullopt;
  ServerSession session;
  if (server.flavor == Flavor::kPostgres) {
    if (server.behind_pooler) return std::nullopt;
    auto row = connection
                   .query(fmt::format("SELECT pid, {} FROM pg_stat_activity WHERE pid = "
                                      "pg_backend_pid()",
                                      kPgBackendStart))
                   .rows.at(0);
    session.id = row[0].as_int();
    session.start = row[1].as_int();
    return session;
  }
  session.id = connection.query("SELECT CONNECTION_ID()").scalar().as_int();
  session.start = mariadb_server_start(connection);
  if (server.galera) {
    session.node = server.galera_node;
    session.address = galera_address(connection);
  }
  return session;
}

SessionTakeover end_session(db::Connection& connection, const ServerSession& session,
                            const LeaseOptions& options, const std::function<bool()>& keep_alive) {
  if (is_mariadb(connection.server().flavor)) {
    return end_mariadb(connection, session, options, keep_alive);
  }
  if (connection.server().flavor == Flavor::kPostgres) {
    return end_postgres(connection, session, options, keep_alive);
  }
  return {session, "gone", std::chrono::milliseconds(0)};
}

std::string with_host_port(const std::string& url, const std::string& address) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    throw_bad_input("cannot reach another node through a URL without a host part",
                    "give the URL as scheme://user@host:port/database");
  }
  std::size_t begin = scheme + 3;
  std::size_t end = url.find_first_of("/?", begin);
  if (end == std::string::npos) end = url.size();
  std::size_t at = url.rfind('@', end);
  if (at != std::string::npos && at >= begin) begin = at + 1;
  return url.substr(0, begin) + address + url.substr(end);
}

}  // namespace cutover::coord
