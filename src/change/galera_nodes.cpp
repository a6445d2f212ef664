// The other nodes of a Galera cluster, checked after each trigger's DDL and mended.
#include "change/galera_nodes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <iterator>
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

std::optional<GaleraNodes::TriggerRow> GaleraNodes::trigger_row(db::Connection& connection,
                                                                const std::string& trigger,
                                                                const db::LockRetryPolicy& retry) {
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

GaleraNodes::Schema GaleraNodes::schema(db::Connection& connection,
                                        const db::LockRetryPolicy& retry) {
  Schema lines;
  // What a node that skipped a DDL statement would lack: tables, columns, indexes and
  // constraints (triggers are compared one by one after their steps), one line each, sorted.
  // Not AUTO_INCREMENT, which differs from node to node by design.
  db::retry_lock_conflicts(connection.server().flavor, retry, [&] {
    const db::Result result = connection.query(
        "SELECT CONCAT_WS(' ', 'table', TABLE_NAME, TABLE_TYPE, IFNULL(ENGINE, '-')) FROM "
        "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "UNION ALL SELECT CONCAT_WS(' ', 'column', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, "
        "COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '(no default)'), EXTRA) FROM "
        "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "UNION ALL SELECT CONCAT_WS(' ', 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, "
        "COLUMN_NAME, IF(NON_UNIQUE = 0, 'unique', '')) FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() "
        "UNION ALL SELECT CONCAT_WS(' ', 'constraint', TABLE_NAME, CONSTRAINT_NAME, "
        "CONSTRAINT_TYPE) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = "
        "DATABASE() "
        "UNION ALL SELECT CONCAT_WS(' ', 'check', TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE) "
        "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()");
    lines.clear();
    for (const db::Row& row : result.rows) lines.push_back(row[0].text());
  });
  std::sort(lines.begin(), lines.end());  // by bytes, as set_difference compares
  return lines;
}

std::string GaleraNodes::difference(const Schema& here, const Schema& there,
                                    const std::string& node) {
  Schema only_here;
  Schema only_there;
  std::set_difference(here.begin(), here.end(), there.begin(), there.end(),
                      std::back_inserter(only_here));
  std::set_difference(there.begin(), there.end(), here.begin(), here.end(),
                      std::back_inserter(only_there));
  std::vector<std::string> parts;
  constexpr std::size_t kShown = 3;
  for (std::size_t i = 0; i < only_here.size() && i < kShown; ++i) {
    parts.push_back(fmt::format("this node has \"{}\", {} has not", only_here[i], node));
  }
  for (std::size_t i = 0; i < only_there.size() && i < kShown; ++i) {
    parts.push_back(fmt::format("{} has \"{}\", this node has not", node, only_there[i]));
  }
  const std::size_t more = only_here.size() + only_there.size() - parts.size();
  std::string text = fmt::format("{}", fmt::join(parts, "; "));
  if (more > 0) text += fmt::format("; and {} more", more);
  return text;
}

void GaleraNodes::compare_schemas(const std::string& after, const db::LockRetryPolicy& retry) {
  if (!found_) find_nodes();
  if (nodes_.empty()) return;
  for (int attempt = 1;; ++attempt) {
    const Schema here = schema(self_, retry);
    bool moved = false;  // this node's schema changed meanwhile: another session's DDL
    for_each_node([&](Node& node) {
      if (moved) return;
      const Schema there = schema(*node.connection, retry);
      if (there == here) return;
      // Read after this node's, with wsrep_sync_wait, the node's schema holds all that this
      // node's did: it differs when the node skipped a statement, or when DDL ordered between
      // the two reads changed both (this node's, read again, then differs too).
      if (schema(self_, retry) != here && attempt < kAttempts) {
        moved = true;
        return;
      }
      throw Error(
          ErrorCode::kOperationFailed,
          after.empty()
              ? fmt::format("Galera node {} does not have this database's schema as this node "
                            "has it ({}): no step was run",
                            node.address, difference(here, there, node.address))
              : fmt::format("Galera node {} does not have this database's schema as this node "
                            "has it after step \"{}\" ({})",
                            node.address, after, difference(here, there, node.address)),
          "the node failed to apply a DDL statement and went on without it (its error log says "
          "\"WSREP: Ignoring error\"); make its schema match the others' (or let it rejoin the "
          "cluster with a full state transfer), then run the same command again: it checks "
          "every node again");
    });
    if (!moved) return;
  }
}

void GaleraNodes::for_each_node(const std::function<void(Node&)>& check) {
  if (!found_) find_nodes();
  for (auto node = nodes_.begin(); node != nodes_.end();) {
    try {
      check(*node);
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

void GaleraNodes::check_before_first_step(const db::LockRetryPolicy& retry) {
  if (checked_before_) return;
  checked_before_ = true;
  compare_schemas("", retry);
}

void GaleraNodes::make_every_node_apply(const Step& step, const db::LockRetryPolicy& retry) {
  if (!step.trigger.empty()) {
    if (!found_) find_nodes();
    if (nodes_.empty()) return;
    // The trigger as this node has it (its table, timing, event and body), or none (a drop).
    const std::optional<TriggerRow> expected = trigger_row(self_, step.trigger, retry);
    for_each_node([&](Node& node) { mend(node, step, expected, retry); });
  }
  compare_schemas(step.what, retry);
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
