// alter_column: the new version sees a column with other properties (type, NOT NULL, default,
// unique, check, foreign key) while the old version keeps the column as it is.
//
//   - alter_column: {table: users, column: score, type: bigint, up: "score::bigint",
//                    down: "score::int", nullable: false, default: "0", unique: true,
//                    check: "score >= 0", references: {table: t, column: id}}
//
// Any subset of: type (then `up` and `down` are required), nullable, default (SQL), unique
// (true adds a unique key on the column; false removes the unique keys and unique indexes of
// the column alone), check (SQL over the column's name; added to the checks it has), references
// (table, column; optional on_delete / on_update; replaces the foreign keys of the column
// alone). `up` (SQL over the old version's columns) computes the new column from the old one,
// `down` (SQL over the new version's columns) the old one from the new; both default to the
// column itself.
//
// PostgreSQL only. Start adds the shadow column _cutover_<column> with the new properties and
// every property of the original that does not change: type, default, NOT NULL, the checks
// that mention the column, the foreign keys from it, the primary key, unique keys and indexes
// that include it (their other columns as they are). The shadow is created nullable and
// without constraints; then a BEFORE INSERT OR UPDATE trigger fills it from `up` when the old
// version writes, and the original from `down` when the new version does; then NOT NULL (as
// CHECK (... IS NOT NULL)), the checks and the foreign keys are added NOT VALID. The backfill
// fills the shadow of the rows that exist; after it, the constraints are validated and each
// index is built CONCURRENTLY. The new version's view shows the shadow under the column's name.
// Complete sets NOT NULL and drops its check, hands a serial column's sequence to the shadow,
// disables the change's sync triggers on the table and drops the original column in one
// statement, drops the trigger, renames the shadow, and gives every constraint and index the
// original's name (unique and primary keys attached with ... USING INDEX). Rollback drops the
// trigger and the shadow with everything on it.
//
// Refused: a column that a foreign key references (the keys would have to move too: drop them
// with drop_constraint first, add them back afterwards), a column other objects depend on
// (change/preflight asks pg_depend), a column of a partition, and (the start stops at its
// first step) an identity or generated column.
// Limits: indexes are rebuilt from the catalog's key columns and expressions: a partial index
// (WHERE), another access method than btree, operator classes, collations, DESC / NULLS order
// and INCLUDE columns are not copied. Exclusion constraints, column comments, statistics
// targets, identity and generated columns are not copied either. A check that mentions two
// columns altered by the same change keeps the old version of the one altered later.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/column_copy.h"
#include "change/operations/operations.h"
#include "change/sync_trigger.h"
#include "core/error.h"

namespace cutover::change {
namespace {

// A type's name as format_type() spells it, for the common aliases: "int" -> "integer".
std::string canonical_type(std::string_view type) {
  std::string out;
  for (char c : type) {
    if (c == ' ' && (out.empty() || out.back() == ' ' || out.back() == '(')) continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static const std::map<std::string, std::string> kAliases = {
      {"int", "integer"},
      {"int4", "integer"},
      {"int8", "bigint"},
      {"int2", "smallint"},
      {"bool", "boolean"},
      {"float8", "double precision"},
      {"float4", "real"},
      {"varchar", "character varying"},
      {"timestamptz", "timestamp with time zone"},
      {"timestamp", "timestamp without time zone"}};
  std::string suffix;
  if (auto paren = out.find('('); paren != std::string::npos) {
    suffix = out.substr(paren);
    out.resize(paren);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  if (auto alias = kAliases.find(out); alias != kAliases.end()) out = alias->second;
  return out + suffix;
}

class AlterColumn : public Operation {
 public:
  explicit AlterColumn(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    table_ = args.identifier("table");
    column_ = args.identifier("column");
    type_ = args.optional_string("type");
    up_ = args.optional_string("up");
    down_ = args.optional_string("down");
    nullable_ = args.optional_bool("nullable");
    default_ = args.optional_string("default");
    unique_ = args.optional_bool("unique");
    check_ = args.optional_string("check");
    if (auto references = args.optional_object("references")) {
      ref_table_ = references->identifier("table");
      ref_column_ = references->identifier("column");
      on_delete_ = read_reference_action(*references, "on_delete", where());
      on_update_ = read_reference_action(*references, "on_update", where());
    }
    args.reject_unknown();
    if (!type_ && !nullable_ && !default_ && !unique_ && !check_ && !ref_table_ && !up_ && !down_) {
      throw_bad_input(fmt::format("{}: nothing to change", where()),
                      "give one or more of type, nullable, default, unique, check, references");
    }
  }

  std::vector<std::pair<std::string, std::string>> changed_columns() const override {
    return {{table_, column_}};
  }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    const db::ColumnInfo& column = context.require_column(table, column_, where());
    if (table.find_column(ChangeContext::shadow(column_))) {
      throw_bad_input(fmt::format("{}: table {} has a column {} left by another change", where(),
                                  table_, ChangeContext::shadow(column_)),
                      "roll that change back (cutover change rollback) or drop the column");
    }
    if (type_ && canonical_type(*type_) != canonical_type(column.type) && (!up_ || !down_)) {
      throw_bad_input(
          fmt::format("{}: the type of {}.{} changes ({} to {}), so `up` and `down` are needed",
                      where(), table_, column_, column.type, *type_),
          fmt::format("give up (the new value from the old columns, e.g. \"{0}::{1}\") and down "
                      "(the old value from the new columns, e.g. \"{0}::{2}\")",
                      column_, *type_, column.type));
    }
    const bool in_primary_key =
        table.primary_key &&
        std::find(table.primary_key->columns.begin(), table.primary_key->columns.end(), column_) !=
            table.primary_key->columns.end();
    if (in_primary_key && nullable_ == true) {
      throw_bad_input(fmt::format("{}: {}.{} is part of the primary key, which cannot be NULL",
                                  where(), table_, column_),
                      "leave nullable out");
    }
    if (in_primary_key && unique_ == false && table.primary_key->columns.size() == 1) {
      throw_bad_input(
          fmt::format("{}: {}.{} is the primary key, which stays unique", where(), table_, column_),
          "leave unique out");
    }
    for (const auto& other : context.catalog->tables) {
      for (const auto& key : other.foreign_keys) {
        if (key.ref_table == table_ && std::find(key.ref_columns.begin(), key.ref_columns.end(),
                                                 column_) != key.ref_columns.end()) {
          throw_bad_input(
              fmt::format("{}: foreign key {} of {} references {}.{}, and would have to move to "
                          "the new column",
                          where(), key.name, other.name, table_, column_),
              "drop that foreign key first (drop_constraint), and add it back once the change "
              "is complete");
        }
      }
    }
    if (ref_table_) {
      const db::TableInfo& ref = context.require_table(*ref_table_, where());
      context.require_column(ref, *ref_column_, where());
    }
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    preflight.column_tables = {table_};
    preflight.dropped_columns = {{table_, column_, /*rebuilds_indexes_and_constraints=*/true}};
    if (type_) preflight.probes.push_back(probe_type(*type_));
    if (up_) preflight.probes.push_back(probe_expression(context, table_, *up_));
    if (default_) preflight.probes.push_back(fmt::format("SELECT ({})", *default_));
    // Over the column as it is; with a new type the check is the server's to judge at start.
    if (check_ && !type_) preflight.probes.push_back(probe_expression(context, table_, *check_));
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    const db::TableInfo* table = context.catalog->find_table(table_);
    if (table == nullptr || table->find_column(column_) == nullptr) {
      context.require_column(context.require_table(table_, where()), column_, where());
    }
    const ShadowColumn shadow = plan(context);
    std::vector<Step> steps = {plain_column_guard(context)};
    for (auto& step : add_shadow_column(context, shadow)) steps.push_back(std::move(step));

    const std::string shadow_name = ChangeContext::shadow(column_);
    SyncTrigger trigger;
    trigger.table = table_;
    trigger.name = context.trigger_name(spec().index, table_);
    trigger.old_names = table_variables(*table);
    trigger.new_names = trigger.old_names;
    for (auto& variable : trigger.new_names) {
      if (variable.name == column_) variable = {column_, shadow_name, shadow.type};
    }
    const std::string itself = ChangeContext::quote(column_);
    trigger.old_version_body =
        fmt::format("      NEW.{} := {};", ChangeContext::quote(shadow_name),
                    shadow_value(up_.value_or(itself), shadow.type));
    trigger.new_version_body = fmt::format("      NEW.{} := ({});", itself, down_.value_or(itself));
    for (auto& step : create_sync_trigger(context, trigger)) steps.push_back(std::move(step));

    for (auto& step : constrain_shadow_column(context, shadow)) steps.push_back(std::move(step));
    return steps;
  }

  std::vector<BackfillTarget> backfill(const ChangeContext& context) const override {
    const std::string value =
        shadow_value(up_.value_or(ChangeContext::quote(column_)), plan(context).type);
    return {{.table = table_, .fill = {{ChangeContext::shadow(column_), value}}}};
  }

  std::vector<Step> after_backfill(const ChangeContext& context) const override {
    return validate_shadow_column(context, plan(context));
  }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    VersionTable* view = version_table(shape, table_);
    if (view == nullptr) return;
    if (ViewColumn* column = view->find(column_)) column->column = ChangeContext::shadow(column_);
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    return swap_shadow_column(
        context, table_, column_, true, spec().index,
        drop_sync_trigger(context, table_, context.trigger_name(spec().index, table_)));
  }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    std::vector<Step> steps =
        drop_sync_trigger(context, table_, context.trigger_name(spec().index, table_));
    for (auto& step : drop_shadow_column(context, table_, column_)) {
      steps.push_back(std::move(step));
    }
    return steps;
  }

 private:
  // The catalog does not tell identity and generated columns apart: a step that stops the
  // start with a clear error before anything is added, for a shadow could copy neither.
  Step plain_column_guard(const ChangeContext& context) const {
    const std::string message = fmt::format(
        "cutover: alter_column cannot copy {}.{}: it is an identity or generated column", table_,
        column_);
    return {.what = fmt::format("check that {}.{} is an ordinary column", table_, column_),
            .sql = fmt::format("DO $cutover$ BEGIN RAISE EXCEPTION USING MESSAGE = {}, HINT = "
                               "{}; END $cutover$",
                               sql_literal(message),
                               sql_literal("change such a column with a migration "
                                           "(cutover migrate), or roll this change back")),
            .done_if = fmt::format("{} AND attidentity = '' AND attgenerated = ''",
                                   column_exists_query(context, table_, column_))};
  }

  // The original column's properties, changed as the operation says.
  ShadowColumn plan(const ChangeContext& context) const {
    const db::TableInfo& table = context.require_table(table_, where());
    const db::ColumnInfo& column = context.require_column(table, column_, where());
    ShadowColumn shadow = copy_column(context, table, column);
    const std::string shadow_name = ChangeContext::shadow(column_);
    const std::string alone = fmt::format("({})", ChangeContext::quote(shadow_name));
    if (type_) shadow.type = *type_;
    if (nullable_) shadow.not_null = !*nullable_;
    if (default_) shadow.default_expr = default_;
    std::vector<std::string> taken = names_in_use(*context.catalog);

    if (unique_ == false) {
      std::erase_if(shadow.indexes, [&](const ShadowIndex& index) {
        return index.unique && index.kind != CopyKind::kPrimaryKey && index.keys == alone;
      });
    }
    const bool unique_already =
        std::any_of(shadow.indexes.begin(), shadow.indexes.end(),
                    [&](const ShadowIndex& index) { return index.unique && index.keys == alone; });
    if (unique_ == true && !unique_already) {
      std::string name = choose_name(table_, column_, "key", taken);
      taken.push_back(name);
      shadow.indexes.push_back({name, CopyKind::kUnique, true, alone});
    }
    if (check_) {
      std::string name = choose_name(table_, column_, "check", taken);
      taken.push_back(name);
      shadow.constraints.push_back(
          {name, fmt::format("CHECK ({})", rename_column_reference(*check_, column_, shadow_name)),
           true});
    }
    if (ref_table_) {
      // The foreign keys of the column alone are replaced; their names are free again once
      // complete drops the original column, before it renames the new key.
      const std::string own_key = fmt::format("FOREIGN KEY {} ", alone);
      std::erase_if(shadow.constraints, [&](const ShadowConstraint& constraint) {
        if (!constraint.definition.starts_with(own_key)) return false;
        std::erase(taken, constraint.name);
        return true;
      });
      std::string name = choose_name(table_, column_, "fkey", taken);
      taken.push_back(name);
      std::string definition =
          fmt::format("FOREIGN KEY {} REFERENCES {} ({})", alone, context.table(*ref_table_),
                      ChangeContext::quote(*ref_column_));
      if (on_update_) definition += " ON UPDATE " + *on_update_;
      if (on_delete_) definition += " ON DELETE " + *on_delete_;
      shadow.constraints.push_back({name, std::move(definition), true});
    }
    return shadow;
  }

  std::string table_;
  std::string column_;
  std::optional<std::string> type_;
  std::optional<std::string> up_;
  std::optional<std::string> down_;
  std::optional<bool> nullable_;
  std::optional<std::string> default_;
  std::optional<bool> unique_;
  std::optional<std::string> check_;
  std::optional<std::string> ref_table_;
  std::optional<std::string> ref_column_;
  std::optional<std::string> on_delete_;
  std::optional<std::string> on_update_;
};

}  // namespace

std::unique_ptr<Operation> make_alter_column(const OperationSpec& spec) {
  return std::make_unique<AlterColumn>(spec);
}

}  // namespace cutover::change
