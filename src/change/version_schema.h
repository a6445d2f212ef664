// The new version's schema (PostgreSQL): one simple view per table, in the new shape. Simple
// views over one table are updatable, so the new version reads and writes through them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "change/change_context.h"
#include "change/step.h"
#include "change/version_shape.h"
#include "db/connection.h"

namespace cutover::change {

// The SELECT of the new version's view of `table`: its columns, renamed where the version names
// them otherwise (MariaDB's version database uses it too).
std::string view_select(const ChangeContext& context, const VersionTable& table);

// Each partition in `schema` and its partitioned table, by name, where that is in `schema` too.
std::map<std::string, std::string> read_partition_parents(db::Connection& connection,
                                                          const std::string& schema);

// Drops and creates the schema `context.change` with a view per table of `shape`.
std::vector<Step> create_version_schema(const ChangeContext& context, const VersionShape& shape);
// DROP SCHEMA IF EXISTS ... CASCADE: only views live there.
std::vector<Step> drop_version_schema(const ChangeContext& context);

}  // namespace cutover::change
