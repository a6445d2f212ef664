// `${name}` placeholders in migration scripts, filled from `--placeholder name=value` and from
// Flyway's built-ins.
#include "migrate/placeholders.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "db/connection.h"

namespace cutover::migrate {
namespace {

constexpr std::string_view kFilename = "flyway:filename";

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == ':';
}

// The last part of a file name that may have folders: Flyway's `${flyway:filename}`.
std::string_view base_name(std::string_view file_name) {
  const auto slash = file_name.find_last_of('/');
  return slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
}

// Calls on_placeholder(start, end, name, value-or-null) for every `${name}` of `text`, in order;
// [start, end) is the placeholder with its `${` and `}`.
template <typename OnPlaceholder>
void scan_placeholders(std::string_view text, const Placeholders& values,
                       std::string_view file_name, OnPlaceholder on_placeholder) {
  for (size_t search = 0, start; (start = text.find("${", search)) != std::string_view::npos;) {
    search = start + 2;
    const auto close = text.find_first_of("}\r\n", search);
    if (close == std::string_view::npos || text[close] != '}' || close == search) continue;
    const std::string_view name = text.substr(search, close - search);
    std::string_view value;
    const std::string_view* found = nullptr;
    if (const auto it = values.find(name); it != values.end()) {
      value = it->second;
      found = &value;
    } else if (name == kFilename) {
      value = base_name(file_name);
      found = &value;
    }
    on_placeholder(start, close + 1, name, found);
    search = close + 1;
  }
}

}  // namespace

std::pair<std::string, std::string> parse_placeholder_assignment(std::string_view argument) {
  const auto equals = argument.find('=');
  const std::string_view name = argument.substr(0, equals);
  if (equals == std::string_view::npos || name.empty() ||
      !std::all_of(name.begin(), name.end(), is_name_char)) {
    throw_bad_input(fmt::format("bad --placeholder '{}'", argument),
                    "write --placeholder name=value; a name is letters, digits, '_', '.', '-' "
                    "and ':'");
  }
  return {std::string(name), std::string(argument.substr(equals + 1))};
}

std::vector<MissingPlaceholder> find_missing_placeholders(std::string_view text,
                                                          const Placeholders& values,
                                                          std::string_view file_name) {
  std::vector<MissingPlaceholder> missing;
  int line = 1;
  size_t counted = 0;  // newlines before this offset are in `line`
  scan_placeholders(
      text, values, file_name,
      [&](size_t start, size_t, std::string_view name, const std::string_view* value) {
        if (value) return;
        line += static_cast<int>(std::count(text.begin() + counted, text.begin() + start, '\n'));
        counted = start;
        missing.push_back({std::string(file_name), line, std::string(name)});
      });
  return missing;
}

void throw_missing_placeholders(const std::vector<MissingPlaceholder>& missing) {
  std::string message;
  std::set<std::string> names;
  bool built_in = false;
  for (const auto& m : missing) {
    if (!message.empty()) message += "\n  ";
    message += fmt::format("{}:{}: no value for placeholder ${{{}}}", m.file_name, m.line, m.name);
    names.insert(m.name);
    built_in = built_in || m.name.starts_with("flyway:");
  }
  if (missing.size() > 1) {
    message = fmt::format("{} placeholders have no value:\n  {}", missing.size(), message);
  }
  if (built_in) {
    message +=
        "\n  (the Flyway built-in placeholders cutover fills are flyway:defaultSchema, "
        "flyway:user, flyway:database, flyway:timestamp, flyway:filename, flyway:table and "
        "flyway:workingDirectory)";
  }
  std::string hint = "pass";
  for (const auto& name : names) hint += fmt::format(" --placeholder {}=<value>", name);
  throw_bad_input(std::move(message), std::move(hint));
}

std::string replace_placeholders(std::string_view text, const Placeholders& values,
                                 std::string_view file_name) {
  std::string out;
  out.reserve(text.size());
  size_t done = 0;  // text before this offset is already in `out`
  bool complete = true;
  scan_placeholders(text, values, file_name,
                    [&](size_t start, size_t end, std::string_view, const std::string_view* value) {
                      if (!value) {
                        complete = false;
                        return;
                      }
                      out.append(text.substr(done, start - done)).append(*value);
                      done = end;
                    });
  if (!complete) throw_missing_placeholders(find_missing_placeholders(text, values, file_name));
  out.append(text.substr(done));
  return out;
}

std::string flyway_timestamp(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

Placeholders with_builtin_placeholders(Placeholders given, db::Connection& connection,
                                       std::string_view history_table) {
  std::string schema, user, database;
  switch (connection.server().flavor) {
    case db::Flavor::kPostgres: {
      auto row = connection.query(
          "SELECT current_schema(), current_user, current_database(), "
          "current_setting('search_path')");
      if (row.rows.at(0).at(0).is_null()) {
        // Every table would fail to be created, the history's first ("no schema has been
        // selected to create in"), after the callbacks and the plan had run.
        throw_bad_input(
            fmt::format("no schema of the search_path ({}) exists in database {}",
                        row.rows.at(0).at(3).text(), row.rows.at(0).at(2).text()),
            "create the schema first (CREATE SCHEMA name; Flyway's createSchemas is not done "
            "by cutover), or name an existing one: flyway.schemas / flyway.defaultSchema, or "
            "the URL's options=-csearch_path%3Dname");
      }
      schema = row.rows.at(0).at(0).text();
      user = row.rows.at(0).at(1).text();
      database = row.rows.at(0).at(2).text();
      break;
    }
    case db::Flavor::kMariaDb:
    case db::Flavor::kMySql: {
      auto row = connection.query("SELECT DATABASE(), SUBSTRING_INDEX(USER(), '@', 1)");
      schema = database = row.rows.at(0).at(0).text();
      user = row.rows.at(0).at(1).text();
      break;
    }
    case db::Flavor::kSqlite:
      schema = database = "main";
      break;
  }
  std::error_code ignored;
  const Placeholders built_in = {
      {"flyway:defaultSchema", schema},
      {"flyway:user", user},
      {"flyway:database", database},
      {"flyway:timestamp", flyway_timestamp(std::chrono::system_clock::now())},
      // Flyway's `table` setting is a bare name; its schema is set apart.
      {"flyway:table", std::string(history_table.substr(history_table.find_last_of('.') + 1))},
      {"flyway:workingDirectory", std::filesystem::current_path(ignored).string()},
  };
  for (const auto& [name, value] : built_in) given.try_emplace(name, value);  // given ones win
  return given;
}

}  // namespace cutover::migrate
