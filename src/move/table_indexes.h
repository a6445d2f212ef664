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

  // The listing lines of `table`'s own entries (quoted schema.table as tables_to_copy() names
  // it), each for a pg_restore --use-list of its own.
  std::vector<std::string> entries_of(const std::string& table) const;
  // The whole listing without the `built` entries (their ids, as entry_id() gives them).
  std::string listing_without(const std::set<std::string>& built) const;

  // The id of the entry a listing line names ("3217" of "3217; 1259 19528 INDEX ...").
  static std::string entry_id(const std::string& line);

 private:
  std::vector<std::string> lines_;
  std::map<std::size_t, std::string> table_of_line_;  // index in lines_ -> its table
};

}  // namespace cutover::move
