// What the operations, the sync triggers and the version database generate on MariaDB, on a
// fake catalog: the statements' shapes and the refusals before anything changes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "change/mariadb_sync_trigger.h"
#include "change/operation.h"
#include "change/operations/mariadb_constraints.h"
#include "change/version_database.h"
#include "change/version_shape.h"
#include "core/error.h"

namespace cutover::change {
namespace {

// users (id PK, username NOT NULL, nickname, team_id FK to teams), unique on username, an index
// on (username, id); teams (id PK); a view user_names over users.
db::Catalog catalog() {
  db::TableInfo teams;
  teams.schema = "shop";
  teams.name = "teams";
  teams.columns = {{"id", "int(11)", std::nullopt, false, 1}};
  teams.primary_key = db::KeyInfo{"PRIMARY", {"id"}};
  teams.indexes = {{"PRIMARY", {"id"}, true, true, true}};

  db::TableInfo users;
  users.schema = "shop";
  users.name = "users";
  users.columns = {{"id", "int(11)", std::nullopt, false, 1},
                   {"username", "varchar(20)", std::nullopt, false, 2},
                   {"nickname", "varchar(20)", std::nullopt, true, 3},
                   {"team_id", "int(11)", std::nullopt, true, 4}};
  users.primary_key = db::KeyInfo{"PRIMARY", {"id"}};
  users.unique_keys = {{"users_username_key", {"username"}}};
  users.indexes = {{"PRIMARY", {"id"}, true, true, true},
                   {"users_username_key", {"username"}, true, false, true},
                   {"users_username_id", {"username", "id"}, false, false, true},
                   {"users_team_fk", {"team_id"}, false, false, true}};
  users.foreign_keys = {{"users_team_fk", {"team_id"}, "teams", {"id"}, "RESTRICT", "RESTRICT"}};

  db::Catalog catalog;
  catalog.tables = {teams, users};
  catalog.views = {{"shop", "user_names",
                    "select `shop`.`users`.`id` AS `id`,`shop`.`users`.`nickname` AS `nickname` "
                    "from `shop`.`users`",
                    false}};
  return catalog;
}

ChangeContext context_for(const db::Catalog& catalog) {
  ChangeContext context;
  context.flavor = db::Flavor::kMariaDb;
  context.change = "v2";
  context.base_schema = "shop";
  context.catalog = &catalog;
  return context;
}

std::unique_ptr<Operation> operation(const std::string& kind, const std::string& args) {
  OperationSpec spec;
  spec.kind = kind;
  spec.args = nlohmann::json::parse(args);
  spec.line = 3;
  return make_operation(spec);
}

std::string all_sql(const std::vector<Step>& steps) {
  std::string out;
  for (const auto& step : steps) out += step.sql + "\n";
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

template <typename F>
std::string bad_input(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(MariaDbSyncTrigger, RunsItsBodyForOneVersionOnly) {
  const db::Catalog cat = catalog();
  const ChangeContext context = context_for(cat);
  Step old_version = create_mariadb_trigger(
      context, {.table = "users", .name = "t_old", .event = "UPDATE", .body = "SET NEW.a = 1;"});
  EXPECT_EQ(old_version.sql,
            "CREATE TRIGGER IF NOT EXISTS `t_old` BEFORE UPDATE ON `shop`.`users` FOR EACH "
            "ROW BEGIN IF COALESCE(@cutover_version, '') <> 'v2' THEN BEGIN SET NEW.a = 1; END; "
            "END IF; END");
  Step new_version = create_mariadb_trigger(
      context, {.table = "users",
                .name = "t_new",
                .timing = "AFTER",
                .event = "DELETE",
                .writer = MariaDbTrigger::Writer::kNewVersion,
                .variables = {{"nick", "nickname", "varchar(20)"}},
                .body = "DELETE FROM x;"});
  EXPECT_TRUE(contains(new_version.sql, "IF @cutover_version = 'v2' THEN BEGIN DECLARE "
                                        "`nick` varchar(20) DEFAULT OLD.`nickname`; "))
      << new_version.sql;
}

TEST(MariaDbVersionDatabase, HoldsAnInvokerViewPerTableAndViewAndTheGrants) {
  const db::Catalog cat = catalog();
  const ChangeContext context = context_for(cat);
  VersionShape shape = VersionShape::from_catalog(cat);
  shape.find("users")->find("nickname")->name = "nick";
  const std::string sql =
      all_sql(create_version_database(context, shape, {{"'app'@'%'", {"INSERT", "SELECT"}}}));
  EXPECT_TRUE(contains(sql, "CREATE DATABASE IF NOT EXISTS \"v2\"\n")) << sql;
  EXPECT_TRUE(contains(sql, "CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW "
                            "\"v2\".\"users\" AS SELECT \"id\", \"username\", \"nickname\" AS "
                            "\"nick\", \"team_id\" FROM \"shop\".\"users\"\n"))
      << sql;
  EXPECT_TRUE(contains(sql, "VIEW \"v2\".\"user_names\" AS SELECT * FROM \"shop\".\"user_names\""))
      << sql;
  EXPECT_TRUE(contains(sql, "GRANT INSERT, SELECT ON \"v2\".* TO 'app'@'%'")) << sql;
  EXPECT_EQ(drop_version_database(context).at(0).sql, "DROP DATABASE IF EXISTS \"v2\"");
}

TEST(MariaDbOperations, RenameColumnCopiesInsteadOfRenaming) {
  const db::Catalog cat = catalog();
  const ChangeContext context = context_for(cat);
  auto rename = operation("rename_column", R"j({"table": "users", "from": "username", "to": "login"})j");
  rename->validate(context);
  const std::string expand = all_sql(rename->expand(context));
  EXPECT_TRUE(contains(expand, "ADD COLUMN IF NOT EXISTS \"login\" varchar(20) AFTER \"username\", "
                               "ALGORITHM=INSTANT"))
      << expand;
  EXPECT_TRUE(contains(expand, "SET NEW.`login` = NEW.`username`;")) << expand;
  EXPECT_TRUE(contains(expand, "SET NEW.`username` = NEW.`login`;")) << expand;
  const std::string after = all_sql(rename->after_backfill(context));
  EXPECT_TRUE(contains(after, "ADD UNIQUE INDEX IF NOT EXISTS \"users_username_key_cutover\" "
                              "(\"login\")"))
      << after;
  EXPECT_TRUE(contains(after, "ADD INDEX IF NOT EXISTS \"users_username_id_cutover\" (\"login\", "
                              "\"id\")"))
      << after;
  // Complete sees the table as start left it: the new column beside the old one.
  db::Catalog started = catalog();
  started.tables[1].columns.push_back({"login", "varchar(20)", std::nullopt, true, 5});
  const std::string sql = all_sql(rename->contract(context_for(started)));
  // Nullable before the triggers that fill it go; the column and its indexes in one statement.
  EXPECT_LT(sql.find("MODIFY \"username\" varchar(20) NULL"), sql.find("DROP TRIGGER")) << sql;
  EXPECT_TRUE(contains(sql, "DROP INDEX IF EXISTS \"users_username_key\", RENAME INDEX "
                            "\"users_username_key_cutover\" TO \"users_username_key\", DROP INDEX "
                            "IF EXISTS \"users_username_id\", RENAME INDEX "
                            "\"users_username_id_cutover\" TO \"users_username_id\", DROP COLUMN "
                            "\"username\""))
      << sql;
  EXPECT_TRUE(contains(sql, "MODIFY \"login\" varchar(20) NOT NULL")) << sql;
  const std::string rollback = all_sql(rename->rollback(context));
  EXPECT_TRUE(contains(rollback, "DROP INDEX IF EXISTS \"users_username_id_cutover\", ")) << rollback;
  EXPECT_TRUE(contains(rollback, "DROP COLUMN IF EXISTS \"login\"")) << rollback;
  VersionShape shape = VersionShape::from_catalog(cat);
  rename->shape(shape, context);
  ASSERT_TRUE(shape.find("users"));
  EXPECT_TRUE(shape.find("users")->find("login"));
  EXPECT_FALSE(shape.find("users")->find("username"));
}

TEST(MariaDbOperations, OnlineDdlNamesItsAlgorithm) {
  const db::Catalog cat = catalog();
  const ChangeContext context = context_for(cat);
  auto add = operation("add_column", R"j({"table": "users", "column": {"name": "email",
      "type": "varchar(200)", "nullable": false, "unique": true}, "up": "CONCAT(username, '@x')"})j");
  add->validate(context);
  const std::string expand = all_sql(add->expand(context));
  EXPECT_TRUE(contains(expand, "ADD COLUMN IF NOT EXISTS \"email\" varchar(200), ALGORITHM=INSTANT"))
      << expand;
  EXPECT_TRUE(contains(expand, "SET NEW.`email` = (CONCAT(username, '@x'));")) << expand;
  EXPECT_TRUE(contains(all_sql(add->after_backfill(context)), "ALGORITHM=INPLACE, LOCK=NONE"));
  EXPECT_TRUE(contains(all_sql(add->contract(context)),
                       "MODIFY \"email\" varchar(200) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE"));

  auto index = operation("create_index", R"j({"name": "users_nick", "table": "users",
                                             "columns": ["nickname"]})j");
  EXPECT_EQ(index->expand(context).at(0).sql,
            "ALTER TABLE \"shop\".\"users\" ADD INDEX IF NOT EXISTS \"users_nick\" "
            "(\"nickname\"), ALGORITHM=INPLACE, LOCK=NONE");

  // (team_id has users_team_fk already: a second key there is refused, see below.)
  auto fk = operation("add_constraint", R"j({"table": "users", "name": "users_id_fk",
      "references": {"columns": ["id"], "table": "teams", "ref_columns": ["id"]}})j");
  fk->validate(context);
  EXPECT_TRUE(contains(fk->expand(context).at(0).sql,
                       "SET STATEMENT foreign_key_checks = 0 FOR ALTER TABLE"));
  EXPECT_TRUE(contains(fk->after_backfill(context).at(0).sql, "SIGNAL SQLSTATE '23000'"));
}

TEST(MariaDbOperations, CopyingTheTableIsRefusedUnlessAllowed) {
  const db::Catalog cat = catalog();
  ChangeContext context = context_for(cat);
  auto unique_text = operation("add_column", R"j({"table": "users", "column": {"name": "bio",
                                                   "type": "TEXT", "unique": true}})j");
  EXPECT_TRUE(contains(bad_input([&] { unique_text->validate(context); }),
                       "a unique key on a TEXT, BLOB or JSON column only by copying"));
  auto check = operation("add_constraint", R"j({"table": "users", "name": "c", "check": "id > 0"})j");
  EXPECT_TRUE(contains(bad_input([&] { check->validate(context); }),
                       "a check constraint only by copying"));
  context.allow_copy_alter = true;
  unique_text->validate(context);
  EXPECT_TRUE(contains(all_sql(unique_text->after_backfill(context)),
                       "ADD UNIQUE INDEX IF NOT EXISTS \"users_bio_key\" (\"bio\"), "
                       "ALGORITHM=COPY, LOCK=SHARED"));
  check->validate(context);
  EXPECT_EQ(check->after_backfill(context).at(0).sql,
            "ALTER TABLE \"shop\".\"users\" ADD CONSTRAINT IF NOT EXISTS \"c\" CHECK (id > 0), "
            "ALGORITHM=COPY, LOCK=SHARED");
  EXPECT_TRUE(is_mariadb_long_type("text"));
  EXPECT_TRUE(is_mariadb_long_type("LONGBLOB"));
  EXPECT_FALSE(is_mariadb_long_type("varchar(20)"));
  EXPECT_FALSE(is_mariadb_long_type("textual_enum"));
}

TEST(MariaDbOperations, RefusesWhatCannotBeDoneOnline) {
  const db::Catalog cat = catalog();
  const ChangeContext context = context_for(cat);
  EXPECT_TRUE(contains(bad_input([&] {
    operation("add_column", R"j({"table": "users", "column": {"name": "age", "type": "int",
                                "check": "age > 0"}})j")
        ->validate(context);
  }), "a column with a check only by copying the table"));
  EXPECT_TRUE(contains(bad_input([&] {
    operation("add_constraint", R"j({"table": "users", "name": "c", "check": "id > 0"})j")
        ->validate(context);
  }), "copying the table"));
  EXPECT_TRUE(contains(bad_input([&] {
    operation("create_index", R"j({"name": "i", "table": "users", "columns": ["id"],
                                  "where": "id > 0"})j")
        ->validate(context);
  }), "no partial indexes"));
  // Dropping it would narrow users_username_id to (id).
  EXPECT_TRUE(contains(bad_input([&] {
    operation("drop_column", R"j({"table": "users", "column": "username"})j")->validate(context);
  }), "users_username_id"));
  EXPECT_TRUE(contains(bad_input([&] {
    operation("drop_column", R"j({"table": "users", "column": "nickname"})j")->validate(context);
  }), "view user_names"));
  EXPECT_TRUE(contains(bad_input([&] {
    operation("drop_index", R"j({"name": "users_team_fk"})j")->validate(context);
  }), "foreign key"));
  EXPECT_TRUE(contains(bad_input([&] {
    operation("add_constraint", R"j({"table": "users", "name": "users_team_fk2",
                                    "references": {"columns": ["team_id"], "table": "teams",
                                                   "ref_columns": ["id"]}})j")
        ->validate(context);
  }), "foreign key users_team_fk of users is on (team_id) already"));
  // split_to_table drops the moved columns at complete: the same refusals, before start.
  for (const auto& [column, reason] : {std::pair{"username", "users_username_id"},
                                       std::pair{"nickname", "view user_names"},
                                       std::pair{"team_id", "foreign key users_team_fk"}}) {
    EXPECT_TRUE(contains(bad_input([&] {
      operation("split_to_table",
                fmt::format(R"j({{"table": "users", "columns": ["{}"], "into": "moved",
                                 "key": "user_id"}})j",
                            column))
          ->validate(context);
    }), reason)) << column;
  }
  EXPECT_FALSE(operation("rename_table", R"j({"from": "users", "to": "accounts"})j")
                   ->supports(db::Flavor::kMariaDb));
  EXPECT_FALSE(operation("alter_column", R"j({"table": "users", "column": "nickname",
                                             "nullable": false, "up": "''"})j")
                   ->supports(db::Flavor::kMariaDb));
}

}  // namespace
}  // namespace cutover::change
