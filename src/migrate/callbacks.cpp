// Flyway's SQL callbacks: discovery in the migration folders and dispatch by event.
#include "migrate/callbacks.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "core/interrupt.h"
#include "db/cancel_on_interrupt.h"
#include "migrate/migration_file.h"

namespace cutover::migrate {
namespace {

// Flyway's Event enum, in its order (flyway-core api/callback/Event.java).
constexpr std::array<std::string_view, 40> kFlywayEvents = {
    "beforeClean",
    "afterClean",
    "afterCleanError",
    "beforeMigrate",
    "beforeEachMigrate",
    "beforeEachMigrateStatement",
    "afterEachMigrateStatement",
    "afterEachMigrateStatementError",
    "afterEachMigrate",
    "afterEachMigrateError",
    "beforeRepeatables",
    "afterVersioned",
    "afterMigrateApplied",
    "afterMigrate",
    "afterMigrateError",
    "beforeUndo",
    "beforeEachUndo",
    "beforeEachUndoStatement",
    "afterEachUndoStatement",
    "afterEachUndoStatementError",
    "afterEachUndo",
    "afterEachUndoError",
    "afterUndo",
    "afterUndoError",
    "beforeValidate",
    "afterValidate",
    "afterValidateError",
    "beforeBaseline",
    "afterBaseline",
    "afterBaselineError",
    "beforeRepair",
    "afterRepair",
    "afterRepairError",
    "beforeInfo",
    "afterInfo",
    "afterInfoError",
    "afterMigrateOperationFinish",
    "afterInfoOperationFinish",
    "createSchema",
    "beforeConnect",
};

constexpr std::array<std::string_view, 21> kSupportedEvents = {
    "beforeMigrate",     "beforeEachMigrate", "afterEachMigrate",    "afterEachMigrateError",
    "beforeRepeatables", "afterVersioned",    "afterMigrateApplied", "afterMigrate",
    "afterMigrateError", "beforeValidate",    "afterValidate",       "afterValidateError",
    "beforeBaseline",    "afterBaseline",     "afterBaselineError",  "beforeRepair",
    "afterRepair",       "afterRepairError",  "beforeInfo",          "afterInfo",
    "afterInfoError",
};

// The event and description of a callback file name, or nothing for another file.
std::optional<std::pair<std::string, std::string>> split_callback_name(std::string_view name) {
  if (!ends_with_sql(name)) return std::nullopt;
  const std::string_view stem = name.substr(0, name.size() - 4);
  const auto separator = stem.find("__");
  const std::string_view event = stem.substr(0, separator);
  if (!is_flyway_event(event)) return std::nullopt;
  std::string description;
  if (separator != std::string_view::npos) description = stem.substr(separator + 2);
  return std::make_pair(std::string(event), std::move(description));
}

bool has_transactional_ddl(db::Flavor flavor) {
  return flavor == db::Flavor::kPostgres || flavor == db::Flavor::kSqlite;
}

}  // namespace

bool is_flyway_event(std::string_view id) {
  return std::find(kFlywayEvents.begin(), kFlywayEvents.end(), id) != kFlywayEvents.end();
}

bool is_supported_event(std::string_view id) {
  return std::find(kSupportedEvents.begin(), kSupportedEvents.end(), id) != kSupportedEvents.end();
}

bool is_callback_file_name(std::string_view file_name) {
  return split_callback_name(file_name).has_value();
}

std::vector<CallbackScript> load_callbacks(const std::filesystem::path& folder,
                                           const Placeholders& placeholders) {
  std::vector<CallbackScript> callbacks;
  std::map<std::string, std::filesystem::path> by_name;
  for (const auto& path : files_in_migration_folder(folder)) {
    const std::string base_name = path.filename().string();
    auto parts = split_callback_name(base_name);
    if (!parts) continue;
    if (auto [it, added] = by_name.emplace(base_name, path); !added) {
      const auto [first, second] = std::minmax(it->second, path);
      throw_bad_input(fmt::format("found more than one SQL callback called {}: {} and {}",
                                  base_name, first.string(), second.string()),
                      "Flyway refuses this too: rename or remove one of them");
    }
    const std::string file_name = path.lexically_relative(folder).generic_string();
    SharedText text = read_script_file(path, file_name);
    MigrationScript script{
        .kind = MigrationKind::kRepeatable,
        .version = std::nullopt,
        .description = parts->second,
        .file_name = file_name,
        .path = path,
        .text = {},
        .checksum = 0,
        .options = parse_migration_options(file_name, text.view()),
        .missing_placeholders = find_missing_placeholders(text.view(), placeholders, file_name)};
    script.text = std::move(text);
    callbacks.push_back({std::move(parts->first), std::move(parts->second), std::move(script)});
  }
  // Flyway's SqlScriptCallback order within an event: no description first, then by description.
  std::sort(callbacks.begin(), callbacks.end(), [](const auto& a, const auto& b) {
    return std::tie(a.event, a.description) < std::tie(b.event, b.description);
  });
  return callbacks;
}

CallbackRunner::CallbackRunner(std::vector<CallbackScript> callbacks, db::Connection& connection,
                               const Placeholders& placeholders, Output& output)
    : callbacks_(std::move(callbacks)), connection_(connection), output_(output) {
  for (const auto& callback : callbacks_) {
    if (!is_supported_event(callback.event) || !callback.script.missing_placeholders.empty()) {
      continue;
    }
    prepared_.push_back(
        {&callback, prepare_script(callback.script, connection.server(), placeholders)});
  }
}

void CallbackRunner::warn_unsupported() const {
  for (const auto& callback : callbacks_) {
    if (is_supported_event(callback.event)) continue;
    output_.warn(fmt::format("{}: cutover never runs Flyway's {} callbacks; this file is ignored",
                             callback.script.file_name, callback.event));
  }
}

std::vector<MissingPlaceholder> CallbackRunner::missing_placeholders() const {
  std::vector<MissingPlaceholder> missing;
  for (const auto& callback : callbacks_) {
    if (!is_supported_event(callback.event)) continue;
    const auto& own = callback.script.missing_placeholders;
    missing.insert(missing.end(), own.begin(), own.end());
  }
  return missing;
}

bool CallbackRunner::has(std::string_view event) const {
  return std::any_of(prepared_.begin(), prepared_.end(),
                     [&](const Prepared& prepared) { return prepared.callback->event == event; });
}

void CallbackRunner::run(std::string_view event) {
  for (const auto& prepared : prepared_) {
    if (prepared.callback->event != event) continue;
    const std::string& description = prepared.callback->description;
    if (output_.json()) {
      output_.event({{"event", "callback"},
                     {"callback", std::string(event)},
                     {"script", prepared.script.script.file_name}});
    } else {
      output_.info(fmt::format("running SQL callback {}{} ({})", event,
                               description.empty() ? "" : " - " + description,
                               prepared.script.script.file_name));
    }
    execute(prepared);
  }
}

void CallbackRunner::run_after_error(std::string_view event) noexcept {
  try {
    run(event);
  } catch (const std::exception& e) {
    try {
      output_.warn(fmt::format("the {} callback failed too: {}", event, e.what()));
    } catch (...) {
    }
  }
}

void CallbackRunner::execute(const Prepared& prepared) {
  const PreparedScript& script = prepared.script;
  const bool transactions = has_transactional_ddl(connection_.server().flavor);
  // after<X>Error callbacks run while an error, an interruption among them, is on its way.
  const bool stoppable = !prepared.callback->event.ends_with("Error");
  int index = 0;
  try {
    for (const ScriptStep& step : script.steps) {
      const bool in_transaction = transactions && step.in_transaction;
      if (in_transaction) connection_.begin();
      try {
        for (index = step.first; index < step.end; ++index) {
          // SIGTERM/SIGINT cancel the statement, as they cancel a migration's.
          std::optional<db::CancelOnInterrupt> cancel;
          if (stoppable) {
            if (interrupted())
              throw Error(ErrorCode::kOperationFailed, "interrupted before it ran");
            cancel.emplace(connection_);
          }
          connection_.execute(script.statement(index).text);
        }
        if (in_transaction) connection_.commit();
      } catch (...) {
        if (in_transaction) connection_.rollback();
        throw;
      }
    }
  } catch (const Error& e) {
    if (stoppable && interrupted()) {
      throw_interrupted(fmt::format("while SQL callback {} ran, at {}", script.script.file_name,
                                    script.where(index)),
                        transactions && script.atomic()
                            ? "its transaction was rolled back; run migrate again"
                            : "it ran in steps: check what it changed, then run "
                              "migrate again");
    }
    Error error(ErrorCode::kOperationFailed,
                fmt::format("SQL callback {} failed at {}: {}", script.script.file_name,
                            script.where(index), e.message()),
                fmt::format("fix the callback; it ran in {}",
                            transactions && script.atomic() ? "one transaction, rolled back"
                                                            : "steps: check what it changed"));
    error.with_sqlstate(e.sqlstate())
        .with_vendor_code(e.vendor_code())
        .with_db_failure(e.db_failure());
    throw error;
  }
}

CallbackFrame::CallbackFrame(CallbackRunner& runner, std::string command)
    : runner_(runner), command_(std::move(command)) {
  try {
    runner_.run("before" + command_);
  } catch (...) {
    runner_.run_after_error("after" + command_ + "Error");
    throw;
  }
}

CallbackFrame::~CallbackFrame() {
  if (!done_) runner_.run_after_error("after" + command_ + "Error");
}

void CallbackFrame::done() {
  done_ = true;  // a failing after<Command> is the command's error, not followed by another
  runner_.run("after" + command_);
}

}  // namespace cutover::migrate
