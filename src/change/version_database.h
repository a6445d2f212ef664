// The new version's database (MariaDB): MariaDB has no schemas inside a database, so the new
// version's view of the schema is a database named after the change, holding one updatable
// view per table of the base database (and one per view of it), in the new shape. The new
// version connects to it instead of the base database and sets @cutover_version to the
// change's name (docs/change.md, "MariaDB").
#pragma once

#include <string>
#include <vector>

#include "change/change_context.h"
#include "change/step.h"
#include "change/version_shape.h"
#include "db/connection.h"

namespace cutover::change {

// The accounts with privileges on the base database as a whole, and which of the privileges
// that views need (SELECT, INSERT, UPDATE, DELETE): the version database gets the same, so
// that the application's account can use it.
struct DatabaseGrant {
  std::string grantee;  // as MariaDB prints it: 'app'@'%'
  std::vector<std::string> privileges;
};
std::vector<DatabaseGrant> read_database_grants(db::Connection& connection,
                                                const std::string& database);

// CREATE DATABASE IF NOT EXISTS, then CREATE OR REPLACE VIEW for each table of `shape` and
// each view of the base database, then the grants: safe to run again, and never a moment
// without a view for a client already using the database.
std::vector<Step> create_version_database(const ChangeContext& context, const VersionShape& shape,
                                          const std::vector<DatabaseGrant>& grants);
// DROP DATABASE IF EXISTS: only views live there.
std::vector<Step> drop_version_database(const ChangeContext& context);

}  // namespace cutover::change
