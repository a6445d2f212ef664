// drop_index: an index the new version no longer needs, dropped on complete.
//
//   - drop_index: {name: users_email_idx}
//
// The index serves both versions until complete, which drops it with DROP INDEX CONCURRENTLY
// IF EXISTS (outside a transaction, without blocking writes; safe to run again). Start and
// rollback do nothing. The index must exist in the base schema and must not back a constraint
// (primary key, unique constraint, or the unique key a foreign key references): PostgreSQL
// refuses to drop those, and complete must not fail; drop the constraint with drop_constraint.
// MariaDB: complete runs ALTER TABLE DROP INDEX IF EXISTS ..., LOCK=NONE. A unique index is
// MariaDB's unique constraint and may go; an index a foreign key of its table needs may not
// (MariaDB refuses that).
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "change/operations/sql_parts.h"
#include "core/error.h"

namespace cutover::change {
namespace {

class DropIndex : public Operation {
 public:
  explicit DropIndex(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    name_ = args.identifier("name");
    args.reject_unknown();
  }

  bool supports(db::Flavor flavor) const override { return flavor != db::Flavor::kSqlite; }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo* owner = nullptr;
    const db::IndexInfo* index = context.catalog->find_index(name_, &owner);
    if (!index) {
      throw_bad_input(
          fmt::format("{}: there is no index {} in {}", where(), name_, context.base_schema),
          "check the index's name (psql: \\di lists the indexes)");
    }
    if (!index->copy_of.empty()) refuse_copy(context, *owner);
    std::string constraint;
    if (index->primary) constraint = "the primary key of " + owner->name;
    const bool mariadb = context.flavor == db::Flavor::kMariaDb;
    for (const auto& key : owner->unique_keys) {
      if (key.name == name_ && !mariadb) {
        constraint = "unique constraint " + key.name + " of " + owner->name;
      }
    }
    for (const auto& key : owner->foreign_keys) {
      if (!mariadb || key.columns.size() > index->columns.size() ||
          !std::equal(key.columns.begin(), key.columns.end(), index->columns.begin())) {
        continue;
      }
      throw_bad_input(fmt::format("{}: index {} serves foreign key {} of {}, which MariaDB "
                                  "keeps an index for",
                                  where(), name_, key.name, owner->name),
                      "drop the foreign key first (drop_constraint), or keep the index");
    }
    if (!constraint.empty()) {
      throw_bad_input(fmt::format("{}: index {} backs {}", where(), name_, constraint),
                      fmt::format("drop the constraint instead (drop_constraint: {{table: {}, "
                                  "name: {}}}): its index goes with it",
                                  owner->name, name_));
    }
    if (!index->unique) return;
    refuse_referenced_key(context, owner->name, index->columns, where(),
                          "the key of index " + name_);
  }

  std::vector<Step> expand(const ChangeContext&) const override { return {}; }

  std::vector<Step> contract(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) {
      // Index names belong to a table on MariaDB. Gone from the catalog: dropped already.
      const db::TableInfo* table = nullptr;
      if (!context.catalog->find_index(name_, &table)) return {};
      return {{.what = fmt::format("drop index {}", name_),
               .sql = fmt::format("ALTER TABLE {} DROP INDEX IF EXISTS {}, LOCK=NONE",
                                  context.table(table->name), context.quote(name_))}};
    }
    // Not CONCURRENTLY: complete's contract is one transaction (all or nothing), and dropping
    // an index is catalog work: its lock is held a moment, waited for within the lock timeout.
    return {{.what = fmt::format("drop index {}", name_),
             .sql = fmt::format("DROP INDEX IF EXISTS {}", context.table(name_))}};
  }

  std::vector<Step> rollback(const ChangeContext&) const override { return {}; }

 private:
  // The index is a partition's, attached to its partitioned table's index, which PostgreSQL
  // drops it with (and only with): names the top one, or the constraint it backs.
  [[noreturn]] void refuse_copy(const ChangeContext& context, const db::TableInfo& owner) const {
    std::string original = name_;
    const db::TableInfo* original_owner = nullptr;  // null: in another schema
    const db::IndexInfo* original_index = nullptr;
    for (int level = 0; level < 64; ++level) {  // bounded against a catalog that loops
      original_owner = nullptr;
      original_index = context.catalog->find_index(original, &original_owner);
      if (!original_index || original_index->copy_of.empty()) break;
      original = original_index->copy_of;
    }
    std::string fix = fmt::format("drop_index: {{name: {}}}", original);
    if (original_owner && original_index->primary) {
      fix = fmt::format("drop_constraint: {{table: {}, name: {}}}, its primary key",
                        original_owner->name, original);
    } else if (original_owner) {
      for (const auto& key : original_owner->unique_keys) {
        if (key.name == original) {
          fix = fmt::format("drop_constraint: {{table: {}, name: {}}}, its unique constraint",
                            original_owner->name, original);
        }
      }
    }
    throw_bad_input(
        fmt::format("{}: index {} of {} is attached to index {}{}, its "
                    "partitioned table's: PostgreSQL drops it only with that one",
                    where(), name_, owner.name, original,
                    original_owner ? " of " + original_owner->name : ""),
        "drop the partitioned table's instead, which drops it on every partition: " + fix);
  }

  std::string name_;
};

}  // namespace

std::unique_ptr<Operation> make_drop_index(const OperationSpec& spec) {
  return std::make_unique<DropIndex>(spec);
}

}  // namespace cutover::change
