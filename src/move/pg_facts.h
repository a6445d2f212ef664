// What a move's preflight needs to know about a PostgreSQL source database and the target
// server, read from their catalogs.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

// The namespaces that hold the user's objects, as a condition on `n` (pg_namespace) for the
// move's catalog queries.
inline constexpr const char* kUserNamespace =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'";

// What one source database uses and holds.
struct SourceFacts {
  int version_number = 0;
  std::string version;
  std::int64_t size_bytes = 0;                  // pg_database_size
  std::vector<std::string> unreadable;          // schema.table the session cannot SELECT from
  std::vector<std::string> extensions;          // pg_extension
  std::vector<std::string> collations;          // pg_catalog collations its columns, indexes,
                                                // domains use ("default" aside)
  std::vector<std::string> locales;             // the database's LC_COLLATE and LC_CTYPE
  std::vector<std::string> owners;              // of its objects (--owner replaces them)
  std::vector<std::string> named_roles;         // roles_the_schema_names()
  std::vector<std::string> tables_without_key;  // schema.table with no primary or usable unique key
};

// The roles that restoring the source database's schema names whatever the owner: grantees of
// its privileges, its policies' roles, its default privileges' roles. Read on the source.
std::vector<std::string> roles_the_schema_names(db::Connection& source);

// How many large objects (lo_*) the source database holds: a move does not copy them.
std::int64_t large_object_count(db::Connection& source);

// What the target server offers.
struct TargetFacts {
  int version_number = 0;
  std::string version;
  bool can_create_databases = false;           // superuser or CREATEDB
  std::set<std::string> available_extensions;  // pg_available_extensions
  std::set<std::string> collations;            // names in pg_catalog
  std::set<std::string> locales;               // collcollate of pg_collation, datcollate/datctype
  std::set<std::string> roles;
};

// Read on a connection to the source database. Throws Error as the queries do.
SourceFacts read_source_facts(db::Connection& source);
// Read on a connection to the target server (any of its databases).
TargetFacts read_target_facts(db::Connection& target);

// Whether database `name` exists on the target server (`target` connected to any database).
bool target_database_exists(db::Connection& target, const std::string& name);
// The user objects of a database (`database` connected to it): tables, views, sequences,
// functions, types, schemas other than public, extensions other than plpgsql, as
// "kind schema.name"; at most `limit` of them, and their total count.
struct DatabaseContents {
  std::int64_t count = 0;
  std::vector<std::string> sample;
};
DatabaseContents read_database_contents(db::Connection& database, int limit = 5);

}  // namespace cutover::move
