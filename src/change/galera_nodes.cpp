// The other nodes of a Galera cluster, checked after each trigger's DDL and mended.
#include "change/galera_nodes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "change/operations/sql_parts.h"
#include "change/step_runner.h"
#include "core/connection_url.h"
#include "core/error.h"
#include "core/interrupt.h"

namespace cutover::change {
namespace {

constexpr int kAttempts = 3;
// A schema difference counts when every one of these readings, the pauses apart (growing),
// shows it.
constexpr int kSchemaReadings = 4;
constexpr std::chrono::milliseconds kSchemaPause{100};

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
          "change's statements{}",
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
        "whether {} the change's statements; {}",
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
  // What a node that skipped a DDL statement would lack: tables, views, columns, indexes and
  // constraints (triggers are compared one by one after their steps), one line each, sorted.
  // Not AUTO_INCREMENT, which differs from node to node by design. {0}: the database, {1}: what
  // its lines start with.
  constexpr const char* kQuery =
      "SELECT CONCAT({1}, CONCAT_WS(' ', 'table', TABLE_NAME, TABLE_TYPE, IFNULL(ENGINE, '-'))) "
      "FROM information_schema.TABLES WHERE TABLE_SCHEMA = {0} "
      "UNION ALL SELECT CONCAT({1}, CONCAT_WS(' ', 'view', TABLE_NAME, VIEW_DEFINITION)) FROM "
      "information_schema.VIEWS WHERE TABLE_SCHEMA = {0} "
      "UNION ALL SELECT CONCAT({1}, CONCAT_WS(' ', 'column', TABLE_NAME, ORDINAL_POSITION, "
      "COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '(no default)'), EXTRA, "
      "IFNULL(COLLATION_NAME, '-'), IFNULL(GENERATION_EXPRESSION, ''))) FROM "
      "information_schema.COLUMNS WHERE TABLE_SCHEMA = {0} "
      "UNION ALL SELECT CONCAT({1}, CONCAT_WS(' ', 'index', TABLE_NAME, INDEX_NAME, "
      "SEQ_IN_INDEX, COLUMN_NAME, IF(NON_UNIQUE = 0, 'unique', ''), INDEX_TYPE, "
      "IFNULL(SUB_PART, ''), IFNULL(COLLATION, ''), IF(IGNORED = 'YES', 'ignored', ''))) FROM "
      "information_schema.STATISTICS WHERE TABLE_SCHEMA = {0} "
      "UNION ALL SELECT CONCAT({1}, CONCAT_WS(' ', 'constraint', TABLE_NAME, CONSTRAINT_NAME, "
      "CONSTRAINT_TYPE)) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = {0} "
      "UNION ALL SELECT CONCAT({1}, CONCAT_WS(' ', 'reference', TABLE_NAME, CONSTRAINT_NAME, "
      "REFERENCED_TABLE_NAME, 'on update', UPDATE_RULE, 'on delete', DELETE_RULE)) FROM "
      "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {0} "
      "UNION ALL SELECT CONCAT({1}, CONCAT_WS(' ', 'check', TABLE_NAME, CONSTRAINT_NAME, "
      "CHECK_CLAUSE)) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {0}";
  std::string sql = fmt::format(kQuery, "DATABASE()", "''");
  if (!version_database_.empty()) {
    sql += " UNION ALL " + fmt::format(kQuery, sql_literal(version_database_),
                                       sql_literal("database " + version_database_ + ": "));
  }
  db::retry_lock_conflicts(connection.server().flavor, retry, [&] {
    const db::Result result = connection.query(sql);
    lines.clear();
    for (const db::Row& row : result.rows) lines.push_back(row[0].text());
  });
  std::sort(lines.begin(), lines.end());  // by bytes, as set_difference compares
  return lines;
}

GaleraNodes::Difference GaleraNodes::difference(const Schema& here, const Schema& there) {
  Difference out;
  std::set_difference(here.begin(), here.end(), there.begin(), there.end(),
                      std::inserter(out.only_here, out.only_here.end()));
  std::set_difference(there.begin(), there.end(), here.begin(), here.end(),
                      std::inserter(out.only_there, out.only_there.end()));
  return out;
}

GaleraNodes::Difference GaleraNodes::in_both(const Difference& a, const Difference& b) {
  Difference out;
  std::set_intersection(a.only_here.begin(), a.only_here.end(), b.only_here.begin(),
                        b.only_here.end(), std::inserter(out.only_here, out.only_here.end()));
  std::set_intersection(a.only_there.begin(), a.only_there.end(), b.only_there.begin(),
                        b.only_there.end(), std::inserter(out.only_there, out.only_there.end()));
  return out;
}

std::string GaleraNodes::describe(const Difference& difference, const std::string& node) {
  std::vector<std::string> parts;
  constexpr std::size_t kShown = 3;
  for (const std::string& line : difference.only_here) {
    if (parts.size() == kShown) break;
    parts.push_back(fmt::format("this node has \"{}\", {} has not", line, node));
  }
  const std::size_t here = parts.size();
  for (const std::string& line : difference.only_there) {
    if (parts.size() == here + kShown) break;
    parts.push_back(fmt::format("{} has \"{}\", this node has not", node, line));
  }
  const std::size_t more =
      difference.only_here.size() + difference.only_there.size() - parts.size();
  std::string text = fmt::format("{}", fmt::join(parts, "; "));
  if (more > 0) text += fmt::format("; and {} more", more);
  return text;
}

void GaleraNodes::compare_schemas(const std::string& after, const db::LockRetryPolicy& retry) {
  if (!found_) find_nodes();
  if (nodes_.empty()) return;
  const Schema first = schema(self_, retry);  // this node's, once for every node's first reading
  for_each_node([&](Node& node) {
    // The application's own DDL makes a difference for a moment (the two nodes apply it a
    // moment apart, and it goes on between the two reads); a statement that a node skipped
    // stays missing there. So only what differs in every reading, pauses apart, counts.
    std::optional<Difference> lasting;
    for (int reading = 1;; ++reading) {
      const Schema here = reading == 1 ? first : schema(self_, retry);
      Difference now = difference(here, schema(*node.connection, retry));
      if (lasting) now = in_both(*lasting, now);
      if (now.only_here.empty() && now.only_there.empty()) return;
      lasting = std::move(now);
      if (reading == kSchemaReadings) break;
      if (interrupted_within(kSchemaPause * reading)) return;  // the caller stops at its next step
    }
    throw Error(
        ErrorCode::kOperationFailed,
        after.empty()
            ? fmt::format("Galera node {} does not have this database's schema as this node has "
                          "it ({}): no step was run",
                          node.address, describe(*lasting, node.address))
            : fmt::format("Galera node {} does not have this database's schema as this node has "
                          "it after step \"{}\" ({})",
                          node.address, after, describe(*lasting, node.address)),
        "the node failed to apply a DDL statement and went on without it (its error log says "
        "\"WSREP: Ignoring error\"); make its schema match the others' (or let it rejoin the "
        "cluster with a full state transfer), then run the same command again: it checks every "
        "node again");
  });
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
