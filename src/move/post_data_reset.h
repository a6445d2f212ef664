// Undoing a post-data restore that stopped midway, so that it can run again from the start.
// pg_restore --clean cannot: it drops objects one by one, and a partition's index or
// constraint belongs to its parent's, which must be dropped instead.
#pragma once

#include "db/connection.h"

namespace cutover::move {

// Drops, on a connection to a target database, what the post-data section of a schema-only
// dump creates: event triggers, publications' tables, policies and row security, triggers,
// rules other than views', foreign keys, primary keys, unique and exclusion constraints,
// NOT VALID checks, indexes and extended statistics; partitions' ones through their parents'.
// Leaves what pre-data created (tables, their NOT NULL and checks, views, domains) and what
// belongs to an extension. Returns how many objects it dropped.
int drop_post_data(db::Connection& target);

}  // namespace cutover::move
