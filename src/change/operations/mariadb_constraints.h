// Constraints added online on MariaDB, where ALTER TABLE checks a new foreign key or check
// against every row by copying the table under a lock that stops the application's writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "change/change_context.h"
#include "change/step.h"

namespace cutover::change {

struct MariaDbForeignKey {
  std::string table;
  std::string name;
  std::vector<std::string> columns;
  std::string ref_table;
  std::vector<std::string> ref_columns;
  std::optional<std::string> on_delete;
  std::optional<std::string> on_update;
};

// ADD CONSTRAINT ... FOREIGN KEY IF NOT EXISTS with foreign_key_checks off for that statement
// (ALGORITHM=INPLACE, LOCK=NONE: the rows that exist are not checked then; every write is from
// then on).
Step add_mariadb_foreign_key(const ChangeContext& context, const MariaDbForeignKey& key);
// A block that fails with SQLSTATE 23000 naming the key when a row breaks it: run after the
// backfill, it finds what the unchecked add let through.
Step check_mariadb_foreign_key(const ChangeContext& context, const MariaDbForeignKey& key);

// ADD CONSTRAINT IF NOT EXISTS ... CHECK: MariaDB copies the table for it (ALGORITHM=COPY,
// LOCK=SHARED: reads go on, writes to the table wait for the copy). Only with
// --allow-copy-alter (ChangeContext::allow_copy_alter).
Step add_mariadb_check(const ChangeContext& context, const std::string& table,
                       const std::string& name, const std::string& check);
// The types of `columns` of `table`, as the catalog has them (those it knows).
std::vector<std::string> column_types(const ChangeContext& context, const std::string& table,
                                      const std::vector<std::string>& columns);

// Whether MariaDB's type is TEXT, BLOB or JSON, which an index covers whole only as a unique
// "long" key kept by a hidden hash column: MariaDB builds one only by copying the table.
bool is_mariadb_long_type(std::string_view type);
// For an index over `types` (unique or not): nothing when it builds online; else refused
// (without a prefix, a plain index on such a column is an error; a unique one needs
// --allow-copy-alter). Returns the ALTER's algorithm clause.
std::string mariadb_index_algorithm(const ChangeContext& context, const std::string& where,
                                    const std::vector<std::string>& types, bool unique);

// MariaDB adds or drops a column of a table with a FULLTEXT index neither instantly nor with
// LOCK=NONE: only by rebuilding it with its writes blocked. Refused (Error(kBadInput) naming
// `where`, the table and the index), whatever --allow-copy-alter says.
void refuse_fulltext_table(const db::TableInfo& table, const std::string& where);

// The refusal of such a check without --allow-copy-alter: Error(kBadInput) naming `where`.
void refuse_copy_alter(const ChangeContext& context, const std::string& where,
                       const std::string& what);

}  // namespace cutover::change
