// A move's plan and steps: parsing --database mappings, and the plan as stored.
#include "move/move_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "move/database_address.h"

namespace cutover::move {
namespace {

constexpr const char* kMappingForm =
    "write --database postgres://user@host:port/SOURCE_DB or "
    "--database postgres://user@host:port/SOURCE_DB=NEW_NAME (mariadb://... for MariaDB)";

constexpr struct {
  FreezeMode mode;
  const char* name;
} kFreezeModes[] = {{FreezeMode::kPrivileges, "privileges"},
                    {FreezeMode::kHook, "hook"},
                    {FreezeMode::kReadOnly, "read_only"},
                    {FreezeMode::kTriggers, "triggers"},
                    {FreezeMode::kProxy, "proxy"}};

constexpr struct {
  MoveStep step;
  const char* name;
} kSteps[] = {{MoveStep::kCreated, "created"}, {MoveStep::kPrepared, "prepared"},
              {MoveStep::kCopied, "copied"},   {MoveStep::kFinalized, "finalized"},
              {MoveStep::kAborted, "aborted"}, {MoveStep::kCleaned, "cleaned"}};

// Whether the '=' at `eq` of `text` ends an option of the URL itself rather than starting a new
// name: the option it would end ("?sslmode", "&x", keyword "dbname") has no '=' of its own yet.
bool equals_belongs_to_url(std::string_view text, size_t eq) {
  std::string_view left = text.substr(0, eq);
  bool keyword_form = left.find("://") == std::string_view::npos && !left.starts_with("sqlite:");
  size_t start;
  if (keyword_form) {
    start = left.find_last_of(" \t");
  } else {
    size_t query = left.find('?');
    if (query == std::string_view::npos) return false;
    start = left.find_last_of("?&");
  }
  std::string_view last = start == std::string_view::npos ? left : left.substr(start + 1);
  return last.find('=') == std::string_view::npos;
}

void check_name(std::string_view name, std::string_view argument) {
  if (name.empty()) {
    throw_bad_input(fmt::format("no new name after '=' in --database {}", redact(argument)),
                    kMappingForm);
  }
  if (name.size() > 63) {
    throw_bad_input(fmt::format("the new name '{}' is longer than PostgreSQL's 63 bytes", name),
                    "choose a shorter name");
  }
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    throw_bad_input(fmt::format("the new name '{}' holds a slash", name),
                    "MariaDB keeps a database in a directory of that name: choose one without");
  }
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      throw_bad_input(
          fmt::format("the new name in --database {} holds a control character", redact(argument)),
          "choose a name of printable characters");
    }
  }
}

}  // namespace

const char* step_name(MoveStep step) {
  for (const auto& s : kSteps) {
    if (s.step == step) return s.name;
  }
  return "unknown";
}

MoveStep parse_step(std::string_view name) {
  for (const auto& s : kSteps) {
    if (name == s.name) return s.step;
  }
  throw Error(ErrorCode::kOperationFailed,
              fmt::format("the state store names an unknown move step '{}'", name),
              "it was written by a newer cutover: use that version");
}

const char* freeze_mode_name(FreezeMode mode) {
  for (const auto& f : kFreezeModes) {
    if (f.mode == mode) return f.name;
  }
  return "unknown";
}

FreezeMode parse_freeze_mode(std::string_view name) {
  for (const auto& f : kFreezeModes) {
    if (name == f.name) return f.mode;
  }
  throw_bad_input(fmt::format("--freeze {} is not a freeze method", name),
                  "--freeze privileges or proxy (PostgreSQL), read_only (MariaDB), triggers "
                  "(SQLite) or hook (your own commands, any of them)");
}

bool holds_databases(MoveStep step) {
  return step != MoveStep::kAborted && step != MoveStep::kCleaned;
}

DatabaseMapping parse_mapping(std::string_view argument) {
  std::string_view url_text = argument;
  std::optional<std::string_view> new_name;
  if (size_t eq = argument.rfind('='); eq != std::string_view::npos) {
    if (!equals_belongs_to_url(argument, eq)) {
      url_text = argument.substr(0, eq);
      new_name = argument.substr(eq + 1);
    }
  }
  DatabaseMapping mapping;
  mapping.source = parse_connection_url(url_text);
  if (mapping.source.scheme == Scheme::kSqlite) {
    if (mapping.source.database.empty() || mapping.source.database == ":memory:") {
      throw_bad_input(fmt::format("--database {} names no SQLite file", argument),
                      "--database sqlite:/path/to/app.db or sqlite:/path/to/app.db=new.db");
    }
    mapping.source.database = std::filesystem::absolute(mapping.source.database).string();
    mapping.source.text = "sqlite:" + mapping.source.database;
  }
  if (mapping.source.database.empty()) {
    throw_bad_input(fmt::format("--database {} names no database", redact(argument)), kMappingForm);
  }
  if (new_name) check_name(*new_name, argument);
  mapping.target_name = new_name ? std::string(*new_name)
                        : mapping.source.scheme == Scheme::kSqlite
                            ? std::filesystem::path(mapping.source.database).filename().string()
                            : mapping.source.database;
  return mapping;
}

nlohmann::json MovePlan::to_json() const {
  nlohmann::json databases_json = nlohmann::json::array();
  for (const auto& d : databases) {
    databases_json.push_back({{"source", url_without_password(d.source)},
                              {"source_name", d.source_name()},
                              {"target_name", d.target_name}});
  }
  nlohmann::json j = {{"engine", scheme_name(engine())},
                      {"target", url_without_password(target)},
                      {"databases", databases_json}};
  j["owner"] = owner ? nlohmann::json(*owner) : nlohmann::json(nullptr);
  j["freeze"] = freeze_mode_name(freeze);
  j["freeze_commands"] = freeze_commands;
  j["unfreeze_commands"] = unfreeze_commands;
  j["allow_unfrozen"] = allow_unfrozen;
  j["switch_commands"] = switch_commands;
  j["switch_back_commands"] = switch_back_commands;
  if (!proxy_admins.empty()) j["proxy"] = {{"admins", proxy_admins}, {"backend", proxy_backend}};
  return j;
}

MovePlan MovePlan::from_json(const nlohmann::json& json) {
  try {
    MovePlan plan;
    plan.target = parse_connection_url(json.at("target").get<std::string>());
    for (const auto& d : json.at("databases")) {
      DatabaseMapping mapping;
      mapping.source = parse_connection_url(d.at("source").get<std::string>());
      mapping.target_name = d.at("target_name").get<std::string>();
      plan.databases.push_back(std::move(mapping));
    }
    if (json.contains("owner") && !json["owner"].is_null()) {
      plan.owner = json["owner"].get<std::string>();
    }
    plan.freeze = parse_freeze_mode(json.value("freeze", "privileges"));
    auto list = [&json](const char* key) {
      return json.contains(key) ? json[key].get<std::vector<std::string>>()
                                : std::vector<std::string>{};
    };
    plan.freeze_commands = list("freeze_commands");
    plan.unfreeze_commands = list("unfreeze_commands");
    plan.allow_unfrozen = list("allow_unfrozen");
    plan.switch_commands = list("switch_commands");
    plan.switch_back_commands = list("switch_back_commands");
    if (json.contains("proxy")) {
      plan.proxy_admins = json.at("proxy").at("admins").get<std::vector<std::string>>();
      plan.proxy_backend = json.at("proxy").at("backend").get<std::string>();
    }
    return plan;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("a move's plan in the state store is malformed: {}", e.what()),
                "the state file was changed by hand or by a newer cutover");
  } catch (const Error& e) {
    throw e.restated(ErrorCode::kOperationFailed,
                     "a move's plan in the state store holds a bad URL: " + e.message(),
                     "the state file was changed by hand or by a newer cutover");
  }
}

std::vector<std::string> MovePlan::source_keys() const {
  std::vector<std::string> keys;
  for (const auto& d : databases) keys.push_back(database_key(d.source, d.source_name()));
  return keys;
}

std::vector<std::string> MovePlan::target_keys() const {
  std::vector<std::string> keys;
  for (const auto& d : databases) keys.push_back(database_key(target, d.target_name));
  return keys;
}

std::vector<std::string> MovePlan::frozen_servers() const {
  std::vector<std::string> keys;
  if (freeze != FreezeMode::kReadOnly) return keys;
  for (const auto& d : databases) {
    std::string key = database_key(d.source, "");
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

std::vector<std::string> duplicate_mappings(const std::vector<DatabaseMapping>& databases) {
  std::vector<std::string> problems;
  std::map<std::string, std::vector<std::string>> by_target;
  std::map<std::string, int> by_source;
  for (const auto& d : databases) {
    by_target[d.target_name].push_back(url_without_password(d.source));
    ++by_source[database_key(d.source, d.source_name())];
  }
  for (const auto& [name, sources] : by_target) {
    if (sources.size() < 2) continue;
    std::string list;
    for (const auto& s : sources) list += (list.empty() ? "" : ", ") + s;
    problems.push_back(fmt::format("{} databases would become '{}' on the target: {}",
                                   sources.size(), name, list));
  }
  for (const auto& [key, count] : by_source) {
    if (count > 1) problems.push_back(fmt::format("{} is given {} times", key, count));
  }
  return problems;
}

}  // namespace cutover::move
