// Constraints added online on MariaDB, where ALTER TABLE checks a new foreign key or check
// against every row by copying the table under a lock that stops the application's writes.
#pragma once

#include <optional>
#include <string>
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
// The refusal of such a check without --allow-copy-alter: Error(kBadInput) naming `where`.
void refuse_copy_alter(const ChangeContext& context, const std::string& where,
                       const std::string& what);

}  // namespace cutover::change
