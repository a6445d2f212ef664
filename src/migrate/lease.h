// The coordination lease of `cutover migrate`: one row that says which process applies migrations.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "db/connection.h"

namespace cutover::migrate {

struct LeaseOptions {
  // How long a lease lasts without a renewal: a killed leader's work is taken over at most
  // this much later. Holders renew every ttl/3 (see Heartbeat).
  std::chrono::milliseconds ttl{10'000};
};

// Proof of holding the lease. Every fenced write is guarded by both fields: the token grows
// by one at each acquisition, and the holder description is unique to one process.
struct LeaseToken {
  std::int64_t value = 0;
  std::string holder;
  // When the statement that took the lease was sent: the lease lasts at least until
  // acquired_at + ttl, so this is a safe start for a local estimate of its expiry.
  std::chrono::steady_clock::time_point acquired_at{};
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
  int statements_done = 0;  // how many of its statements are applied

  // Someone holds it and it has not expired.
  bool held() const { return holder.has_value() && expires_in.count() > 0; }
};

// A unique description of this process for the holder column: "host:pid:random id".
std::string describe_this_process();

// The lease over the table `<history_table>_lease`, one row named after the history table.
//
// Table: name (PK), holder, token BIGINT, expires_at BIGINT, script, checksum, statements_done,
// row_version BIGINT. expires_at counts microseconds since the Unix epoch by the DATABASE's
// clock (never the client's), a plain integer so that PostgreSQL, MariaDB and SQLite share one
// arithmetic and no time zone is involved. row_version grows at every write: MariaDB reports
// changed rows, not matched ones, so a fenced UPDATE must always change something for
// "1 row affected" to mean "the token matched".
//
// Every statement runs on its own (autocommit), except record_progress(), which joins the
// caller's transaction if one is open. The connection is borrowed; it must outlive this
// object, and like it, is used by one thread at a time.
class MigrationLease {
 public:
  // Throws Error(kBadInput) when the lease table's name would be too long for the database.
  MigrationLease(db::Connection& connection, const std::string& history_table,
                 LeaseOptions options = {});

  const std::string& table() const { return table_; }
  const LeaseOptions& options() const { return options_; }

  // Whether the lease table exists.
  bool table_exists();

  // Creates the lease table if it does not exist. Safe when many processes do it at once on
  // any topology. Throws Error(kBadInput) naming the table and the fix when this user may not
  // create it; other database errors as Error.
  void ensure_table();

  // Takes the lease when nobody holds it or the holder's lease expired: inserts the row when
  // missing, else moves the token on from the one just read (compare-and-set) if it expired.
  // Returns nullopt when someone else holds it or won the race (a unique violation, a Galera
  // certification failure, a lock held by another writer): poll again later. A successor keeps
  // the progress (script, statements_done) its predecessor recorded.
  std::optional<LeaseToken> try_acquire(const std::string& holder_description);

  // Extends the lease by the ttl. Returns false when the lease was lost (taken over, or the
  // row changed hands): the holder must stop at once. Retries a Galera certification
  // conflict until the node has caught up; throws Error when the database does not answer
  // (the caller decides how long to keep trying: see Heartbeat).
  bool renew(const LeaseToken& token);

  // Gives the lease up: clears the holder and lets it expire now, keeping the token and the
  // progress. Does nothing when the lease is no longer ours.
  void release(const LeaseToken& token);

  // The row as it stands, or nullopt when no lease was ever taken. The table must exist.
  std::optional<LeaseState> current();

  // Records which statement of which file has been applied, and renews the lease with it; an
  // empty script clears the progress. Fenced: returns false, writing nothing, when the lease is no longer ours. Inside
  // an open transaction it joins it, so the caller's history write and this guard commit or
  // fail together; call it last before commit, since it locks the lease row (and on SQLite
  // the whole file is locked by the transaction) until the end, which holds up renewals.
  bool record_progress(const LeaseToken& token, const std::string& script,
                       std::optional<std::int32_t> checksum, int statements_done);

 private:
  struct Observed {
    std::int64_t token;
    bool expired;
  };
  std::optional<Observed> observe();
  std::optional<LeaseToken> insert_row(const std::string& holder);
  std::optional<LeaseToken> take_over(const Observed& seen, const std::string& holder);
  std::string create_table_sql() const;
  Error cannot_create(const Error& cause) const;
  // Runs a fenced UPDATE, retrying Galera certification conflicts while outside a transaction.
  bool fenced_update(const std::string& sql, const db::Params& params);

  db::Connection& connection_;
  std::string name_;   // the row's key: the history table's name
  std::string table_;  // unquoted
  LeaseOptions options_;
  std::string quoted_table_;
  std::string now_us_;  // SQL: the database's clock in microseconds since the epoch
};

}  // namespace cutover::migrate
