// Flyway's SQL callbacks: `<event>.sql` and `<event>__<description>.sql` files found with the
// migrations, run on the migration's connection when their event happens.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/output.h"
#include "db/connection.h"
#include "migrate/migration_source.h"
#include "migrate/placeholders.h"
#include "migrate/prepared_script.h"

namespace cutover::migrate {

// Whether `id` is one of Flyway's callback events (its Event enum: "beforeMigrate",
// "afterEachMigrate", "beforeClean", ...), whether or not cutover fires it.
bool is_flyway_event(std::string_view id);

// Whether cutover fires event `id`: the migrate events (beforeMigrate, beforeEachMigrate,
// afterEachMigrate, afterEachMigrateError, afterVersioned, beforeRepeatables,
// afterMigrateApplied, afterMigrate, afterMigrateError) and before<X>, after<X> and
// after<X>Error for validate, info, baseline and repair. Clean, undo, the per-statement events
// (Flyway Teams), createSchema, beforeConnect and the *OperationFinish events are not.
bool is_supported_event(std::string_view id);

// Whether a file name (no folder) is a callback, as Flyway tells them from migrations: the name
// without `.sql` (in any case), cut at the first `__`, is an event id.
bool is_callback_file_name(std::string_view file_name);

struct CallbackScript {
  std::string event;        // "afterMigrate"
  std::string description;  // what follows `__` ("last_updated"), empty for `<event>.sql`
  MigrationScript script;   // file_name: the path below the migrations folder; raw text
};

// Every callback under `folder` (subfolders included, as migrations), in the order Flyway runs
// the callbacks of one event: `<event>.sql` first, then by description. Throws Error(kBadInput)
// naming both paths when two files have the same name (Flyway refuses that too), and for an
// unreadable file or one that is not UTF-8.
std::vector<CallbackScript> load_callbacks(const std::filesystem::path& folder,
                                           const Placeholders& placeholders);

// Runs the callbacks of an event on one connection, with the placeholders the migrations get
// (`${flyway:filename}` is the callback's own name). A callback runs in one transaction where
// the database allows (PostgreSQL, SQLite; statements that cannot run in one run alone), in a
// transaction of its own: the event's, not a migration's.
class CallbackRunner {
 public:
  // Prepares every callback of a supported event whose placeholders all have values, so that
  // a syntax error (PostgreSQL) is found before anything runs: throws Error(kBadInput) naming
  // the file. Borrows `connection` and `output`.
  CallbackRunner(std::vector<CallbackScript> callbacks, db::Connection& connection,
                 const Placeholders& placeholders, Output& output);
  CallbackRunner(const CallbackRunner&) = delete;
  CallbackRunner& operator=(const CallbackRunner&) = delete;

  // Warns once per file about callbacks of events cutover never fires, naming them.
  void warn_unsupported() const;
  // The placeholders without a value in callbacks of supported events.
  std::vector<MissingPlaceholder> missing_placeholders() const;

  // Whether a callback of `event` would run.
  bool has(std::string_view event) const;
  // Runs every callback of `event`, in order. Throws Error(kOperationFailed) naming the
  // callback, statement and line when one fails (SQLSTATE, vendor code and failure kind kept);
  // the callbacks after it do not run.
  void run(std::string_view event);
  // Runs the callbacks of an error event (after<X>Error) while another error is on its way:
  // a failure of theirs is warned about, not thrown, so that the first error is the one
  // reported.
  void run_after_error(std::string_view event) noexcept;

 private:
  struct Prepared {
    const CallbackScript* callback;
    PreparedScript script;
  };
  void execute(const Prepared& prepared);

  std::vector<CallbackScript> callbacks_;
  std::vector<Prepared> prepared_;
  db::Connection& connection_;
  Output& output_;
};

// Flyway's frame around a command: the constructor runs before<Command>; done()
// runs after<Command>; leaving the scope without done() (an exception) runs after<Command>Error.
// When before<Command> fails, after<Command>Error runs and the constructor throws.
class CallbackFrame {
 public:
  CallbackFrame(CallbackRunner& runner, std::string command);
  ~CallbackFrame();
  CallbackFrame(const CallbackFrame&) = delete;
  CallbackFrame& operator=(const CallbackFrame&) = delete;
  void done();

 private:
  CallbackRunner& runner_;
  std::string command_;
  bool done_ = false;
};

}  // namespace cutover::migrate
