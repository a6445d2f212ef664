// A moved database on the target server: created with the source's encoding, locale, settings
// and owner; closed to everyone but the move until finalize grants the source's access to it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

// What a source database carries outside its schema (pg_dump leaves it out without --create).
struct DatabaseProperties {
  std::string encoding;
  std::string collate;
  std::string ctype;
  std::string icu_locale;  // empty unless the locale provider is ICU
  std::string owner;       // unquoted
  std::vector<std::string>
      access_grants;                  // "CONNECT TO app", "TEMPORARY TO PUBLIC WITH GRANT OPTION"
  std::vector<std::string> settings;  // "SET work_mem = '64MB'" (ALTER DATABASE x ...)
  std::vector<std::string>
      role_settings;  // "app|SET search_path = 'a', 'b'" (ALTER ROLE app IN DATABASE x ...)

  nlohmann::json to_json() const;
  // Throws Error(kOperationFailed) when `json` is malformed.
  static DatabaseProperties from_json(const nlohmann::json& json);
};

// Read on a connection to the source database.
DatabaseProperties read_database_properties(db::Connection& source);

// Creates database `name` on the target server (`server` connected to another of its
// databases) from template0 with the source's encoding and locale, owned by `owner` or the
// source's owner, with the source's settings, and closed to PUBLIC (CONNECT and TEMPORARY
// revoked) so that no application writes there before finalize. Throws Error as CREATE does.
void create_target_database(db::Connection& server, const std::string& name,
                            const DatabaseProperties& source,
                            const std::optional<std::string>& owner);

// Grants on database `name` the access the source database gives (finalize).
void open_target_database(db::Connection& server, const std::string& name,
                          const DatabaseProperties& source);

// Ends every session on database `name` and drops it; nothing when it does not exist.
void drop_database(db::Connection& server, const std::string& name);

// Ends the sessions on the database `database` is connected to that an earlier cutover
// process left (those named `application_name`, other than this one): a step killed with
// kill -9 leaves what it had sent running on the server, and a CREATE INDEX there runs to its
// end and commits, after the next run has undone the build. Waits until they are gone (up to
// 10 s, then throws Error naming them); returns how many there were. Run under the move's step
// lock, which no other cutover process of the move holds.
int end_orphaned_sessions(db::Connection& database, const std::string& application_name);

// Empties a database that existed (empty) before the move: drops every schema but public with
// what is in it, then what is in public. Run on a connection to that database.
void empty_database(db::Connection& database);

}  // namespace cutover::move
