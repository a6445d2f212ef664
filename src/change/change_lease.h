// One process at a time works on a database's changes: `change start`, `complete` and
// `rollback` hold the shared coordination lease (coord/lease.h) while they change anything.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "coord/heartbeat.h"
#include "core/output.h"
#include "coord/lease.h"
#include "db/connection.h"
#include "db/registry.h"

namespace cutover::change {

// Holds the lease from construction to destruction, renewed in the background. A holder that
// was killed or stopped is taken over once its lease expired (ttl, 10 s): its server session is
// ended first, so that a statement it left running (a backfill batch, an ALTER waiting for a
// lock) stops before the successor goes on.
class ChangeLease {
 public:
  // Takes the lease on `connection` (which must do the work), creating cutover's lease table
  // (PostgreSQL: cutover.leases; SQLite: _cutover_leases) if need be. When another process
  // holds it, watches the lease for up to its ttl: a holder that renews it is alive, and this
  // throws Error(kConflict) naming it (within about ttl/3); a lease that expires is taken over.
  ChangeLease(db::Connection& connection, const std::string& url,
              const db::ConnectOptions& connect, Output& output);
  ~ChangeLease();
  ChangeLease(const ChangeLease&) = delete;
  ChangeLease& operator=(const ChangeLease&) = delete;

  // Throws Error(kConflict) when the lease was lost (taken over, or not renewed for a ttl):
  // another process may be working on the change, so this one must stop.
  void check() const;
  // After a failure that a successor may have caused (its takeover ends this process's server
  // session: a process stopped past the lease's expiry finds its statement failed on a lost
  // connection): throws as check() does when the lease row, read on a session of its own, has
  // another holder's token now. Returns when it is still ours, or cannot be read.
  void check_after_failure();

  // After `connection` opened a new session (the one it had was lost): names it in the lease,
  // so that a successor ends this session. Throws as check() does when the lease was lost.
  void session_reopened();

 private:
  coord::Lease lease_;
  coord::LeaseToken token_;
  std::unique_ptr<coord::Heartbeat> heartbeat_;
};

// The lease's key: row "change" of cutover's lease table.
coord::LeaseKey change_lease_key(db::Flavor flavor);

// Who holds the change's lease now (a start, complete or rollback at work), as "host:pid:id";
// nullopt when nobody does, or its holder is a process of this host that has ended. Reads only.
std::optional<std::string> change_lease_holder(db::Connection& connection);

}  // namespace cutover::change
