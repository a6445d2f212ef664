// What a client session has set up on its server, to be rebuilt on a new one after a switch.
#include "proxy/session_state.h"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "proxy/sql_words.h"

namespace cutover::proxy {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A cheap test before parsing, on every Query and Parse: whether a statement of `sql` begins
// with a keyword of a statement that changes session state. An UPDATE ... SET costs no parse.
bool may_change_session(std::string_view sql) {
  return some_statement_starts_with(
      sql, {"set", "reset", "listen", "unlisten", "prepare", "deallocate", "discard"});
}

}  // namespace

void SessionState::track_sql(std::string_view sql) {
  if (!may_change_session(sql)) return;
  std::string text(sql);
  PgQueryParseResult result = pg_query_parse(text.c_str());
  json tree;
  if (result.error == nullptr && result.parse_tree != nullptr) {
    tree = json::parse(result.parse_tree, nullptr, false);
  }
  pg_query_free_parse_result(result);
  if (!tree.is_object() || !tree.contains("stmts")) return;

  for (const auto& raw : tree["stmts"]) {
    if (!raw.contains("stmt")) continue;
    auto location = static_cast<std::size_t>(raw.value("stmt_location", 0));
    auto length = static_cast<std::size_t>(raw.value("stmt_len", 0));
    std::string statement = location < text.size()
                                ? text.substr(location, length == 0 ? std::string::npos : length)
                                : std::string();
    const json& stmt = raw["stmt"];
    if (stmt.contains("VariableSetStmt")) {
      const json& set = stmt["VariableSetStmt"];
      std::string kind = set.value("kind", "");
      std::string name = lower(set.value("name", ""));
      if (set.value("is_local", false) || name == "transaction") continue;  // ends with the txn
      if (kind == "VAR_RESET_ALL") {
        settings_.clear();
      } else if (kind == "VAR_RESET") {
        settings_.erase(name);
      } else {
        settings_[name] = statement;
      }
    } else if (stmt.contains("PrepareStmt")) {
      prepared_[stmt["PrepareStmt"].value("name", "")] = statement;
    } else if (stmt.contains("DeallocateStmt")) {
      const json& d = stmt["DeallocateStmt"];
      if (d.contains("name")) {
        prepared_.erase(d.value("name", ""));
      } else {
        prepared_.clear();
      }
    } else if (stmt.contains("ListenStmt")) {
      channels_.insert(stmt["ListenStmt"].value("conditionname", ""));
    } else if (stmt.contains("UnlistenStmt")) {
      const json& u = stmt["UnlistenStmt"];
      if (u.contains("conditionname")) {
        channels_.erase(u.value("conditionname", ""));
      } else {
        channels_.clear();
      }
    } else if (stmt.contains("DiscardStmt")) {
      std::string target = stmt["DiscardStmt"].value("target", "");
      if (target == "DISCARD_ALL") {
        settings_.clear();
        prepared_.clear();
        channels_.clear();
        parses_.clear();
      }
    }
  }
}

void SessionState::track_parse(const std::string& name, std::string_view query,
                               std::string_view message) {
  if (!name.empty()) parses_[name] = {std::string(query), std::string(message)};
}

void SessionState::track_close_statement(const std::string& name) { parses_.erase(name); }

std::vector<std::string> SessionState::replay_statements() const {
  std::vector<std::string> out;
  for (const auto& [name, statement] : settings_) out.push_back(statement);
  for (const auto& [name, statement] : prepared_) out.push_back(statement);
  for (const auto& channel : channels_) {
    std::string quoted = "\"";
    for (char c : channel) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    out.push_back("LISTEN " + quoted + "\"");
  }
  return out;
}

std::vector<std::string> SessionState::replay_parses() const {
  std::vector<std::string> out;
  for (const auto& [name, parsed] : parses_) out.push_back(parsed.message);
  return out;
}

std::vector<std::pair<std::string, std::string>> SessionState::prepared_statements() const {
  std::vector<std::pair<std::string, std::string>> out(prepared_.begin(), prepared_.end());
  for (const auto& [name, parsed] : parses_) out.emplace_back(name, parsed.query);
  return out;
}

void SessionState::forget_statement(const std::string& name) {
  prepared_.erase(name);
  parses_.erase(name);
}

bool SessionState::empty() const {
  return settings_.empty() && prepared_.empty() && channels_.empty() && parses_.empty();
}

}  // namespace cutover::proxy
