// What a migration file's name and header say: Flyway names and `-- cutover:` option lines.
#include "migrate/migration_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "migrate/flyway_config.h"

namespace cutover::migrate {
namespace {

constexpr std::string_view kExpectedNames =
    "name versioned migrations V<version>__<description>.sql (capital V, two underscores, e.g. "
    "V1__create_users.sql or V2_1__add_email.sql) and repeatable ones R__<description>.sql";

[[noreturn]] void throw_bad_name(std::string_view file_name, std::string_view why) {
  throw_bad_input(fmt::format("migration file '{}' {}", file_name, why),
                  std::string(kExpectedNames));
}

std::string description_of(std::string_view file_name, std::string_view text) {
  if (text.empty()) throw_bad_name(file_name, "has no description after '__'");
  std::string description(text);
  std::replace(description.begin(), description.end(), '_', ' ');
  return description;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Applies one `key[=value]` option to `options`.
void apply_option(std::string_view file_name, int line, std::string_view option,
                  MigrationOptions& options) {
  const auto equals = option.find('=');
  const std::string_view key = trim(option.substr(0, equals));
  const auto where = fmt::format("{}:{}", file_name, line);
  if (key == "no-transaction") {
    if (equals != std::string_view::npos) {
      throw_bad_input(fmt::format("{}: option 'no-transaction' takes no value", where),
                      "write the line as: -- cutover: no-transaction");
    }
    options.no_transaction = true;
    return;
  }
  throw_bad_input(
      key.empty() ? fmt::format("{}: '-- cutover:' line names no option", where)
                  : fmt::format("{}: unknown option '{}' in '-- cutover:' line", where, key),
      "the known option is no-transaction (-- cutover: no-transaction); write other comments "
      "without the 'cutover:' prefix");
}

}  // namespace

bool ends_with_sql(std::string_view name) {
  if (name.size() < 4) return false;
  std::string suffix(name.substr(name.size() - 4));
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return suffix == ".sql";
}

void apply_flyway_script_config(std::string_view source, const std::vector<ConfigSetting>& settings,
                                MigrationOptions& options) {
  ScriptConfig config;
  apply_script_config(source, settings, config);
  if (config.execute_in_transaction == false) options.no_transaction = true;
  for (const auto& key : config.ignored_keys) {
    options.warnings.push_back(fmt::format(
        "{}: Flyway script setting '{}' is ignored (cutover honours executeInTransaction only)",
        source, key));
  }
}

std::optional<MigrationFileName> parse_migration_file_name(std::string_view file_name) {
  if (!ends_with_sql(file_name)) return std::nullopt;
  const std::string_view stem = file_name.substr(0, file_name.size() - 4);
  const auto separator = stem.find("__");
  if (separator == std::string_view::npos) {
    throw_bad_name(file_name, "has no '__' between version and description");
  }
  const std::string_view prefix = stem.substr(0, separator);
  const std::string_view description = stem.substr(separator + 2);
  if (prefix == "R") {
    return MigrationFileName{MigrationKind::kRepeatable, std::nullopt,
                             description_of(file_name, description)};
  }
  if (prefix.size() > 1 && prefix.starts_with('U') && prefix[1] >= '0' && prefix[1] <= '9') {
    // The hint for other names would invite renaming it into a migration.
    throw_bad_input(
        fmt::format("migration file '{}' is a Flyway undo migration: cutover does not run undo "
                    "migrations",
                    file_name),
        "move the U files out of the migrations folder; to reverse a change, roll forward with "
        "a new V file that undoes it");
  }
  if (!prefix.starts_with('V')) {
    throw_bad_name(file_name, "starts with neither 'V<version>__' nor 'R__'");
  }
  if (prefix.size() == 1) throw_bad_name(file_name, "has no version after 'V'");
  std::optional<Version> version;
  try {
    version = Version::parse(prefix.substr(1));
  } catch (const Error& e) {
    throw_bad_input(fmt::format("migration file '{}': {}", file_name, e.message()), e.hint());
  }
  return MigrationFileName{MigrationKind::kVersioned, std::move(version),
                           description_of(file_name, description)};
}

MigrationOptions parse_migration_options(std::string_view file_name, std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  MigrationOptions options;
  for (int line = 1; !text.empty(); ++line) {
    const auto end = text.find('\n');
    const std::string_view content = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (content.empty()) continue;
    if (!content.starts_with("--")) break;  // the header ends at the first statement line
    const std::string_view comment = trim(content.substr(2));
    constexpr std::string_view kMarker = "cutover:";
    constexpr std::string_view kFlywayMarker = "flyway:";
    if (comment.starts_with(kMarker)) {
      apply_option(file_name, line, comment.substr(kMarker.size()), options);
    } else if (comment.starts_with(kFlywayMarker)) {
      std::vector<ConfigSetting> settings = parse_properties(comment.substr(kFlywayMarker.size()));
      for (auto& setting : settings) setting.line = line;
      apply_flyway_script_config(file_name, settings, options);
    }
  }
  return options;
}

}  // namespace cutover::migrate
