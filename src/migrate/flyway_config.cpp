// Flyway's configuration files, read for what maps onto cutover migrate.
#include "migrate/flyway_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "core/error.h"
#include "migrate/version.h"

namespace cutover::migrate {
namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\f";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::optional<bool> parse_bool(std::string_view value) {
  std::string lowered(trim(value));
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered == "true") return true;
  if (lowered == "false") return false;
  return std::nullopt;
}

bool to_bool(std::string_view source, const ConfigSetting& setting) {
  if (auto value = parse_bool(setting.value)) return *value;
  throw_bad_input(fmt::format("{}:{}: {} must be true or false, not '{}'", source, setting.line,
                              setting.key, setting.value),
                  fmt::format("write {}=true or {}=false", setting.key, setting.key));
}

// Properties: the character after a backslash, decoded.
char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'f':
      return '\f';
    default:
      return c;
  }
}

// TOML: the value of one `key = value` line (after the `=`), as text.
std::string toml_value(std::string_view source, int line, std::string_view raw) {
  const auto fail = [&](std::string_view what) -> std::string {
    throw_bad_input(fmt::format("{}:{}: cannot read {}", source, line, what),
                    "cutover reads the part of TOML that flyway.toml uses: strings, numbers, "
                    "true/false and one-line arrays of strings; write the value that way");
  };
  raw = trim(raw);
  if (raw.empty()) return fail("an empty value");
  std::string value;
  std::size_t i = 0;
  if (raw.starts_with("\"\"\"") || raw.starts_with("'''")) return fail("a multi-line string");
  if (raw[0] == '"') {
    for (i = 1; i < raw.size() && raw[i] != '"'; ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) {
        value += unescape(raw[++i]);
      } else {
        value += raw[i];
      }
    }
    if (i >= raw.size()) return fail("an unterminated string");
    ++i;
  } else if (raw[0] == '\'') {
    const auto end = raw.find('\'', 1);
    if (end == std::string_view::npos) return fail("an unterminated string");
    value = std::string(raw.substr(1, end - 1));
    i = end + 1;
  } else if (raw[0] == '[') {
    const auto end = raw.find(']');
    if (end == std::string_view::npos) return fail("a multi-line array");
    std::string_view items = raw.substr(1, end - 1);
    std::vector<std::string> parts;
    while (!trim(items).empty()) {
      items = trim(items);
      const auto comma = items[0] == '"' || items[0] == '\''
                             ? items.find(',', items.find(items[0], 1))
                             : items.find(',');
      parts.push_back(toml_value(source, line, items.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      items.remove_prefix(comma + 1);
    }
    for (const auto& part : parts) value += (value.empty() ? "" : ",") + part;
    i = end + 1;
  } else if (raw[0] == '{') {
    return fail("an inline table");
  } else {
    const auto end = raw.find('#');
    value = std::string(trim(raw.substr(0, end)));
    const bool plain = std::all_of(value.begin(), value.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+';
    });
    if (!plain) return fail(fmt::format("the value '{}'", value));
    return value;
  }
  const std::string_view rest = trim(raw.substr(i));
  if (!rest.empty() && rest[0] != '#') return fail(fmt::format("'{}' after the value", rest));
  return value;
}

// A TOML key, bare or quoted parts joined by dots, quotes removed.
std::string toml_key(std::string_view raw) {
  std::string key;
  for (char c : trim(raw)) {
    if (c == '"' || c == '\'' || c == ' ' || c == '\t') continue;
    key += c;
  }
  return key;
}

// jdbc:<driver>://... turned into cutover's URL; throws for a password or another driver.
std::string cutover_url(std::string_view source, std::string_view jdbc,
                        const std::optional<std::string>& user) {
  const auto fail_scheme = [&]() -> std::string {
    throw_bad_input(fmt::format("{}: flyway.url '{}' names a database cutover does not migrate",
                                source, jdbc.substr(0, jdbc.find('?'))),
                    "cutover migrates PostgreSQL (jdbc:postgresql://), MariaDB/MySQL "
                    "(jdbc:mariadb://, jdbc:mysql://) and SQLite (jdbc:sqlite:)");
  };
  std::string_view rest = trim(jdbc);
  if (!rest.starts_with("jdbc:")) return fail_scheme();
  rest.remove_prefix(5);
  std::string scheme;
  if (rest.starts_with("postgresql://")) {
    scheme = "postgres://";
    rest.remove_prefix(13);
  } else if (rest.starts_with("mariadb://")) {
    scheme = "mariadb://";
    rest.remove_prefix(10);
  } else if (rest.starts_with("mysql://")) {
    scheme = "mariadb://";
    rest.remove_prefix(8);
  } else if (rest.starts_with("sqlite:")) {
    rest.remove_prefix(7);
    return rest.starts_with('/') ? "sqlite://" + std::string(rest) : "sqlite:" + std::string(rest);
  } else {
    return fail_scheme();
  }
  // The query: a password there is refused, user= moves into the URL, the rest is dropped
  // (JDBC driver settings that libpq and libmariadb do not know).
  std::string host_db(rest.substr(0, rest.find('?')));
  std::string query_user;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      const std::string_view name = pair.substr(0, pair.find('='));
      if (name == "password") {
        throw_bad_input(fmt::format("{}: flyway.url holds a password", source),
                        "cutover never takes a password from a file it may print: remove it "
                        "from the URL and give it with PGPASSWORD or ~/.pgpass (PostgreSQL), "
                        "MYSQL_PWD or an option file (MariaDB), or --password-file");
      }
      if (name == "user" && pair.find('=') != std::string_view::npos) {
        query_user = std::string(pair.substr(pair.find('=') + 1));
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (host_db.find('@') != std::string::npos) return scheme + host_db;
  const std::string who = user ? *user : query_user;
  return scheme + (who.empty() ? "" : who + "@") + host_db;
}

// The PostgreSQL JDBC URL's currentSchema (the session's search_path there), if any.
std::optional<std::string> jdbc_current_schema(std::string_view jdbc) {
  if (!jdbc.starts_with("jdbc:postgresql:")) return std::nullopt;
  const auto q = jdbc.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = jdbc.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with("currentSchema=") && pair.size() > 14) return std::string(pair.substr(14));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

[[noreturn]] void refuse_password(std::string_view source, const ConfigSetting& setting) {
  throw_bad_input(
      fmt::format("{}:{}: {} is set: cutover takes no password from a configuration file", source,
                  setting.line, setting.key),
      "remove it and give the password with PGPASSWORD or ~/.pgpass (PostgreSQL), MYSQL_PWD "
      "or an option file (MariaDB), or --password-file FILE");
}

// `${env.NAME}` (flyway.toml's resolver) and `${NAME}` or `${NAME:default}` (flyway.conf's
// environment substitution) in a setting's value, replaced by the environment variable's
// value; another resolver (`${localSecret.x}`, `${vault.x}`, ...) or a variable that is not set
// and has no default is refused naming it.
void expand_environment(std::string_view source, ConfigSetting& setting) {
  std::string expanded;
  std::size_t at = 0;
  for (;;) {
    const std::size_t open = setting.value.find("${", at);
    if (open == std::string::npos) break;
    const std::size_t close = setting.value.find('}', open);
    if (close == std::string::npos) break;
    expanded += setting.value.substr(at, open - at);
    std::string name = setting.value.substr(open + 2, close - open - 2);
    std::optional<std::string> fallback;
    if (name.starts_with("flyway:")) {  // a placeholder of Flyway's own, for the scripts
      expanded += setting.value.substr(open, close + 1 - open);
      at = close + 1;
      continue;
    }
    if (name.starts_with("env.")) {
      name.erase(0, 4);
    } else if (const std::size_t dot = name.find('.'); dot != std::string::npos) {
      throw_bad_input(fmt::format("{}:{}: {} uses the resolver ${{{}}}, which cutover does not "
                                  "have",
                                  source, setting.line, setting.key, name),
                      "give the value itself, or take it from an environment variable with "
                      "${env.NAME}");
    } else if (const std::size_t colon = name.find(':'); colon != std::string::npos) {
      fallback = name.substr(colon + 1);
      name.erase(colon);
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr && !fallback) {
      throw_bad_input(
          fmt::format("{}:{}: {} names the environment variable {}, which is not set", source,
                      setting.line, setting.key, name),
          fmt::format("set {} in cutover's environment, or write the value itself", name));
    }
    expanded += value != nullptr ? std::string(value) : *fallback;
    at = close + 1;
  }
  if (at == 0) return;
  setting.value = expanded + setting.value.substr(at);
}

// Settings whose ignoring would change what is applied, or how, from what Flyway does with the
// same project: refused naming the key and cutover's way. Other keys are only warned of.
void refuse_what_changes_the_run(std::string_view source, const ConfigSetting& setting) {
  const auto refuse = [&](const std::string& why, const std::string& fix) {
    throw_bad_input(
        fmt::format("{}:{}: {} = {}: {}", source, setting.line, setting.key, setting.value, why),
        fix);
  };
  const std::string& key = setting.key;
  if (key == "flyway.skipDefaultCallbacks" && to_bool(source, setting)) {
    refuse("Flyway would not run the callback files (beforeMigrate.sql, ...); cutover runs them",
           "remove the callback files you do not want run, then the setting");
  }
  const auto naming = [&](const char* flyway_default, const char* what) {
    if (setting.value == flyway_default) return;
    refuse(fmt::format("cutover reads {} only, so it would not find this project's files", what),
           "rename the files to Flyway's default scheme, then remove the setting");
  };
  if (key == "flyway.sqlMigrationPrefix") naming("V", "versioned files named V<version>__");
  if (key == "flyway.repeatableSqlMigrationPrefix") naming("R", "repeatable files named R__");
  if (key == "flyway.sqlMigrationSeparator") naming("__", "the separator __");
  if (key == "flyway.sqlMigrationSuffixes") naming(".sql", "files ending in .sql");
  const auto placeholder_syntax = [&](const char* flyway_default) {
    if (setting.value == flyway_default) return;
    refuse(
        "cutover replaces placeholders written ${name} only, so this project's would be "
        "left in the files as text",
        "write the placeholders as ${name} in the files, then remove the setting");
  };
  if (key == "flyway.placeholderPrefix") placeholder_syntax("${");
  if (key == "flyway.placeholderSuffix") placeholder_syntax("}");
  if (key == "flyway.placeholderReplacement" && !to_bool(source, setting)) {
    refuse("Flyway would leave ${...} in the files as text; cutover replaces every placeholder",
           "remove the setting when no ${...} in the files is meant as text; cutover cannot "
           "run files whose ${...} must stay as they are");
  }
  if (key == "flyway.initSql" && !setting.value.empty()) {
    refuse("Flyway runs it on each connection before migrating; cutover would not",
           "put it in a beforeMigrate.sql callback (it runs on the connection that applies the "
           "files, and session settings such as SET ROLE carry over to them), then remove the "
           "setting");
  }
  if (key == "flyway.encoding") {
    std::string encoding = setting.value;
    std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (encoding != "utf-8" && encoding != "utf8") {
      refuse("cutover reads files as UTF-8 only",
             "convert the files to UTF-8 (iconv -f <encoding> -t UTF-8), then remove the "
             "setting");
    }
  }
}

}  // namespace

std::vector<ConfigSetting> parse_properties(std::string_view text) {
  std::vector<ConfigSetting> settings;
  int line_number = 0;
  std::string logical;
  int logical_line = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    std::string_view content = trim(line);
    if (logical.empty()) {
      if (content.empty() || content[0] == '#' || content[0] == '!') continue;
      logical_line = line_number;
    }
    // A line ending in an odd number of backslashes continues on the next.
    std::size_t slashes = 0;
    while (slashes < content.size() && content[content.size() - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 1) {
      logical += content.substr(0, content.size() - 1);
      if (!text.empty()) continue;
    } else {
      logical += content;
    }
    std::string key, value;
    bool in_value = false;
    for (std::size_t i = 0; i < logical.size(); ++i) {
      char c = logical[i];
      if (c == '\\' && i + 1 < logical.size()) {
        (in_value ? value : key) += unescape(logical[++i]);
        continue;
      }
      if (!in_value && (c == '=' || c == ':' || c == ' ' || c == '\t')) {
        in_value = true;
        // `key = value`: skip the blanks and one separator around it.
        std::size_t j = i;
        while (j < logical.size() && (logical[j] == ' ' || logical[j] == '\t')) ++j;
        if (j < logical.size() && (logical[j] == '=' || logical[j] == ':')) ++j;
        while (j < logical.size() && (logical[j] == ' ' || logical[j] == '\t')) ++j;
        i = j - 1;
        continue;
      }
      (in_value ? value : key) += c;
    }
    settings.push_back({key, std::string(trim(value)), logical_line});
    logical.clear();
  }
  return settings;
}

std::vector<ConfigSetting> parse_flyway_toml(std::string_view source, std::string_view text) {
  std::vector<ConfigSetting> settings;
  std::string table;
  int line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      const auto close = line.find(']');
      const std::string_view rest =
          close == std::string_view::npos ? "" : trim(line.substr(close + 1));
      if (line.starts_with("[[") || close == std::string_view::npos ||
          (!rest.empty() && rest[0] != '#')) {
        throw_bad_input(
            fmt::format("{}:{}: cannot read the table header '{}'", source, line_number, line),
            "cutover reads [flyway] and [environments.NAME] tables of flyway.toml");
      }
      table = toml_key(line.substr(1, close - 1));
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      throw_bad_input(
          fmt::format("{}:{}: expected key = value, not '{}'", source, line_number, line),
          "cutover reads the part of TOML that flyway.toml uses");
    }
    std::string key = toml_key(line.substr(0, equals));
    if (!table.empty()) key = table + "." + key;
    settings.push_back(
        {key, toml_value(source, line_number, line.substr(equals + 1)), line_number});
  }
  return settings;
}

void apply_script_config(std::string_view source, const std::vector<ConfigSetting>& settings,
                         ScriptConfig& config) {
  for (const auto& setting : settings) {
    if (setting.key == "executeInTransaction") {
      config.execute_in_transaction = to_bool(source, setting);
    } else {
      config.ignored_keys.push_back(setting.key);
    }
  }
}

FlywayProjectConfig parse_flyway_project_config(std::string_view source, std::string_view text,
                                                std::string_view base) {
  const bool toml = source.ends_with(".toml");
  std::vector<ConfigSetting> settings =
      toml ? parse_flyway_toml(source, text) : parse_properties(text);
  FlywayProjectConfig config;
  config.source = std::string(source);
  // TOML: [flyway] keys as they are, the chosen environment's under flyway. too.
  if (toml) {
    std::string environment = "default";
    for (const auto& s : settings) {
      if (s.key == "flyway.environment") environment = s.value;
    }
    const std::string prefix = "environments." + environment + ".";
    for (auto& s : settings) {
      if (s.key.starts_with(prefix)) {
        s.key = "flyway." + s.key.substr(prefix.size());
      } else if (s.key == "flyway.environment") {
        s.key.clear();  // used above
      } else if (s.key.starts_with("environments.")) {
        s.key.clear();  // another environment: not this run's
      }
    }
  }
  std::optional<std::string> url, user;
  std::vector<std::string> schemas;
  std::optional<std::string> default_schema;
  for (auto& s : settings) {
    const std::string& key = s.key;
    if (key.empty()) continue;
    if (key == "flyway.password") refuse_password(source, s);
    expand_environment(source, s);
    refuse_what_changes_the_run(source, s);
    if (key == "flyway.url") {
      url = s.value;
    } else if (key == "flyway.user") {
      user = s.value;
    } else if (key == "flyway.locations") {
      std::vector<std::string> locations = split_list(s.value);
      if (locations.size() > 1) {
        throw_bad_input(fmt::format("{}:{}: flyway.locations names {} locations", source, s.line,
                                    locations.size()),
                        "cutover reads one folder: move the files into one, and give it as "
                        "flyway.locations=filesystem:FOLDER or --dir FOLDER");
      }
      if (locations.empty()) continue;
      std::string location = locations.front();
      if (location.starts_with("classpath:")) {
        throw_bad_input(fmt::format("{}:{}: flyway.locations is '{}': cutover cannot read "
                                    "a Java classpath",
                                    source, s.line, location),
                        "give the folder the files are in, e.g. "
                        "flyway.locations=filesystem:src/main/resources/db/migration, or --dir");
      }
      if (location.starts_with("filesystem:")) location.erase(0, 11);
      std::filesystem::path path(location);
      if (path.is_relative()) path = std::filesystem::path(base) / path;
      config.dir = path.lexically_normal().string();
    } else if (key == "flyway.table") {
      config.table = s.value;
    } else if (key == "flyway.schemas") {
      schemas = split_list(s.value);
    } else if (key == "flyway.defaultSchema") {
      default_schema = s.value;
    } else if (key.starts_with("flyway.placeholders.")) {
      config.placeholders[key.substr(20)] = s.value;
    } else if (key == "flyway.outOfOrder") {
      config.out_of_order = to_bool(source, s);
    } else if (key == "flyway.baselineOnMigrate") {
      config.baseline_on_migrate = to_bool(source, s);
    } else if (key == "flyway.baselineVersion") {
      config.baseline_version = s.value;
    } else if (key == "flyway.baselineDescription") {
      config.baseline_description = s.value;
    } else if (key == "flyway.target") {
      if (s.value == "latest") continue;
      try {
        Version::parse(s.value);
      } catch (const Error&) {
        throw_bad_input(fmt::format("{}:{}: flyway.target = {}: cutover takes latest or a "
                                    "version",
                                    source, s.line, s.value),
                        "give a version such as 5 or 2.1, or latest (Flyway's current, next and "
                        "<version>? are not supported)");
      }
      config.target = s.value;
    } else if (key == "flyway.executeInTransaction") {
      config.execute_in_transaction = to_bool(source, s);
    } else {
      config.ignored_keys.push_back(key);
    }
  }
  if (url) {
    config.url = cutover_url(source, *url, user);
  } else if (user) {
    config.ignored_keys.push_back("flyway.user");  // the URL given on the command line wins
  }
  if (default_schema) {
    config.schema = default_schema;
  } else if (!schemas.empty()) {
    config.schema = schemas.front();
  } else if (url) {
    config.schema = jdbc_current_schema(trim(*url));  // it was dropped with the query
  }
  return config;
}

}  // namespace cutover::migrate
