// The other nodes of a Galera cluster, checked after each trigger's DDL and mended.
#include "change/galera_nodes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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
    std::string address = trim(list.substr(0, comma));
    if (!address.empty()) out.push_back(std::move(address));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::string node_url(const std::string& url, const std::string& address) {
  ConnectionUrl parsed = parse_connection_url(url);
  std::string_view rest = address;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    const bool closed = close != std::string_view::npos;
    parsed.host = closed ? std::string(rest.substr(1, close - 1)) : "";
    rest.remove_prefix(closed ? close + 1 : rest.size());
  } else {
    parsed.host = std::string(rest.substr(0, rest.find(':')));
    rest.remove_prefix(parsed.host.size());
  }
  parsed.port.reset();
  if (rest.starts_with(':')) {
    rest.remove_prefix(1);
    const std::string digits(rest);
    const bool numeric = !digits.empty() && digits.size() <= 5 &&
                         std::all_of(digits.begin(), digits.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; });
    const int port = numeric ? std::stoi(digits) : 0;
    if (port < 1 || port > 65535) parsed.host.clear();
    parsed.port = port;
  } else if (!rest.empty()) {
    parsed.host.clear();
  }
  if (parsed.host.empty()) {
    throw_bad_input(fmt::format("\"{}\" is not the address of a Galera node", address),
                    "write each node as HOST:PORT (or HOST, or [IPv6]:PORT), separated by commas");
  }
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
  const std::string self_id = status(self_, "wsrep_gcomm_uuid");
  int cluster_size = 0;
  try {
    cluster_size = std::stoi(status(self_, "wsrep_cluster_size"));
  } catch (const std::exception&) {
  }
  std::vector<std::string> unreached;
  for (const std::string& address : split_node_addresses(listed)) {
    if (address == "AUTO") continue;  // a node that does not publish its address
    try {
      std::unique_ptr<db::Connection> connection = connect_(address);
      if (status(*connection, "wsrep_gcomm_uuid") == self_id) continue;
      nodes_.push_back({address, std::move(connection)});
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kBadInput && named && e.db_failure() == DbFailure::kNone) throw;
      unreached.push_back(fmt::format("{} ({})", address, e.message()));
    }
  }
  for (const std::string& node : unreached) {
    output_.warn(
        fmt::format("Galera node {} cannot be reached: cutover cannot check that it "
                    "applies the change's triggers",
                    node));
  }
  const auto others = static_cast<std::size_t>(std::max(cluster_size - 1, 0));
  if (nodes_.size() + unreached.size() < others) {
    const std::size_t missing = others - nodes_.size() - unreached.size();
    output_.warn(fmt::format(
        "{} of the {} other Galera nodes {}: cutover cannot check that {} the change's "
        "triggers; {}",
        missing, others,
        named ? fmt::format("are not in --galera-nodes ({})", listed)
              : fmt::format("do not publish their address (wsrep_incoming_addresses: {})",
                            listed.empty() ? "empty" : listed),
        missing == 1 ? "it applies" : "they apply",
        named ? "name every node"
              : "set wsrep_node_incoming_address on each node, or name the "
                "nodes with --galera-nodes HOST:PORT,..."));
  }
}

bool GaleraNodes::applied(db::Connection& node, const Step& step) {
  // The session reads with wsrep_sync_wait: after everything the cluster ordered before it,
  // this step's DDL included.
  const bool has_trigger =
      !node.query(
               "SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
               "AND TRIGGER_NAME = $1",
               {step.trigger})
           .empty();
  return has_trigger != step.drops_trigger;
}

void GaleraNodes::make_every_node_apply(const Step& step, const db::LockRetryPolicy& retry) {
  if (step.trigger.empty()) return;
  if (!found_) find_nodes();
  for (auto node = nodes_.begin(); node != nodes_.end();) {
    try {
      mend(*node, step, retry);
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

void GaleraNodes::mend(Node& node, const Step& step, const db::LockRetryPolicy& retry) {
  for (int attempt = 1; !applied(*node.connection, step); ++attempt) {
    if (attempt > kAttempts) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("Galera node {} did not apply \"{}\", run there {} times",
                              node.address, step.what, kAttempts),
                  "the node's error log says why (\"WSREP: Ignoring error\"); run the same "
                  "command again when that is fixed: it checks every node again");
    }
    output_.warn(fmt::format(
        "Galera node {} did not apply \"{}\" (it ignored an error applying it: its error log "
        "says \"WSREP: Ignoring error\"): running it on that node",
        node.address, step.what));
    StepRunner(*node.connection, node.connection->server().database, retry, output_).run({step});
  }
}

}  // namespace cutover::change
