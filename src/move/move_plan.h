// A move's plan: the target server, the source databases and their names on the target, and
// the step the move has reached.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/connection_url.h"

namespace cutover::move {

// The steps of a move, in order; aborted and cleaned end it.
enum class MoveStep { kCreated, kPrepared, kCopied, kFinalized, kAborted, kCleaned };

const char* step_name(MoveStep step);
// The step named `name`. Throws Error(kOperationFailed) for an unknown name (a state store
// written by a newer cutover).
MoveStep parse_step(std::string_view name);
// Whether a move at `step` still holds its databases: every step but aborted and cleaned.
bool holds_databases(MoveStep step);

// One source database and the name it gets on the target.
struct DatabaseMapping {
  ConnectionUrl source;     // as given; may hold a password, so never stored as is
  std::string target_name;  // the source's own name unless renamed
  const std::string& source_name() const { return source.database; }
};

// Parses one --database argument: SRC_URL or SRC_URL=NEW_NAME. The URL must name a database:
// PostgreSQL or MariaDB, or a SQLite file (made absolute; its new name is a file name in the
// target directory, its own by default). An '=' belongs to the URL when it ends one of its options
// (?sslmode=require, keyword form dbname=shop); "postgres://h/shop?sslmode=require=shop2" renames.
// Throws Error(kBadInput) naming the argument (redacted) and the accepted form.
DatabaseMapping parse_mapping(std::string_view argument);

// How `move data` stops writes on the sources.
enum class FreezeMode {
  kPrivileges,  // PostgreSQL: revoke every write privilege, recorded so abort restores them
  kHook,        // run the user's freeze commands (a feature toggle); abort runs the unfreeze ones
  kReadOnly,    // MariaDB: SET GLOBAL read_only = ON on each source server; abort sets it back
  kTriggers,    // SQLite: a trigger on every table that refuses each write; abort drops them
  kProxy,       // PostgreSQL behind `cutover proxy`: its read-only mode; abort sets read-write
};

// "privileges", "hook", "read_only", "triggers", "proxy"; parse_freeze_mode() reads them back and throws
// Error(kBadInput) naming the accepted names for another.
const char* freeze_mode_name(FreezeMode mode);
FreezeMode parse_freeze_mode(std::string_view name);

struct MovePlan {
  ConnectionUrl target;  // the target server (its database is where cutover connects), or
                         // for SQLite the directory the files go to (absolute)
  // The kind of every server of the move (the target's scheme: create refuses a mix).
  Scheme engine() const { return target.scheme; }
  std::vector<DatabaseMapping> databases;
  std::optional<std::string> owner;  // --owner: the role that owns everything on the target
  FreezeMode freeze = FreezeMode::kPrivileges;
  std::vector<std::string> freeze_commands;    // --freeze-command, run by data (kHook)
  std::vector<std::string> unfreeze_commands;  // --unfreeze-command, run by abort (kHook)
  std::vector<std::string> allow_unfrozen;     // --allow-unfrozen: superusers a freeze cannot stop
  std::vector<std::string> switch_commands;    // --switch-command, run by finalize
  std::vector<std::string> switch_back_commands;  // --switch-back-command, run by abort after it
  // --proxy: the admin addresses (HOST:PORT) of the `cutover proxy` replicas in front of the
  // sources (one per application instance with sidecars), and --proxy-backend: their backend
  // that is the target server. Finalize switches their sessions to that backend; abort after it
  // switches them back. Empty without a proxy.
  std::vector<std::string> proxy_admins;
  std::string proxy_backend;

  // The plan as stored and shown: every URL without its password (url_without_password).
  nlohmann::json to_json() const;
  // Reads what to_json() wrote. Throws Error(kOperationFailed) on a malformed plan.
  static MovePlan from_json(const nlohmann::json& json);

  // "host:port/db" keys of the source databases and of the target databases.
  std::vector<std::string> source_keys() const;
  std::vector<std::string> target_keys() const;
  // "host:port/" of each source server a read_only freeze stops as a whole; empty for the
  // other freezes.
  std::vector<std::string> frozen_servers() const;
};

// Target names given more than once, and source databases given more than once, each as one
// sentence naming them; empty when every mapping is distinct.
std::vector<std::string> duplicate_mappings(const std::vector<DatabaseMapping>& databases);

}  // namespace cutover::move
