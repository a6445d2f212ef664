// Each table's own indexes built as soon as its copy ends, by the worker that copied it, while
// the other workers copy on (pgcopydb's way): the entries of the schema dump's post-data
// section that need nothing but that table's rows, its indexes and its primary key, unique and
// exclusion constraints. The rest of post-data (foreign keys, triggers, partitioned parents'
// indexes and their attachments, ...) follows once every table is copied, without them.
//
// A primary key or unique constraint is built as pgcopydb builds it: CREATE UNIQUE INDEX as
// the server writes it (pg_get_indexdef), which only share-locks the table, so that the
// table's read-back runs beside it; then ALTER TABLE ... USING INDEX makes it the constraint,
// which takes a moment. Keys PostgreSQL cannot make from an index (expressions, predicates,
// non-default ordering, deferrable, ...) stay pg_restore's.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

// A key constraint built from a unique index: the index first, the constraint after.
struct KeyFromIndex {
  std::string create_index;    // CREATE UNIQUE INDEX name ON schema.table ...
  std::string add_constraint;  // ALTER TABLE ONLY ... ADD CONSTRAINT ... USING INDEX name
};

class TableIndexPlan {
 public:
  // `listing`: the dump's table of contents as `pg_restore -l` writes it. `source`: a session
  // on the database that was dumped, whose catalog says which table each entry belongs to.
  TableIndexPlan(const std::string& listing, db::Connection& source);

  // The listing of `table`'s own entries (quoted schema.table as tables_to_copy() names it),
  // for pg_restore --use-list, without its keys_from_index(); empty when it has none.
  std::string listing_of(const std::string& table) const;
  // `table`'s key constraints that are built from a unique index.
  std::vector<KeyFromIndex> keys_from_index(const std::string& table) const;
  // The COMMENT statements of `table`'s own entries and their indexes, as the source has them:
  // pg_restore restores a comment only with its object, so the build of the rest of post-data
  // (which holds the comments) skips those of entries built before.
  std::vector<std::string> comments_of(const std::string& table) const;
  // The whole listing without the entries of the `built` tables.
  std::string listing_without(const std::set<std::string>& built) const;

 private:
  std::vector<std::string> lines_;
  std::map<std::size_t, std::string> table_of_line_;  // index in lines_ -> its table
  std::map<std::size_t, KeyFromIndex> key_of_line_;   // the lines built from an index
  std::map<std::string, std::vector<std::string>> comments_;  // by table
};

}  // namespace cutover::move
