// split_to_table: columns of a table move to a child table, one row per parent or many (the
// users/addresses case of seed 004). Triggers keep the parent's old columns and the child in
// sync while both versions run; complete drops the old columns.
//
//   - split_to_table: {table: users, columns: [address_line_1, address_line_2],
//                      into: addresses, key: user_id, many: true}
//
// The child gets `key` (the parent's primary key type, NOT NULL, REFERENCES the parent ON DELETE
// CASCADE) and the moved columns with their types. One row per parent (many: false, the
// default): `key` is the child's primary key. Many: the child has `id` BIGSERIAL (SQLite:
// INTEGER) as primary key and an index on `key`; the parent's old columns show the child row
// with the lowest id (its "first" address), which is the one the old version edits.
//
// MariaDB: the child is InnoDB with the same foreign key (its delete cascades without firing
// triggers, as MariaDB does), `id` BIGINT AUTO_INCREMENT for many; the parent's triggers fill
// the child for the old version's writes, the child's refresh the parent for the new
// version's (mariadb_sync_trigger.h); the backfill touches the parent's rows, and the parent's
// update trigger adds the child rows missing; complete drops the columns (ALGORITHM=INSTANT).
// On Galera the parent also has an invisible column `_cutover_touch` from start to complete or
// rollback, which the backfill flips (BackfillTarget::flip): a touch that changed nothing would
// not certify against an old-version write of the same row on another node, and the child could
// keep the address that the batch read while that write cleared it.
#include <fmt/format.h>

#include "change/operation_args.h"
#include "change/operations/column_copy.h"
#include "change/operations/mariadb_constraints.h"
#include "change/operations/operations.h"
#include "change/mariadb_sync_trigger.h"
#include "change/sync_trigger.h"
#include "core/error.h"

namespace cutover::change {
namespace {

constexpr const char* kTouchColumn = "_cutover_touch";

class SplitToTable : public Operation {
 public:
  explicit SplitToTable(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    table_ = args.string("table");
    columns_ = args.string_list("columns");
    into_ = args.string("into");
    key_ = args.string("key");
    many_ = args.optional_bool("many").value_or(false);
    args.reject_unknown();
    check_identifier(table_, where(), "table");
    check_identifier(into_, where(), "into");
    check_identifier(key_, where(), "key");
    for (const auto& column : columns_) check_identifier(column, where(), "columns");
  }

  bool supports(db::Flavor) const override { return true; }

  std::vector<std::pair<std::string, std::string>> changed_columns() const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& column : columns_) out.emplace_back(table_, column);
    return out;
  }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& parent = context.require_table(table_, where());
    if (!parent.primary_key || parent.primary_key->columns.size() != 1) {
      throw_bad_input(fmt::format("{}: table {} needs a primary key of one column", where(),
                                  table_),
                      "the child table refers to its parent by that key");
    }
    // Complete drops the moved columns (and on Galera start adds the touch column).
    if (context.flavor == db::Flavor::kMariaDb) refuse_fulltext_table(parent, where());
    for (const auto& column : columns_) {
      context.require_column(parent, column, where());
      // Complete drops the column: what would keep it is refused now (PostgreSQL: pg_depend,
      // in the preflight).
      if (context.flavor != db::Flavor::kPostgres) {
        refuse_dependent_views(context, table_, column, where());
      }
      if (context.flavor == db::Flavor::kMariaDb) {
        refuse_mariadb_column_dependents(parent, column, where());
      }
    }
    if (context.catalog->find_table(into_)) {
      throw_bad_input(fmt::format("{}: table {} exists already", where(), into_),
                      "choose another name for `into`, or drop that table first");
    }
    if (key_ == "id" && many_) {
      throw_bad_input(fmt::format("{}: with many: true the child's own key is `id`", where()),
                      "name the reference to the parent otherwise, e.g. user_id");
    }
  }

  // Complete drops the moved columns: what depends on them is refused before anything changes.
  Preflight preflight(const ChangeContext&) const override {
    Preflight preflight;
    preflight.column_tables = {table_};
    for (const auto& column : columns_) preflight.dropped_columns.push_back({table_, column});
    return preflight;
  }

  std::vector<std::string> created_tables() const override { return {into_}; }

  std::vector<Step> expand(const ChangeContext& context) const override {
    const db::TableInfo& parent = context.require_table(table_, where());
    std::vector<Step> steps = {{fmt::format("create table {}", into_), create_child(context),
                                false, "", ""}};
    if (context.flavor == db::Flavor::kMariaDb) {
      if (context.galera) {
        steps.push_back({fmt::format("add column {}.{}", table_, kTouchColumn),
                         fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} TINYINT NOT NULL "
                                     "DEFAULT 0 INVISIBLE, ALGORITHM=INSTANT",
                                     context.table(table_), context.quote(kTouchColumn)),
                         false, "", ""});
      }
      auto triggers = mariadb_triggers(context);
      steps.insert(steps.end(), triggers.begin(), triggers.end());
      return steps;
    }
    if (many_) {
      // (key, id): the triggers' min(id) WHERE key = ... is one probe of this index, whatever
      // the statistics say.
      steps.push_back({fmt::format("index {}.{}", into_, key_),
                       fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({}, \"id\")",
                                   context.quote(into_ + "_" + key_ + "_idx"),
                                   context.table(into_), context.quote(key_)),
                       false, "", ""});
    }
    auto triggers = context.flavor == db::Flavor::kSqlite ? sqlite_triggers(context, parent)
                                                          : postgres_triggers(context, parent);
    steps.insert(steps.end(), triggers.begin(), triggers.end());
    return steps;
  }

  std::vector<BackfillTarget> backfill(const ChangeContext& context) const override {
    // SQLite's UPDATE OF triggers fire only for the columns set.
    if (context.flavor == db::Flavor::kSqlite) return {{.table = table_, .touch = columns_}};
    if (context.flavor == db::Flavor::kMariaDb) {
      if (context.galera) return {{.table = table_, .flip = {kTouchColumn}}};
      return {{.table = table_}};
    }
    // What the parent's trigger does when the old version writes a row, for the batch's rows at
    // once: a parent with a value in the moved columns and no child row yet gets one. (A child
    // row that exists is in step with its parent already: the triggers wrote one from the other.)
    std::string any_value;
    for (const auto& column : columns_) {
      if (!any_value.empty()) any_value += " OR ";
      any_value += "_cutover_row." + context.quote(column) + " IS NOT NULL";
    }
    const std::string child = context.table(into_);
    const std::string key = context.quote(parent_key(context));
    const std::string child_key = context.quote(key_);
    std::string select = fmt::format(
        "INSERT INTO {} ({}, {}) SELECT _cutover_row.{}, {} FROM {} AS _cutover_row WHERE ", child,
        child_key, list(context, ""), key, list(context, "_cutover_row."), context.table(table_));
    std::string filter = fmt::format(
        " AND ({}) AND NOT EXISTS (SELECT 1 FROM {} AS _cutover_child WHERE _cutover_child.{} = "
        "_cutover_row.{})",
        any_value, child, child_key, key);
    return {{.table = table_,
             .copies = {[select, filter](const std::string& batch_rows) {
               return select + batch_rows + filter;
             }}}};
  }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    if (VersionTable* parent = shape.find(table_)) {
      std::erase_if(parent->columns, [&](const ViewColumn& c) {
        return std::find(columns_.begin(), columns_.end(), c.column) != columns_.end();
      });
    }
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    std::vector<Step> steps = drop_triggers(context);
    const char* algorithm = context.flavor == db::Flavor::kMariaDb ? ", ALGORITHM=INSTANT" : "";
    for (const auto& column : columns_) {
      steps.push_back({fmt::format("drop column {}.{}", table_, column),
                       fmt::format("ALTER TABLE {} DROP COLUMN {}{}", context.table(table_),
                                   context.quote(column), algorithm),
                       false, column_gone(context, column), ""});
    }
    if (context.flavor == db::Flavor::kMariaDb) steps.push_back(drop_touch_column(context));
    return steps;
  }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    std::vector<Step> steps = drop_triggers(context);
    if (context.flavor == db::Flavor::kMariaDb) steps.push_back(drop_touch_column(context));
    steps.push_back({fmt::format("drop table {}", into_),
                     fmt::format("DROP TABLE IF EXISTS {}", context.table(into_)), false, "", ""});
    return steps;
  }

 private:
  // Galera's touch column, where start added it.
  Step drop_touch_column(const ChangeContext& context) const {
    return {fmt::format("drop column {}.{}", table_, kTouchColumn),
            fmt::format("ALTER TABLE {} DROP COLUMN {}, ALGORITHM=INSTANT", context.table(table_),
                        context.quote(kTouchColumn)),
            false, column_gone(context, kTouchColumn), ""};
  }

  std::string parent_key(const ChangeContext& context) const {
    return context.require_table(table_, where()).primary_key->columns.front();
  }

  // A query that returns a row once `column` is gone from the parent.
  std::string column_gone(const ChangeContext& context, const std::string& column) const {
    if (context.flavor == db::Flavor::kSqlite) {
      return fmt::format(
          "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pragma_table_info('{}') WHERE name = '{}')",
          table_, column);
    }
    return fmt::format(
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE "
        "table_schema = '{}' AND table_name = '{}' AND column_name = '{}')",
        context.base_schema, table_, column);
  }

  std::string create_child(const ChangeContext& context) const {
    const db::TableInfo& parent = context.require_table(table_, where());
    const db::ColumnInfo& key = context.require_column(parent, parent_key(context), where());
    std::string key_type = key.type;
    if (key_type == "serial") key_type = "integer";
    if (key_type == "bigserial") key_type = "bigint";
    std::string columns;
    if (many_) {
      columns += context.flavor == db::Flavor::kSqlite    ? "\"id\" INTEGER PRIMARY KEY, "
                 : context.flavor == db::Flavor::kMariaDb ? "\"id\" BIGINT AUTO_INCREMENT PRIMARY KEY, "
                                                          : "\"id\" BIGSERIAL PRIMARY KEY, ";
    }
    columns += fmt::format("{} {} NOT NULL{} REFERENCES {} ({}) ON DELETE CASCADE",
                           context.quote(key_), key_type, many_ ? "" : " PRIMARY KEY",
                           context.table(table_), context.quote(key.name));
    for (const auto& name : columns_) {
      columns += fmt::format(", {} {}", context.quote(name),
                             context.require_column(parent, name, where()).type);
    }
    if (context.flavor == db::Flavor::kMariaDb && many_) {
      // The triggers' first child row of a parent: one probe of this index. (MariaDB makes
      // no index of its own for the foreign key when one starts with its column.)
      columns += fmt::format(", INDEX {} ({}, \"id\")", context.quote(into_ + "_" + key_ + "_idx"),
                             context.quote(key_));
    }
    return fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", context.table(into_), columns);
  }

  std::string list(const ChangeContext& context, const std::string& prefix) const {
    std::string out;
    for (const auto& column : columns_) {
      if (!out.empty()) out += ", ";
      out += prefix + context.quote(column);
    }
    return out;
  }

  // SQL: the child's "first" row for parent key `parent` (an expression).
  std::string first_child(const ChangeContext& context, const std::string& parent) const {
    std::string order = many_ ? "\"id\"" : context.quote(key_);
    return fmt::format("SELECT {} FROM {} WHERE {} = {} ORDER BY {} LIMIT 1",
                       list(context, ""), context.table(into_), context.quote(key_), parent,
                       order);
  }

  // PL/pgSQL: the parent's old columns as the child's first row for `parent` says.
  std::string refresh_parent(const ChangeContext& context, const std::string& parent) const {
    return fmt::format("      UPDATE {} SET ({}) = ({}) WHERE {} = {};\n", context.table(table_),
                       list(context, ""), first_child(context, parent),
                       context.quote(parent_key(context)), parent);
  }

  // PL/pgSQL run when the old version wrote the parent: its columns go to the first child row.
  std::string write_child(const ChangeContext& context) const {
    std::string all_null;
    for (const auto& column : columns_) {
      if (!all_null.empty()) all_null += " AND ";
      all_null += "NEW." + context.quote(column) + " IS NULL";
    }
    std::string key = "NEW." + context.quote(parent_key(context));
    std::string child = context.table(into_);
    std::string first = many_ ? fmt::format("(SELECT min(\"id\") FROM {} WHERE {} = {})", child,
                                            context.quote(key_), key)
                              : key;
    std::string first_column = many_ ? "\"id\"" : context.quote(key_);
    std::string set;
    for (const auto& column : columns_) {
      if (!set.empty()) set += ", ";
      set += fmt::format("{0} = NEW.{0}", context.quote(column));
    }
    // Many: the parent's old columns show its first child row; once that row goes, the next.
    const std::string refresh =
        many_ ? "        IF FOUND THEN\n  " + refresh_parent(context, key) + "        END IF;\n"
              : "";
    return fmt::format(
        "      IF {all_null} THEN\n"
        "        DELETE FROM {child} WHERE {first_column} = {first};\n"
        "{refresh}"
        "      ELSE\n"
        "        UPDATE {child} SET {set} WHERE {first_column} = {first};\n"
        "        IF NOT FOUND THEN\n"
        "          INSERT INTO {child} ({child_key}, {columns}) VALUES ({key}, {values});\n"
        "        END IF;\n"
        "      END IF;",
        fmt::arg("all_null", all_null), fmt::arg("child", child), fmt::arg("refresh", refresh),
        fmt::arg("first_column", first_column), fmt::arg("first", first), fmt::arg("set", set),
        fmt::arg("child_key", context.quote(key_)), fmt::arg("columns", list(context, "")),
        fmt::arg("key", key), fmt::arg("values", list(context, "NEW.")));
  }

  std::vector<Step> postgres_triggers(const ChangeContext& context,
                                      const db::TableInfo&) const {
    // The old version's writes to the parent reach the child; the new version's writes to the
    // child reach the parent's old columns. Each trigger does nothing for the other version,
    // so they never chase each other.
    SyncTrigger on_parent;
    on_parent.table = table_;
    on_parent.name = context.trigger_name(spec().index, table_);
    on_parent.timing = "AFTER";
    on_parent.events = "INSERT";
    on_parent.old_version_body = write_child(context);
    on_parent.index_lookups = true;  // the child fills while the triggers run
    // An update that leaves the moved columns as they were leaves the child alone: the
    // application's other writes to the parent do not pay for a second row's write.
    SyncTrigger on_parent_update = on_parent;
    on_parent_update.name = update_trigger_name(context);
    on_parent_update.events = "UPDATE";
    for (const auto& column : columns_) {
      if (!on_parent_update.only_when.empty()) on_parent_update.only_when += " OR ";
      on_parent_update.only_when += fmt::format("OLD.{0} IS DISTINCT FROM NEW.{0}",
                                                context.quote(column));
    }

    SyncTrigger on_child;
    on_child.table = into_;
    on_child.name = context.trigger_name(spec().index, into_);
    on_child.timing = "AFTER";
    on_child.events = "INSERT OR UPDATE OR DELETE";
    on_child.index_lookups = true;
    std::string key = context.quote(key_);
    on_child.new_version_body = fmt::format(
        "      IF TG_OP <> 'INSERT' THEN\n{}      END IF;\n"
        "      IF TG_OP <> 'DELETE' THEN\n{}      END IF;",
        refresh_parent(context, "OLD." + key), refresh_parent(context, "NEW." + key));

    std::vector<Step> steps = create_sync_trigger(context, on_parent);
    for (const SyncTrigger& trigger : {on_parent_update, on_child}) {
      auto more = create_sync_trigger(context, trigger);
      steps.insert(steps.end(), more.begin(), more.end());
    }
    return steps;
  }

  // PostgreSQL: the parent's trigger for updates (its function has the same body as the
  // insert trigger's, under the trigger's name).
  std::string update_trigger_name(const ChangeContext& context) const {
    return context.trigger_name(spec().index, table_ + "_update");
  }

  // SQLite: no session setting says which version wrote a row, so each trigger writes only
  // what differs; SQLite does not fire a trigger from within itself, so they settle at once.
  std::vector<Step> sqlite_triggers(const ChangeContext& context, const db::TableInfo&) const {
    std::string key = context.quote(parent_key(context));
    std::string child = context.table(into_);
    std::string parent = context.table(table_);
    std::string child_key = context.quote(key_);
    std::string first_id = many_ ? fmt::format("(SELECT min(\"id\") FROM {} WHERE {} = NEW.{})",
                                               child, child_key, key)
                                 : "NEW." + key;
    std::string first_column = many_ ? "\"id\"" : child_key;
    std::string any_value, set, differs;
    for (const auto& column : columns_) {
      std::string c = context.quote(column);
      any_value += (any_value.empty() ? "" : " OR ") + fmt::format("NEW.{} IS NOT NULL", c);
      set += (set.empty() ? "" : ", ") + fmt::format("{0} = NEW.{0}", c);
      differs += (differs.empty() ? "" : " OR ") + fmt::format("{0} IS NOT NEW.{0}", c);
    }
    // The parent's row written by the old version: update the first child, or add one; all
    // its values NULL, as on PostgreSQL, means no first child.
    std::string to_child = fmt::format(
        "UPDATE {0} SET {1} WHERE {2} = {3} AND ({4}) AND ({9}); "
        "DELETE FROM {0} WHERE {2} = {3} AND NOT ({9}); "
        "INSERT INTO {0} ({5}, {6}) SELECT NEW.{7}, {8} WHERE ({9}) AND NOT EXISTS "
        "(SELECT 1 FROM {0} WHERE {5} = NEW.{7});",
        child, set, first_column, first_id, differs, child_key, list(context, ""), key,
        list(context, "NEW."), any_value);
    std::string refresh = [&](const char* row) {
      std::string assignments;
      for (const auto& column : columns_) {
        std::string c = context.quote(column);
        assignments += (assignments.empty() ? "" : ", ") +
                       fmt::format("{0} = (SELECT {0} FROM {1} WHERE {2} = {3}.{2} ORDER BY {4} "
                                   "LIMIT 1)",
                                   c, child, child_key, row, first_column);
      }
      return fmt::format("UPDATE {} SET {} WHERE {} = {}.{};", parent, assignments, key, row,
                         child_key);
    }("NEW");
    std::string refresh_old = refresh;
    for (std::size_t at; (at = refresh_old.find("NEW.")) != std::string::npos;) {
      refresh_old.replace(at, 4, "OLD.");
    }
    std::string base = context.trigger_name(spec().index, table_);
    std::string child_base = context.trigger_name(spec().index, into_);
    auto trigger = [&](const std::string& name, const std::string& event,
                       const std::string& on, const std::string& body) {
      return Step{fmt::format("create trigger {}", name),
                  fmt::format("CREATE TRIGGER IF NOT EXISTS {} AFTER {} ON {} BEGIN {} END",
                              context.quote(name), event, on, body),
                  false, "", ""};
    };
    return {
        trigger(base + "_i", "INSERT", parent, to_child),
        trigger(base + "_u", "UPDATE OF " + list(context, ""), parent, to_child),
        trigger(base + "_d", "DELETE", parent,
                fmt::format("DELETE FROM {} WHERE {} = OLD.{};", child, child_key, key)),
        trigger(child_base + "_i", "INSERT", child, refresh),
        trigger(child_base + "_u", "UPDATE", child, refresh_old + " " + refresh),
        trigger(child_base + "_d", "DELETE", child, refresh_old),
    };
  }

  // MariaDB: one trigger per table and event, the parent's for the old version's writes, the
  // child's for the new version's.
  std::vector<std::string> mariadb_trigger_names(const ChangeContext& context) const {
    std::vector<std::string> names;
    for (const char* event : {"insert", "update"}) {
      names.push_back(context.trigger_name(spec().index, table_ + "_" + event));
    }
    for (const char* event : {"insert", "update", "delete"}) {
      names.push_back(context.trigger_name(spec().index, into_ + "_" + event));
    }
    return names;
  }

  std::vector<Step> mariadb_triggers(const ChangeContext& context) const {
    const std::string child = context.table(into_);
    const std::string child_key = context.quote(key_);
    const std::string parent_key = "NEW." + context.quote(this->parent_key(context));
    const std::string first = fmt::format("{} = {} ORDER BY {} LIMIT 1", child_key, parent_key,
                                          many_ ? "\"id\"" : child_key);
    std::string all_null, unchanged, set;
    for (const auto& column : columns_) {
      const std::string c = context.quote(column);
      all_null += (all_null.empty() ? "" : " AND ") + fmt::format("NEW.{} IS NULL", c);
      unchanged += (unchanged.empty() ? "" : " AND ") + fmt::format("OLD.{0} <=> NEW.{0}", c);
      set += (set.empty() ? "" : ", ") + fmt::format("{0} = NEW.{0}", c);
    }
    const std::string insert =
        fmt::format("INSERT INTO {} ({}, {}) VALUES ({}, {});", child, child_key,
                    list(context, ""), parent_key, list(context, "NEW."));
    // The parent written by the old version: its values go to the first child row, which
    // goes when they are all NULL; a parent without one gets it (the backfill's touch too).
    const std::string on_insert = fmt::format("IF NOT ({}) THEN {} END IF;", all_null, insert);
    const std::string on_update = fmt::format(
        "IF EXISTS (SELECT 1 FROM {child} WHERE {child_key} = {key}) THEN "
        "IF NOT ({unchanged}) THEN IF {all_null} THEN DELETE FROM {child} WHERE {first}; "
        "ELSE UPDATE {child} SET {set} WHERE {first}; END IF; END IF; "
        "ELSEIF NOT ({all_null}) THEN {insert} END IF;",
        fmt::arg("child", child), fmt::arg("child_key", child_key), fmt::arg("key", parent_key),
        fmt::arg("unchanged", unchanged), fmt::arg("all_null", all_null), fmt::arg("first", first),
        fmt::arg("set", set), fmt::arg("insert", insert));
    // The child written by the new version: the parent's old columns show its first row.
    const auto refresh = [&](const char* row) {
      std::string assignments;
      for (const auto& column : columns_) {
        assignments += (assignments.empty() ? "" : ", ") +
                       fmt::format("{0} = (SELECT {0} FROM {1} WHERE {2} = {3}.{2} ORDER BY {4} "
                                   "LIMIT 1)",
                                   context.quote(column), child, child_key, row,
                                   many_ ? "\"id\"" : child_key);
      }
      return fmt::format("UPDATE {} SET {} WHERE {} = {}.{};", context.table(table_), assignments,
                         context.quote(this->parent_key(context)), row, child_key);
    };
    const std::vector<std::string> names = mariadb_trigger_names(context);
    using Writer = MariaDbTrigger::Writer;
    const auto trigger = [&](const std::string& name, const std::string& table, const char* event,
                             Writer writer, std::string body) {
      return create_mariadb_trigger(context, {.table = table,
                                              .name = name,
                                              .timing = "AFTER",
                                              .event = event,
                                              .writer = writer,
                                              .body = std::move(body)});
    };
    // The update trigger before the insert trigger: a row the old version inserts between the
    // two gets no child, which its next update or the backfill adds; the other way round, a
    // child added by the insert trigger would miss that update and stay stale.
    return {
        trigger(names[1], table_, "UPDATE", Writer::kOldVersion, on_update),
        trigger(names[0], table_, "INSERT", Writer::kOldVersion, on_insert),
        trigger(names[2], into_, "INSERT", Writer::kNewVersion, refresh("NEW")),
        trigger(names[3], into_, "UPDATE", Writer::kNewVersion, refresh("OLD") + " " + refresh("NEW")),
        trigger(names[4], into_, "DELETE", Writer::kNewVersion, refresh("OLD")),
    };
  }

  std::vector<Step> drop_triggers(const ChangeContext& context) const {
    std::string base = context.trigger_name(spec().index, table_);
    std::string child_base = context.trigger_name(spec().index, into_);
    if (context.flavor == db::Flavor::kMariaDb) {
      std::vector<Step> steps;
      for (const auto& name : mariadb_trigger_names(context)) {
        auto drop = drop_sync_trigger(context, table_, name);
        steps.insert(steps.end(), drop.begin(), drop.end());
      }
      return steps;
    }
    if (context.flavor == db::Flavor::kSqlite) {
      std::vector<Step> steps;
      for (const auto& name : {base + "_i", base + "_u", base + "_d", child_base + "_i",
                               child_base + "_u", child_base + "_d"}) {
        auto drop = drop_sync_trigger(context, table_, name);
        steps.insert(steps.end(), drop.begin(), drop.end());
      }
      return steps;
    }
    std::vector<Step> steps = drop_sync_trigger(context, table_, base);
    auto update = drop_sync_trigger(context, table_, update_trigger_name(context));
    steps.insert(steps.end(), update.begin(), update.end());
    if (context.catalog->find_table(into_)) {
      auto child = drop_sync_trigger(context, into_, child_base);
      steps.insert(steps.end(), child.begin(), child.end());
    }
    return steps;
  }

  std::string table_;
  std::vector<std::string> columns_;
  std::string into_;
  std::string key_;
  bool many_ = false;
};

}  // namespace

std::unique_ptr<Operation> make_split_to_table(const OperationSpec& spec) {
  return std::make_unique<SplitToTable>(spec);
}

}  // namespace cutover::change
