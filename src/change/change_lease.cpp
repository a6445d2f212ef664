// One process at a time works on a database's changes.
#include "change/change_lease.h"

#include <fmt/format.h>

#include <chrono>

#include "core/error.h"
#include "core/interrupt.h"

namespace cutover::change {
namespace {

std::string seconds(std::chrono::milliseconds duration) {
  return fmt::format("{:.1f} s", static_cast<double>(duration.count()) / 1000.0);
}

// The lease was lost (`reason`): this process must stop.
Error lost(const std::string& reason) {
  return Error(ErrorCode::kConflict,
               fmt::format("lost the change lease ({}): another process may be working on the "
                           "change, so this one stopped",
                           reason),
               "cutover change status shows where the change stands; run the same command "
               "again");
}

}  // namespace

coord::LeaseKey change_lease_key(db::Flavor flavor) {
  // MariaDB: a table of the database itself (a database of its own would be the server's).
  if (flavor != db::Flavor::kPostgres) return {"_cutover_leases", "change"};
  return {"leases", "change", "cutover"};
}

std::optional<std::string> change_lease_holder(db::Connection& connection) {
  coord::Lease lease(connection, change_lease_key(connection.server().flavor));
  if (!lease.table_exists()) return std::nullopt;
  std::optional<coord::LeaseState> state = lease.current();
  if (!state || !state->held() || coord::holder_ended_here(*state->holder)) return std::nullopt;
  return state->holder;
}

ChangeLease::ChangeLease(db::Connection& connection, const std::string& url,
                         const db::ConnectOptions& connect, Output& output)
    : lease_(connection, change_lease_key(connection.server().flavor),
             coord::LeaseOptions{.url = url, .connect = connect}) {
  if (connection.server().flavor == db::Flavor::kPostgres) {
    connection.execute("CREATE SCHEMA IF NOT EXISTS \"cutover\"");
  }
  lease_.ensure_table();
  // A lease that is held is either renewed by a live holder (its expiry moves forward: this
  // process refuses to run beside it) or left by a dead one (it expires within the ttl: this
  // process takes it over, ending the holder's server session first).
  const auto deadline = std::chrono::steady_clock::now() + lease_.options().ttl +
                        std::chrono::seconds(2);
  std::optional<std::chrono::milliseconds> last_expires_in;
  bool said_waiting = false;
  while (true) {
    if (std::optional<coord::LeaseToken> token =
            lease_.try_acquire(coord::describe_this_process())) {
      token_ = std::move(*token);
      heartbeat_ = std::make_unique<coord::Heartbeat>(url, lease_.key(), token_, lease_.options(),
                                                      connect);
      return;
    }
    const std::optional<coord::LeaseState> state = lease_.current();
    const bool renewed = state && last_expires_in &&
                         state->expires_in > *last_expires_in + std::chrono::milliseconds(100);
    if (renewed || std::chrono::steady_clock::now() > deadline) {
      throw Error(ErrorCode::kConflict,
                  fmt::format("another cutover change is working on this database: {} holds "
                              "the change lease and renews it",
                              state && state->holder ? *state->holder : std::string("?")),
                  "wait for it to finish (cutover change status shows the change's phase), "
                  "then run the command again");
    }
    if (state) last_expires_in = state->expires_in;
    if (!said_waiting && state && state->held()) {
      output.info(fmt::format("the change lease is held by {} (expires in {}): waiting to see "
                              "whether it is still alive",
                              state->holder.value_or("?"), seconds(state->expires_in)));
      said_waiting = true;
    }
    if (interrupted_within(std::chrono::milliseconds(250))) {
      throw_interrupted("while waiting for the change lease: nothing was changed",
                        "run the same command again");
    }
  }
}

ChangeLease::~ChangeLease() {
  heartbeat_.reset();  // before the release: a renewal after it would find the lease gone
  try {
    lease_.release(token_);
  } catch (const Error&) {
    // The connection is gone: the lease expires by itself.
  }
}

void ChangeLease::check() const {
  if (heartbeat_->lost()) throw lost(heartbeat_->lost_reason());
}

void ChangeLease::check_after_failure() {
  check();
  // On a session of its own: the takeover may have ended this process's.
  std::optional<coord::LeaseState> now;
  try {
    std::unique_ptr<db::Connection> fresh =
        db::connect(lease_.options().url, lease_.options().connect);
    now = coord::Lease(*fresh, lease_.key()).current();
  } catch (const Error&) {
    return;  // the server does not answer: the failure stands as it is
  }
  if (now && now->token != token_.value) {
    throw lost(fmt::format("taken over by {} while this process was stopped or cut off",
                           now->holder.value_or("another process")));
  }
}

void ChangeLease::session_reopened() {
  if (!lease_.record_session(token_)) throw lost("taken over while the session was reopened");
  check();
}

}  // namespace cutover::change
