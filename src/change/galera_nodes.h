// The other nodes of the Galera cluster that a change runs on, checked after each trigger's DDL.
//
// Galera runs a DDL statement on every node, but a node that fails to apply one logs "WSREP:
// Ignoring error" and goes on without it (wsrep_ignore_apply_errors, 7 by default): its schema
// then differs from the others' and nothing says so. MariaDB 10.11 fails so, now and then, on a
// valid CREATE TRIGGER while the application writes the table on that node ("Trigger
// ... has an error in its body" at a random place of another trigger's body): that node's
// writes would then skip a sync trigger, or run one that the others dropped. So after each
// trigger's DDL cutover asks every node whether it has the trigger, and runs the statement
// again on a node that differs, where it is replicated to the others as a no-op. Any other DDL
// statement can be skipped so too (a unique index that a node's own rows do not allow): before
// a command's first step and after each step, every node's schema is compared with this
// node's, and a node that differs stops the command, named.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "change/step.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"

namespace cutover::change {

// "host:port, host:port": the addresses, trimmed (an empty one stays, for node_url to refuse).
std::vector<std::string> split_node_addresses(std::string_view list);

// `url` (a MariaDB URL) naming the node at `address` ("host:port", "host", "[v6]:port")
// instead of its own host and port; keeps the password if `url` held one (for this process's
// sessions only). Throws Error(kBadInput) for a malformed address.
std::string node_url(const std::string& url, const std::string& address);

class GaleraNodes {
 public:
  // Opens a session like cutover's own (same user, password source and database) on the node
  // at "host:port".
  using Connect = std::function<std::unique_ptr<db::Connection>(const std::string& address)>;

  // `self`: cutover's session (borrowed). `addresses`: the nodes as "host:port,..."
  // (--galera-nodes); empty: the cluster's wsrep_incoming_addresses. Connects on first use.
  GaleraNodes(db::Connection& self, std::string addresses, Connect connect, Output& output);
  ~GaleraNodes();

  // After `step` (its `trigger` set) ran on `self`: each other node whose trigger of that name
  // differs from this node's (table, timing, event, body; or is still there after a drop)
  // runs the step itself, up to three times. A node that
  // cannot be reached or named, or is lost, is warned about (once), not waited for. Throws
  // Error(kOperationFailed) naming the node when it still differs.
  // Then, after every step, compares this database's schema (tables, columns, indexes,
  // constraints) on each node with this node's: Galera lets a node go on without any DDL
  // statement it failed to apply. Throws Error(kOperationFailed) naming the node and what
  // differs.
  void make_every_node_apply(const Step& step, const db::LockRetryPolicy& retry);

  // Before the first step of a command (once per process): the same comparison of schemas, so
  // that nothing runs on a cluster whose nodes already disagree.
  void check_before_first_step(const db::LockRetryPolicy& retry);

  // The change's version database (its views), compared beside this database from now on.
  void compare_also(std::string database) { version_database_ = std::move(database); }

 private:
  struct Node;
  // A trigger's table, timing, event and body.
  using TriggerRow = std::vector<std::string>;
  // A database's schema as sorted lines ("column users 2 email varchar(255) YES ...").
  using Schema = std::vector<std::string>;
  void find_nodes();
  // Runs `check` on each node; a node lost meanwhile is warned about and no longer checked.
  void for_each_node(const std::function<void(Node&)>& check);
  // This database's schema and the version database's ("database NAME: view ..." lines).
  Schema schema(db::Connection& connection, const db::LockRetryPolicy& retry);
  // Throws when a node's schema is not this node's; `after` names the step just run ("" for
  // none), for the error.
  void compare_schemas(const std::string& after, const db::LockRetryPolicy& retry);
  // The lines only this node has, and those only the other node has.
  struct Difference {
    std::set<std::string> only_here;
    std::set<std::string> only_there;
  };
  static Difference difference(const Schema& here, const Schema& there);
  // What both differences hold: what lasted from one reading to the next.
  static Difference in_both(const Difference& a, const Difference& b);
  static std::string describe(const Difference& difference, const std::string& node);
  // The trigger named `trigger` as `connection`'s node has it, read again after a lock conflict.
  std::optional<TriggerRow> trigger_row(db::Connection& connection, const std::string& trigger,
                                        const db::LockRetryPolicy& retry);
  // Runs `step` on `node` until its trigger there is `expected`, up to three times.
  void mend(Node& node, const Step& step, const std::optional<TriggerRow>& expected,
            const db::LockRetryPolicy& retry);

  db::Connection& self_;
  std::string addresses_;
  Connect connect_;
  Output& output_;
  bool found_ = false;
  bool checked_before_ = false;
  std::string version_database_;
  std::vector<Node> nodes_;
};

}  // namespace cutover::change
