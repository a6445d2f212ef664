// What every step of a move works with: its record, its servers, its folder, its output.
#include "move/move_step.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "core/child_process.h"
#include "core/error.h"
#include "move/database_address.h"

namespace cutover::move {

MoveStepRun::MoveStepRun(MoveStore& store, MoveRecord record, db::ConnectOptions connect,
                         Output& output, StepOptions options)
    : store_(store),
      record_(std::move(record)),
      connect_(std::move(connect)),
      output_(output),
      options_(options),
      folder_(store.work_folder(record_.id)) {}

std::string MoveStepRun::source_url(const DatabaseMapping& d) const {
  return url_with_database(d.source, d.source_name());
}
std::string MoveStepRun::target_url(const std::string& name) const {
  return url_with_database(record_.plan.target, name);
}
std::unique_ptr<db::Connection> MoveStepRun::source(const DatabaseMapping& d) {
  return db::connect(source_url(d), connect_);
}
std::unique_ptr<db::Connection> MoveStepRun::target_server() {
  return db::connect(record_.plan.target.text, connect_);
}
std::unique_ptr<db::Connection> MoveStepRun::target(const std::string& name) {
  return db::connect(target_url(name), connect_);
}
PgToolDatabase MoveStepRun::source_tool(const DatabaseMapping& d) const {
  return pg_tool_database(d.source, d.source_name(), connect_);
}
PgToolDatabase MoveStepRun::target_tool(const std::string& name) const {
  return pg_tool_database(record_.plan.target, name, connect_);
}
std::string MoveStepRun::schema_file(const std::string& target_name) const {
  return folder_ + "/" + target_name + ".schema.dump";
}

void MoveStepRun::say(const std::string& kind, const std::string& line, nlohmann::json fields) {
  if (output_.json()) {
    nlohmann::json event = {{"event", kind}, {"move", record_.id}};
    if (!line.empty()) event["message"] = line;
    if (fields.is_object()) event.update(fields);
    output_.event(event);
  } else {
    output_.out() << line << "\n";
    output_.out().flush();
  }
}

void MoveStepRun::log(const std::string& kind, const std::string& what, nlohmann::json fields) {
  store_.log(record_.id, what);
  say(kind, what, std::move(fields));
}

void run_hooks(MoveStepRun& run, const std::vector<std::string>& commands,
               const std::string& what) {
  for (const auto& command : commands) {
    ChildOptions options;
    options.show_output = true;
    run.say("hook", fmt::format("running the {} command: {}", what, command),
            {{"hook", what}, {"command", command}});
    auto result = run_shell(command, options);
    if (!result.succeeded()) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the {} command failed ({}): {}", what, result.describe(), command),
                  "fix its cause and run the same cutover command again (hooks must be safe to "
                  "run twice)");
    }
    run.log("hook", fmt::format("{} command done: {}", what, command),
            {{"hook", what}, {"command", command}});
  }
}

std::string freeze_by_hooks(MoveStepRun& run) {
  if (auto done = run.store().fact(run.id(), "hook-freeze"); done && done->is_string()) {
    return done->get<std::string>();
  }
  run.store().set_fact(run.id(), "hook-freeze", true);
  for (const auto& command : run.record().plan.freeze_commands) {
    ChildOptions options;
    options.show_output = true;
    auto result = run_shell(command, options);
    if (!result.succeeded()) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the freeze command failed ({}): {}", result.describe(), command),
                  "fix it and run cutover move data again, or cutover move abort");
    }
    run.log("freeze", "freeze command ran: " + command, {{"command", command}});
  }
  std::string done_at = utc_now();
  run.store().set_fact(run.id(), "hook-freeze", done_at);
  return done_at;
}

void unfreeze_by_hooks(MoveStepRun& run) {
  if (!run.store().fact(run.id(), "hook-freeze")) return;
  run_hooks(run, run.record().plan.unfreeze_commands, "unfreeze");
  run.store().erase_facts(run.id(), "hook-freeze");
}

void require_step(const MoveRecord& record, MoveStep step, const std::string& when) {
  if (record.step == step) return;
  std::string next = next_command(record);
  throw Error(ErrorCode::kBadInput,
              fmt::format("move {} is at step {}: {}", record.id, step_name(record.step), when),
              next.empty() ? "the move has ended" : "the next step is: " + next);
}

std::string next_command(const MoveRecord& record) {
  switch (record.step) {
    case MoveStep::kCreated:
      return fmt::format("cutover move prepare {}", record.id);
    case MoveStep::kPrepared:
      return fmt::format("cutover move data {}", record.id);
    case MoveStep::kCopied:
      return fmt::format("cutover move finalize {}", record.id);
    case MoveStep::kFinalized:
      return fmt::format("cutover move cleanup {}", record.id);
    case MoveStep::kAborted:
    case MoveStep::kCleaned:
      break;
  }
  return {};
}

}  // namespace cutover::move
