// The other nodes of a Galera cluster, checked after each trigger's DDL and mended.
#include "change/galera_nodes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include "change/step_runner.h"
#include "core/connection_url.h"
#include "core/error.h"

namespace cutover::change {
namespace {

constexpr int kAttempts = 3;

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

std::string status(db::Connection& connection, const std::string& name) {
  db::Result result = connection.query(fmt::format("SHOW STATUS LIKE '{}'", name));
  return result.rows.empty() ? "" : result.rows[0][1].text();
}

}  // namespace

std::vector<std::string> split_node_addresses(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    out.push_back(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::string node_url(const std::string& url, const std::string& address) {
  // The address as the authority of a URL, parsed by the same code as any URL (IPv6 brackets,
  // the port's range); only a host name's characters and ':' for the port may be in it.
  const auto refuse = [&] {
    throw_bad_input(fmt::format("\"{}\" is not the address of a Galera node", address),
                    "write each node as HOST:PORT (or HOST, or [IPv6]:PORT), separated by commas");
  };
  const bool bracketed = address.starts_with('[');
  const bool allowed = std::all_of(address.begin(), address.end(), [&](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == ':' ||
           (bracketed && (c == '[' || c == ']' || c == '%'));
  });
  if (!allowed || address.ends_with(':')) refuse();
  ConnectionUrl node;
  try {
    node = parse_connection_url("mariadb://" + address + "/");
  } catch (const Error&) {
    refuse();
  }
  // A second ':' outside brackets is left in the host by the parser.
  if (node.host.empty() || (!bracketed && node.host.find(':') != std::string::npos)) refuse();
  ConnectionUrl parsed = parse_connection_url(url);
  parsed.host = node.host;
  parsed.port = node.port;
  return compose_connection_url(parsed, true);
}

struct GaleraNodes::Node {
  std::string address;
  std::unique_ptr<db::Connection> connection;
};

GaleraNodes::GaleraNodes(db::Connection& self, std::string addresses, Connect connect,
                         Output& output)
    : self_(self),
      addresses_(std::move(addresses)),
      connect_(std::move(connect)),
      output_(output) {}

GaleraNodes::~GaleraNodes() = default;

void GaleraNodes::find_nodes() {
  found_ = true;
  const bool named = !addresses_.empty();
  const std::string listed = named ? addresses_ : status(self_, "wsrep_incoming_addresses");
  const std::string cluster = status(self_, "wsrep_cluster_state_uuid");
  std::set<std::string> seen = {status(self_, "wsrep_gcomm_uuid")};
  int cluster_size = 0;
  try {
    cluster_size = std::stoi(status(self_, "wsrep_cluster_size"));
  } catch (const std::exception&) {
  }
  for (const std::string& address : split_node_addresses(listed)) {
    if (address.empty() || address == "AUTO") continue;  // AUTO: a node without its address
    try {
      std::unique_ptr<db::Connection> connection = connect_(address);
      if (status(*connection, "wsrep_cluster_state_uuid") != cluster) {
        output_.warn(
            fmt::format("{} is not a node of this Galera cluster: cutover does not "
                        "check it",
                        address));
        continue;
      }
      // This node, or one named twice.
      if (!seen.insert(status(*connection, "wsrep_gcomm_uuid")).second) continue;
      nodes_.push_back({address, std::move(connection)});
    } catch (const Error& e) {
      output_.warn(fmt::format(
          "Galera node {} cannot be reached ({}): cutover cannot check that it applies the "
          "change's triggers{}",
          address, e.message(),
          address.starts_with("localhost")
              ? " (to MariaDB's client library localhost means the local socket, whatever the "
                "port: write 127.0.0.1)"
              : ""));
    }
  }
  const auto others = static_cast<std::size_t>(std::max(cluster_size - 1, 0));
  if (nodes_.size() < others) {
    const std::size_t missing = others - nodes_.size();
    output_.warn(fmt::format(
        "{} of the {} other Galera nodes cannot be checked ({}: {}): cutover cannot tell "
        "whether {} the change's triggers; {}",
        missing, others, named ? "--galera-nodes" : "wsrep_incoming_addresses",
        listed.empty() ? "empty" : listed, missing == 1 ? "it applies" : "they apply",
        named ? "name every node, each reachable with the URL's user and database"
              : "set wsrep_node_incoming_address on each node, or name the nodes with "
                "--galera-nodes HOST:PORT,..."));
  }
}

std::optional<GaleraNodes::TriggerRow> GaleraNodes::trigger_row(
    db::Connection& connection, const std::string& trigger, const db::LockRetryPolicy& retry) {
  std::optional<TriggerRow> row;
  // A node's session reads with wsrep_sync_wait: after everything the cluster ordered before
  // the read, the step's DDL included. By EVENT_OBJECT_SCHEMA, MariaDB opens the tables of this
  // database only (by TRIGGER_SCHEMA, those of every database). A DDL statement that another
  // node replicates meanwhile aborts the read with a deadlock (1213): it changed nothing, so
  // it is read again, as any step is.
  db::retry_lock_conflicts(connection.server().flavor, retry, [&] {
    db::Result result = connection.query(
        "SELECT EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT FROM "
        "information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND "
        "TRIGGER_NAME = $1",
        {trigger});
    row.reset();
    if (result.rows.empty()) return;
    row.emplace();
    for (const auto& value : result.rows[0]) row->push_back(value.text());
  });
  return row;
}

void GaleraNodes::make_every_node_apply(const Step& step, const db::LockRetryPolicy& retry) {
  if (step.trigger.empty()) return;
  if (!found_) find_nodes();
  if (nodes_.empty()) return;
  // The trigger as this node has it (its table, timing, event and body), or none (a drop).
  const std::optional<TriggerRow> expected = trigger_row(self_, step.trigger, retry);
  for (auto node = nodes_.begin(); node != nodes_.end();) {
    try {
      mend(*node, step, expected, retry);
      ++node;
    } catch (const Error& e) {
      const DbFailure failure = e.db_failure();
      if (failure != DbFailure::kConnectionLost && failure != DbFailure::kConnect) throw;
      output_.warn(fmt::format("Galera node {} was lost ({}): cutover no longer checks it",
                               node->address, e.message()));
      node = nodes_.erase(node);
    }
  }
}

void GaleraNodes::mend(Node& node, const Step& step, const std::optional<TriggerRow>& expected,
                       const db::LockRetryPolicy& retry) {
  for (int attempt = 1; trigger_row(*node.connection, step.trigger, retry) != expected; ++attempt) {
    if (attempt > kAttempts) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("Galera node {} still does not have \"{}\" as this node has it, "
                              "after running it there {} times",
                              node.address, step.what, kAttempts),
                  "compare the trigger on both nodes (information_schema.TRIGGERS) and read the "
                  "node's error log; fix the node, then run the same command again: it checks "
                  "every node again");
    }
    output_.warn(fmt::format(
        "Galera node {} does not have \"{}\" as this node has it (a node that failed to apply "
        "it logs \"WSREP: Ignoring error\"): running it on that node",
        node.address, step.what));
    StepRunner(*node.connection, node.connection->server().database, retry, output_).run({step});
  }
}

}  // namespace cutover::change
