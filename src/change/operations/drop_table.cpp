// drop_table: a table the new version no longer uses, dropped on complete.
//
//   - drop_table: {name: legacy_log}
//
// While both versions run, the table stays as it is for the old version, and the new version's
// schema has no view of it (the base schema, later in its search_path, still shows it: the new
// version must simply not use it). Complete drops it (DROP TABLE IF EXISTS: safe to run again);
// rollback has nothing to undo. The table must exist, and no other table's foreign key may
// reference it: DROP TABLE would refuse at complete, when there is no going back. Such a foreign
// key is dropped first, by an earlier change (validation sees the database as it is before this
// change, so a drop_constraint in the same file does not count).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "change/operations/sql_parts.h"
#include "change/preflight.h"
#include "core/error.h"

namespace cutover::change {
namespace {

class DropTable : public Operation {
 public:
  explicit DropTable(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    name_ = args.identifier("name");
    args.reject_unknown();
  }

  void validate(const ChangeContext& context) const override {
    context.require_table(name_, where());
    for (const auto& table : context.catalog->tables) {
      if (table.name == name_) continue;
      for (const auto& key : table.foreign_keys) {
        if (key.ref_table != name_) continue;
        if (!key.copy_of.name.empty()) {
          // A partition's copy of its table's key names the same table as the original does,
          // which is refused by its own name; a copy that names another table references a
          // partition of the table the original names. (An original this catalog does not
          // see, in another schema, leaves the copy refused by its own name, below.)
          const db::ConstraintOrigin original = context.catalog->first_original(key.copy_of);
          const std::string parent = reference_of(context, original);
          if (parent == name_) continue;
          if (!parent.empty()) refuse_referenced_partition(original, parent);
        }
        throw_bad_input(
            fmt::format("{}: foreign key {} of table {} references {}, so it cannot be dropped",
                        where(), key.name, table.name, name_),
            fmt::format("drop the foreign key first, in an earlier change "
                        "(drop_constraint: {{table: {}, name: {}}}) or a migration",
                        table.name, key.name));
      }
    }
  }

  bool supports(db::Flavor flavor) const override { return flavor != db::Flavor::kSqlite; }

  // PostgreSQL: a foreign key of a table in another schema (which the catalog does not show)
  // that references the table, or through its copies a partition of it: DROP TABLE would
  // refuse at complete.
  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    if (context.flavor != db::Flavor::kPostgres) return preflight;
    const std::string table = context.table(name_);
    preflight.probes.push_back(fmt::format(
        "DO $cutover$ DECLARE r record; BEGIN "
        "SELECT coalesce(original.conname, c.conname) AS name, "
        "coalesce(original.conrelid, c.conrelid)::regclass::text AS owner INTO r "
        "FROM pg_constraint c LEFT JOIN pg_constraint original ON original.oid = c.conparentid "
        "WHERE c.contype = 'f' AND c.confrelid = {0}::regclass AND c.conrelid <> c.confrelid "
        "AND (SELECT relnamespace FROM pg_class WHERE oid = c.conrelid) <> "
        "(SELECT relnamespace FROM pg_class WHERE oid = {0}::regclass) LIMIT 1; "
        "IF FOUND THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('foreign key "
        "%s of table %s references %s, so it cannot be dropped', r.name, r.owner, {1}), HINT = "
        "format('drop the foreign key first, in a migration (ALTER TABLE %s DROP CONSTRAINT "
        "%I)', r.owner, r.name); END IF; END $cutover$",
        sql_literal(table), sql_literal(name_)));
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext&) const override { return {}; }

  void shape(VersionShape& shape, const ChangeContext&) const override { shape.remove(name_); }

  std::vector<Step> contract(const ChangeContext& context) const override {
    return {{.what = fmt::format("drop table {}", name_),
             .sql = fmt::format("DROP TABLE IF EXISTS {}", context.table(name_))}};
  }

  std::vector<Step> rollback(const ChangeContext&) const override { return {}; }

 private:
  // What the foreign key `original` references; empty when this catalog does not have it.
  static std::string reference_of(const ChangeContext& context,
                                  const db::ConstraintOrigin& original) {
    if (const db::TableInfo* owner = context.catalog->find_table(original.table)) {
      for (const auto& key : owner->foreign_keys) {
        if (key.name == original.name) return key.ref_table;
      }
    }
    return {};
  }

  // A copy of foreign key `original`, which references the partitioned table `parent`, refers
  // to this partition: the copy goes when the partition is detached.
  [[noreturn]] void refuse_referenced_partition(const db::ConstraintOrigin& original,
                                                const std::string& parent) const {
    throw_bad_input(
        fmt::format("{}: {} is a partition of {}, which foreign key {} of table {} references, "
                    "so it references this partition too: it cannot be dropped",
                    where(), name_, parent, original.name, original.table),
        fmt::format("detach the partition first, in a migration (ALTER TABLE {} DETACH "
                    "PARTITION {}: PostgreSQL refuses while rows of {} reference its rows), or "
                    "drop the foreign key in an earlier change (drop_constraint: {{table: {}, "
                    "name: {}}})",
                    parent, name_, original.table, original.table, original.name));
  }

  std::string name_;
};

}  // namespace

std::unique_ptr<Operation> make_drop_table(const OperationSpec& spec) {
  return std::make_unique<DropTable>(spec);
}

}  // namespace cutover::change
