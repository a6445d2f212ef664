// Each table's own indexes built as soon as its copy ends, by the worker that copied it, while
// the other workers copy on (pgcopydb's way): the entries of the schema dump's post-data
// section that need nothing but that table's rows, its indexes and its primary key, unique and
// exclusion constraints. The rest of post-data (foreign keys, triggers, partitioned parents'
// indexes and their attachments, ...) follows once every table is copied, without them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

class TableIndexPlan {
 public:
  // `listing`: the dump's table of contents as `pg_restore -l` writes it. `source`: a session
  // on the database that was dumped, whose catalog says which table each entry belongs to.
  TableIndexPlan(const std::string& listing, db::Connection& source);

  // The listing of `table`'s own entries (quoted schema.table as tables_to_copy() names it),
  // for pg_restore --use-list; empty when it has none.
  std::string listing_of(const std::string& table) const;
  // The whole listing without the entries of the `built` tables.
  std::string listing_without(const std::set<std::string>& built) const;

 private:
  std::vector<std::string> lines_;
  std::map<std::size_t, std::string> table_of_line_;  // index in lines_ -> its table
};

}  // namespace cutover::move
