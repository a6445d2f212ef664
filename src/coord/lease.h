// The coordination lease: one row that says which process may do a piece of work (migrate,
// change, move), fenced by a token, naming the holder's server session so a successor can end it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "db/connection.h"
#include "db/registry.h"

namespace cutover::coord {

struct LeaseOptions {
  // How long a lease lasts without a renewal: a killed leader's work is taken over at most
  // this much later. Holders renew every ttl/3 (see Heartbeat).
  std::chrono::milliseconds ttl{10'000};
  // How long a successor waits for its predecessor's server session to end (a terminated
  // session first rolls back what it had not committed, which can take as long as the work).
  std::chrono::milliseconds session_end_timeout{600'000};
  // The URL (and how to connect) of the lease's connection, password included where it is in
  // the URL: on Galera, a successor reaches its predecessor's node through the same URL with
  // that node's host:port. Empty: only a predecessor on the successor's own node can be ended.
  std::string url;
  db::ConnectOptions connect;
};

// Which lease: the table that holds the rows and the row's key. Several leases may share a
// table, one row each.
struct LeaseKey {
  std::string table;  // unquoted, in the connection's current schema / database
  std::string name;   // the row's key
  // PostgreSQL: the table's schema instead of the current one (which must exist); ignored on
  // MariaDB and SQLite.
  std::string schema = {};
};

// A server session as the database names it, recorded in the lease row by its holder.
struct ServerSession {
  std::int64_t id = 0;     // PostgreSQL backend pid; MariaDB CONNECTION_ID()
  std::int64_t start = 0;  // PostgreSQL backend_start (µs since the epoch); MariaDB: the
                           // server's start (s since the epoch); guards against reused ids
  std::string node;        // Galera: wsrep_node_name; "" elsewhere
  std::string address;     // Galera: host:port clients reach that node by; "" elsewhere
};

// How a successor dealt with its predecessor's session, for the caller to report.
struct SessionTakeover {
  ServerSession session;  // the predecessor's
  // What happened: "ended" (terminated, and gone), "gone" (it had ended on its own), or
  // "node left" (Galera: its node is no longer in the cluster, so it cannot commit).
  std::string outcome;
  std::chrono::milliseconds took{0};  // from the takeover to knowing the session is gone
};

// Proof of holding the lease. Every fenced write is guarded by both fields: the token grows
// by one at each acquisition, and the holder description is unique to one process.
struct LeaseToken {
  std::int64_t value = 0;
  std::string holder;
  // When the statement that took the lease was sent: the lease lasts at least until
  // acquired_at + ttl, so this is a safe start for a local estimate of its expiry.
  std::chrono::steady_clock::time_point acquired_at{};
  // Set when this acquisition took over an expired lease whose holder's session was recorded.
  std::optional<SessionTakeover> takeover;
};

// What the lease row says, read with the database's clock.
struct LeaseState {
  std::optional<std::string> holder;       // empty once released
  std::int64_t token = 0;                  // the last token handed out
  std::chrono::milliseconds expires_in{};  // negative once expired
  std::optional<std::string> script;       // the file being applied, if any
  // Identifies the applied statements (PreparedScript::prefix_checksum), so that a successor
  // resumes only while they are unchanged.
  std::optional<std::int32_t> checksum;
  int statements_done = 0;               // how many of its statements are applied
  std::optional<ServerSession> session;  // the holder's server session, when recorded

  // Someone holds it and it has not expired.
  bool held() const { return holder.has_value() && expires_in.count() > 0; }
};

// A unique description of this process for the holder column: "host:pid:random id".
std::string describe_this_process();

// Whether `holder` (a describe_this_process()) names a process of this host that has ended (a
// kill -9 leaves its lease held until the ttl lapses). False for another host's process, whose
// fate this host cannot know, and for a live one.
bool holder_ended_here(const std::string& holder);

// "pid 123", "connection 45 on node n2 (127.0.0.1:3307)", for messages.
std::string describe_session(const ServerSession& session);

// A lease row in the table key.table.
//
// Table: name (PK), holder, token BIGINT, expires_at BIGINT, script, checksum, statements_done,
// row_version BIGINT, holder_session BIGINT, holder_session_start BIGINT, holder_node,
// holder_address. expires_at counts microseconds since the Unix epoch by the DATABASE's clock
// (never the client's), a plain integer so that PostgreSQL, MariaDB and SQLite share one
// arithmetic and no time zone is involved. row_version grows at every write: MariaDB reports
// changed rows, not matched ones, so a fenced UPDATE must always change something for
// "1 row affected" to mean "the token matched". The holder_* columns name the server session
// of the connection that acquired the lease (not on SQLite, whose locks die with the process,
// nor behind a transaction pooler, whose server sessions are shared); a successor ends that
// session and waits until it is gone before it returns the token, so that whatever it had not
// committed is rolled back and whatever it had is visible before the successor reads progress.
//
// Every statement runs on its own (autocommit), except record_progress(), which joins the
// caller's transaction if one is open. The connection is borrowed; it must outlive this
// object, and like it, is used by one thread at a time. The connection that acquires the lease
// must be the one that does the fenced work.
class Lease {
 public:
  // Throws Error(kBadInput) when the table's name would be too long for the database.
  Lease(db::Connection& connection, LeaseKey key, LeaseOptions options = {});

  const std::string& table() const { return key_.table; }
  const LeaseKey& key() const { return key_; }
  const LeaseOptions& options() const { return options_; }

  // Whether the lease table exists.
  bool table_exists();

  // Creates the lease table if it does not exist, and adds the columns a table made by an
  // earlier release lacks. Safe when many processes do it at once on any topology. Throws
  // Error(kBadInput) naming the table and the fix when this user may not create or alter it;
  // other database errors as Error.
  void ensure_table();

  // Takes the lease when nobody holds it or the holder's lease expired: inserts the row when
  // missing, else moves the token on from the one just read (compare-and-set) if it expired.
  // Returns nullopt when someone else holds it or won the race (a unique violation, a Galera
  // certification failure, a lock held by another writer): poll again later. A successor keeps
  // the progress (script, statements_done) its predecessor recorded. When the predecessor's
  // session is recorded, ends it (on its Galera node if need be) and waits until it is gone,
  // renewing the lease meanwhile; token.takeover says how. Throws Error(kConflict), having
  // released the lease, when that session cannot be ended or outlives session_end_timeout.
  std::optional<LeaseToken> try_acquire(const std::string& holder_description);

  // Extends the lease by the ttl. Returns false when the lease was lost (taken over, or the
  // row changed hands): the holder must stop at once. Retries a Galera certification
  // conflict until the node has caught up; throws Error when the database does not answer
  // (the caller decides how long to keep trying: see Heartbeat).
  bool renew(const LeaseToken& token);

  // After the lease's connection opened a new session (the one it had was lost): names that
  // session in the row, so that a successor ends it rather than the lost one. Fenced: returns
  // false, writing nothing, when the lease is no longer ours.
  bool record_session(const LeaseToken& token);

  // Gives the lease up: clears the holder and its session and lets it expire now, keeping the
  // token and the progress. Does nothing when the lease is no longer ours.
  void release(const LeaseToken& token);

  // The row as it stands, or nullopt when no lease was ever taken. The table must exist.
  std::optional<LeaseState> current();

  // Records which statement of which file has been applied, and renews the lease with it; an
  // empty script clears the progress. Fenced: returns false, writing nothing, when the lease is
  // no longer ours. Inside an open transaction it joins it, so the caller's history write and
  // this guard commit or fail together; call it last before commit, since it locks the lease
  // row (and on SQLite the whole file is locked by the transaction) until the end, which holds
  // up renewals.
  bool record_progress(const LeaseToken& token, const std::string& script,
                       std::optional<std::int32_t> checksum, int statements_done);

 private:
  struct Observed {
    std::int64_t token;
    bool expired;
    std::optional<ServerSession> session;
  };
  std::optional<Observed> observe();
  std::optional<LeaseToken> insert_row(const std::string& holder);
  std::optional<LeaseToken> take_over(const Observed& seen, const std::string& holder);
  std::optional<ServerSession> own_session();
  void add_missing_columns();
  std::string create_table_sql() const;
  Error cannot_create(const Error& cause, const std::string& fix) const;
  // Runs a fenced UPDATE, retrying Galera certification conflicts while outside a transaction.
  bool fenced_update(const std::string& sql, const db::Params& params);
  db::Params session_params(const std::optional<ServerSession>& session) const;

  db::Connection& connection_;
  LeaseKey key_;
  LeaseOptions options_;
  std::string quoted_table_;
  std::string now_us_;  // SQL: the database's clock in microseconds since the epoch
  bool session_known_ = false;
  std::optional<ServerSession> session_;  // this connection's, once looked up
};

}  // namespace cutover::coord
