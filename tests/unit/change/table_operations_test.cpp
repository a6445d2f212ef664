// The table-level operations (create/drop/rename table, create/drop index, add/drop constraint,
// sql): the steps they generate, the shape they give the new version, and what they refuse,
// against a catalog made by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "change/change_context.h"
#include "change/change_spec.h"
#include "change/operation.h"
#include "change/version_shape.h"
#include "core/error.h"
#include "db/catalog.h"

namespace cutover::change {
namespace {

// users (id, username, email, age) with its primary key, a unique key, a check and an index;
// orders (id, user_id) referencing users(id); legacy (id); a view and a sequence.
db::Catalog test_catalog() {
  db::Catalog catalog;
  db::TableInfo legacy;
  legacy.schema = "public";
  legacy.name = "legacy";
  legacy.columns = {{"id", "integer", std::nullopt, false, 1}};
  legacy.primary_key = db::KeyInfo{"legacy_pkey", {"id"}};
  legacy.indexes = {{"legacy_pkey", {"id"}, true, true, true}};

  db::TableInfo orders;
  orders.schema = "public";
  orders.name = "orders";
  orders.columns = {{"id", "integer", std::nullopt, false, 1},
                    {"user_id", "integer", std::nullopt, true, 2}};
  orders.primary_key = db::KeyInfo{"orders_pkey", {"id"}};
  orders.indexes = {{"orders_pkey", {"id"}, true, true, true}};
  orders.foreign_keys = {
      {"orders_user_id_fkey", {"user_id"}, "users", {"id"}, "NO ACTION", "NO ACTION"}};

  db::TableInfo users;
  users.schema = "public";
  users.name = "users";
  users.columns = {{"id", "integer", "nextval('users_id_seq'::regclass)", false, 1},
                   {"username", "text", std::nullopt, false, 2},
                   {"email", "text", std::nullopt, true, 3},
                   {"age", "integer", std::nullopt, true, 4}};
  users.primary_key = db::KeyInfo{"users_pkey", {"id"}};
  users.unique_keys = {{"users_username_key", {"username"}}};
  users.indexes = {{"users_pkey", {"id"}, true, true, true},
                   {"users_username_key", {"username"}, true, false, true},
                   {"users_email_idx", {"email"}, false, false, true}};
  users.checks = {{"users_age_check", "CHECK (age >= 0)"}};

  catalog.tables = {legacy, orders, users};
  catalog.views = {{"public", "active_users", "SELECT ..."}};
  catalog.sequences = {{"public", "users_id_seq"}};
  return catalog;
}

class TableOperations : public ::testing::Test {
 protected:
  TableOperations() : catalog_(test_catalog()) {
    context_.flavor = db::Flavor::kPostgres;
    context_.change = "v2";
    context_.base_schema = "public";
    context_.catalog = &catalog_;
  }

  // The first operation of a change file whose `operations:` list is `operation` (YAML).
  static std::unique_ptr<Operation> make(const std::string& operation) {
    ChangeSpec spec = parse_change_text("operations:\n  - " + operation + "\n", "c.yaml");
    return make_operation(spec.operations.at(0));
  }

  // `call` must throw Error(kBadInput) whose message holds `part`, with a hint.
  template <typename Call>
  static void expect_bad_input(Call call, const std::string& part) {
    try {
      call();
      ADD_FAILURE() << "no error, expected one saying: " << part;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.message();
      EXPECT_NE(e.message().find(part), std::string::npos) << e.message();
      EXPECT_FALSE(e.hint().empty()) << e.message();
    }
  }

  void use_sqlite() {
    context_.flavor = db::Flavor::kSqlite;
    context_.base_schema = "main";
  }

  db::Catalog catalog_;
  ChangeContext context_;
};

std::vector<std::string> sql_of(const std::vector<Step>& steps) {
  std::vector<std::string> sql;
  for (const auto& step : steps) sql.push_back(step.sql);
  return sql;
}

using Sql = std::vector<std::string>;

TEST_F(TableOperations, KindsAreRegisteredInTheirOrder) {
  const auto& kinds = operation_kinds();
  auto position = [&](const std::string& kind) {
    return std::find(kinds.begin(), kinds.end(), kind) - kinds.begin();
  };
  std::vector<std::string> order = {"create_table",    "drop_table",     "rename_table",
                                    "create_index",    "drop_index",     "add_constraint",
                                    "drop_constraint", "split_to_table", "sql"};
  for (std::size_t i = 0; i < order.size(); ++i) {
    ASSERT_LT(position(order[i]), static_cast<long>(kinds.size())) << order[i];
    if (i > 0) {
      EXPECT_LT(position(order[i - 1]), position(order[i])) << order[i];
    }
  }
  EXPECT_EQ(kinds.back(), "sql");
}

// --- create_table

constexpr const char* kAddresses =
    "create_table:\n"
    "      name: addresses\n"
    "      columns:\n"
    "        - {name: id, type: serial, primary_key: true}\n"
    "        - {name: user_id, type: integer, nullable: false,\n"
    "           references: {table: users, column: id, on_delete: cascade}}\n"
    "        - {name: line_1, type: \"varchar(100)\", default: \"''\", check: \"line_1 <> ''\"}\n"
    "        - {name: code, type: text, unique: true}";

TEST_F(TableOperations, CreateTableOnPostgres) {
  auto op = make(kAddresses);
  EXPECT_TRUE(op->supports(db::Flavor::kPostgres));
  EXPECT_TRUE(op->supports(db::Flavor::kSqlite));
  EXPECT_TRUE(op->supports(db::Flavor::kMariaDb));
  EXPECT_NO_THROW(op->validate(context_));
  auto steps = op->expand(context_);
  EXPECT_EQ(sql_of(steps),
            Sql{"CREATE TABLE IF NOT EXISTS \"public\".\"addresses\" (\n"
                "  \"id\" serial PRIMARY KEY,\n"
                "  \"user_id\" integer NOT NULL REFERENCES \"public\".\"users\" (\"id\") "
                "ON DELETE CASCADE,\n"
                "  \"line_1\" varchar(100) DEFAULT '' CHECK (line_1 <> ''),\n"
                "  \"code\" text UNIQUE\n"
                ")"});
  EXPECT_FALSE(steps[0].outside_transaction);
  EXPECT_TRUE(op->after_backfill(context_).empty());
  EXPECT_TRUE(op->backfill(context_).empty());
  EXPECT_TRUE(op->contract(context_).empty());
  EXPECT_EQ(sql_of(op->rollback(context_)), Sql{"DROP TABLE IF EXISTS \"public\".\"addresses\""});
}

TEST_F(TableOperations, CreateTableOnSqliteNumbersRowsWithIntegerPrimaryKey) {
  use_sqlite();
  auto op = make(kAddresses);
  EXPECT_EQ(sql_of(op->expand(context_)),
            Sql{"CREATE TABLE IF NOT EXISTS \"addresses\" (\n"
                "  \"id\" INTEGER PRIMARY KEY,\n"
                "  \"user_id\" integer NOT NULL REFERENCES \"users\" (\"id\") ON DELETE CASCADE,\n"
                "  \"line_1\" varchar(100) DEFAULT ('') CHECK (line_1 <> ''),\n"
                "  \"code\" text UNIQUE\n"
                ")"});
  EXPECT_EQ(sql_of(op->rollback(context_)), Sql{"DROP TABLE IF EXISTS \"addresses\""});
}

TEST_F(TableOperations, CreateTableWithACompositeKey) {
  auto op = make(
      "create_table: {name: pairs, columns: [{name: a, type: int, primary_key: true}, "
      "{name: b, type: int, primary_key: true}, {name: c, type: text, nullable: false}]}");
  EXPECT_EQ(sql_of(op->expand(context_)), Sql{"CREATE TABLE IF NOT EXISTS \"public\".\"pairs\" (\n"
                                              "  \"a\" int,\n"
                                              "  \"b\" int,\n"
                                              "  \"c\" text NOT NULL,\n"
                                              "  PRIMARY KEY (\"a\", \"b\")\n"
                                              ")"});
}

TEST_F(TableOperations, CreateTableShapeShowsTheDeclaredColumns) {
  auto op = make(kAddresses);
  VersionShape shape = VersionShape::from_catalog(catalog_);
  op->shape(shape, context_);
  VersionTable* table = shape.find("addresses");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->table, "addresses");
  ASSERT_EQ(table->columns.size(), 4u);
  EXPECT_EQ(table->columns[2].name, "line_1");
  EXPECT_EQ(table->columns[2].column, "line_1");
  // Already in the catalog (read after expand): still once.
  catalog_.tables.push_back({.schema = "public", .name = "addresses"});
  catalog_.tables.back().columns = {{"id", "integer", std::nullopt, false, 1}};
  shape = VersionShape::from_catalog(catalog_);
  op->shape(shape, context_);
  EXPECT_EQ(std::count_if(shape.tables.begin(), shape.tables.end(),
                          [](const VersionTable& t) { return t.view == "addresses"; }),
            1);
  EXPECT_EQ(shape.find("addresses")->columns.size(), 4u);
  EXPECT_NE(shape.find("users"), nullptr);
}

TEST_F(TableOperations, CreateTableRefusesBadInput) {
  expect_bad_input(
      [&] {
        make("create_table: {name: users, columns: [{name: id, type: int}]}")->validate(context_);
      },
      "table users exists already");
  expect_bad_input(
      [&] {
        make("create_table: {name: active_users, columns: [{name: id, type: int}]}")
            ->validate(context_);
      },
      "active_users is a view");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: u, type: int, references: "
            "{table: nowhere, column: id}}]}")
            ->validate(context_);
      },
      "there is no table nowhere");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: u, type: int, references: "
            "{table: users, column: nothing}}]}")
            ->validate(context_);
      },
      "table users has no column nothing");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: u, type: int, references: "
            "{table: t, column: nothing}}]}")
            ->validate(context_);
      },
      "references t.nothing, which is not declared");
  EXPECT_NO_THROW(make("create_table: {name: t, columns: [{name: id, type: int, primary_key: "
                       "true}, {name: parent, type: int, references: {table: t, column: id}}]}")
                      ->validate(context_));
  EXPECT_NO_THROW(make("create_table: {name: t, columns: [{name: u, type: text, references: "
                       "{table: users, column: username}}]}")
                      ->validate(context_));
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: u, type: int, references: "
            "{table: users, column: age}}]}")
            ->validate(context_);
      },
      "references users.age, which is neither the primary key nor a unique key of users");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: a, type: int, primary_key: true}, "
            "{name: b, type: int, primary_key: true}, {name: c, type: int, references: "
            "{table: t, column: a}}]}")
            ->validate(context_);
      },
      "references t.a, which is neither the primary key nor unique");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: a, type: int}, "
            "{name: a, type: text}]}");
      },
      "column a is declared twice");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: a, type: int, "
            "primary_key: true, nullable: true}]}");
      },
      "is a primary key and nullable");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: a, type: int, "
            "refrences: {table: users, column: id}}]}");
      },
      "refrences");
  expect_bad_input([&] { make("create_table: {name: t, columns: [{name: a}]}"); }, "type");
  expect_bad_input([&] { make("create_table: {name: t, columns: []}"); }, "columns");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: t, columns: [{name: a, type: int, "
            "references: {table: users, column: id, on_delete: explode}}]}");
      },
      "on_delete is 'explode'");
  expect_bad_input(
      [&] {
        make(
            "create_table: {name: \"bad name\", columns: [{name: a, type: "
            "int}]}");
      },
      "bad name");
}

// --- drop_table

TEST_F(TableOperations, DropTableOnComplete) {
  auto op = make("drop_table: {name: legacy}");
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  EXPECT_TRUE(op->expand(context_).empty());
  EXPECT_TRUE(op->rollback(context_).empty());
  EXPECT_EQ(sql_of(op->contract(context_)), Sql{"DROP TABLE IF EXISTS \"public\".\"legacy\""});
  VersionShape shape = VersionShape::from_catalog(catalog_);
  op->shape(shape, context_);
  EXPECT_EQ(shape.find("legacy"), nullptr);
  EXPECT_NE(shape.find("users"), nullptr);
}

TEST_F(TableOperations, DropTableRefusesBadInput) {
  expect_bad_input([&] { make("drop_table: {name: nowhere}")->validate(context_); },
                   "there is no table nowhere");
  expect_bad_input([&] { make("drop_table: {name: users}")->validate(context_); },
                   "foreign key orders_user_id_fkey of table orders references users");
  expect_bad_input([&] { make("drop_table: {name: legacy, cascade: true}"); }, "cascade");
  expect_bad_input([&] { make("drop_table: {}"); }, "name");
}

// --- rename_table

TEST_F(TableOperations, RenameTableShowsTheNewNameThenRenames) {
  auto op = make("rename_table: {from: users, to: accounts}");
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  EXPECT_TRUE(op->expand(context_).empty());
  EXPECT_TRUE(op->rollback(context_).empty());
  VersionShape shape = VersionShape::from_catalog(catalog_);
  op->shape(shape, context_);
  EXPECT_EQ(shape.find("users"), nullptr);
  VersionTable* accounts = shape.find("accounts");
  ASSERT_NE(accounts, nullptr);
  EXPECT_EQ(accounts->table, "users");
  EXPECT_EQ(accounts->columns.size(), 4u);
  auto steps = op->contract(context_);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].sql, "ALTER TABLE \"public\".\"users\" RENAME TO \"accounts\"");
  EXPECT_EQ(steps[0].done_if,
            "SELECT 1 WHERE to_regclass('\"public\".\"users\"') IS NULL AND "
            "to_regclass('\"public\".\"accounts\"') IS NOT NULL");
}

TEST_F(TableOperations, RenameTableRefusesBadInput) {
  expect_bad_input([&] { make("rename_table: {from: nowhere, to: x}")->validate(context_); },
                   "there is no table nowhere");
  for (const char* taken : {"orders", "active_users", "users_id_seq", "users_email_idx"}) {
    expect_bad_input(
        [&] {
          make(std::string("rename_table: {from: users, to: ") + taken + "}")->validate(context_);
        },
        std::string(taken) + " already names");
  }
  expect_bad_input([&] { make("rename_table: {from: users, to: users}"); }, "both users");
  auto op = make("rename_table: {from: users, to: accounts}");
  VersionShape shape = VersionShape::from_catalog(catalog_);
  shape.remove("users");
  expect_bad_input([&] { op->shape(shape, context_); }, "no table users to rename");
}

// --- create_index

TEST_F(TableOperations, CreateIndexConcurrentlyOnPostgres) {
  auto op = make("create_index: {name: users_age_idx, table: users, columns: [age, email]}");
  EXPECT_TRUE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  auto steps = op->expand(context_);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].sql,
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"users_age_idx\" ON \"public\".\"users\" "
            "(\"age\", \"email\")");
  EXPECT_TRUE(steps[0].outside_transaction);
  EXPECT_EQ(steps[0].builds_index, "users_age_idx");
  EXPECT_TRUE(op->contract(context_).empty());
  auto rollback = op->rollback(context_);
  ASSERT_EQ(rollback.size(), 1u);
  EXPECT_EQ(rollback[0].sql, "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"users_age_idx\"");
  EXPECT_TRUE(rollback[0].outside_transaction);
}

TEST_F(TableOperations, CreateUniquePartialIndexWithAMethod) {
  auto op = make(
      "create_index: {name: i, table: users, columns: [email], unique: true, method: btree, "
      "where: \"email IS NOT NULL\"}");
  EXPECT_EQ(sql_of(op->expand(context_)),
            Sql{"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"i\" ON \"public\".\"users\" "
                "USING btree (\"email\") WHERE email IS NOT NULL"});
}

TEST_F(TableOperations, CreateIndexOnSqlite) {
  use_sqlite();
  auto op = make("create_index: {name: i, table: users, columns: [email], unique: true}");
  auto steps = op->expand(context_);
  EXPECT_EQ(sql_of(steps), Sql{"CREATE UNIQUE INDEX IF NOT EXISTS \"i\" ON \"users\" (\"email\")"});
  EXPECT_FALSE(steps[0].outside_transaction);
  EXPECT_TRUE(steps[0].builds_index.empty());
  EXPECT_EQ(sql_of(op->rollback(context_)), Sql{"DROP INDEX IF EXISTS \"i\""});
  expect_bad_input(
      [&] {
        make("create_index: {name: i, table: users, columns: [email], method: gin}")
            ->validate(context_);
      },
      "SQLite has no index methods");
}

TEST_F(TableOperations, CreateIndexRefusesBadInput) {
  expect_bad_input(
      [&] { make("create_index: {name: i, table: nowhere, columns: [a]}")->validate(context_); },
      "there is no table nowhere");
  expect_bad_input(
      [&] { make("create_index: {name: i, table: users, columns: [nope]}")->validate(context_); },
      "table users has no column nope");
  for (const char* taken : {"users_email_idx", "orders", "users_id_seq", "active_users"}) {
    expect_bad_input(
        [&] {
          make(std::string("create_index: {name: ") + taken + ", table: users, columns: [age]}")
              ->validate(context_);
        },
        std::string(taken) + " already names");
  }
  expect_bad_input(
      [&] {
        make(
            "create_index: {name: i, table: users, columns: [age], "
            "method: \"btree; drop\"}");
      },
      "is not an access method");
  expect_bad_input(
      [&] {
        make(
            "create_index: {name: i, table: users, columns: [age], "
            "unique: yes}");
      },
      "unique");
  expect_bad_input([&] { make("create_index: {name: i, table: users}"); }, "columns");
}

// --- drop_index

// In complete's one transaction, with the other contract steps: all or nothing.
TEST_F(TableOperations, DropIndexOnCompleteInTheContractTransaction) {
  auto op = make("drop_index: {name: users_email_idx}");
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  EXPECT_TRUE(op->expand(context_).empty());
  EXPECT_TRUE(op->rollback(context_).empty());
  auto steps = op->contract(context_);
  EXPECT_EQ(sql_of(steps), Sql{"DROP INDEX IF EXISTS \"public\".\"users_email_idx\""});
  EXPECT_FALSE(steps[0].outside_transaction);
}

TEST_F(TableOperations, DropIndexRefusesIndexesOfConstraints) {
  expect_bad_input([&] { make("drop_index: {name: nowhere}")->validate(context_); },
                   "there is no index nowhere");
  expect_bad_input([&] { make("drop_index: {name: users_pkey}")->validate(context_); },
                   "backs the primary key of users");
  expect_bad_input([&] { make("drop_index: {name: users_username_key}")->validate(context_); },
                   "backs unique constraint users_username_key");
  // A unique index (no constraint) that a foreign key relies on.
  catalog_.tables[2].indexes.push_back({"users_email_key", {"email"}, true, false, true});
  catalog_.tables[1].foreign_keys.push_back(
      {"orders_email_fkey", {"user_id"}, "users", {"email"}, "NO ACTION", "NO ACTION"});
  expect_bad_input([&] { make("drop_index: {name: users_email_key}")->validate(context_); },
                   "foreign key orders_email_fkey of table orders");
}

// --- add_constraint

TEST_F(TableOperations, AddCheckConstraintNotValidThenValidated) {
  auto op = make("add_constraint: {table: users, name: users_age_max, check: \"age < 200\"}");
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  auto expand = op->expand(context_);
  ASSERT_EQ(expand.size(), 1u);
  EXPECT_EQ(expand[0].sql,
            "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"users_age_max\" CHECK (age < 200) "
            "NOT VALID");
  EXPECT_EQ(expand[0].done_if,
            "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('\"public\".\"users\"') "
            "AND conname = 'users_age_max'");
  EXPECT_EQ(sql_of(op->after_backfill(context_)),
            Sql{"ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT \"users_age_max\""});
  EXPECT_TRUE(op->contract(context_).empty());
  EXPECT_EQ(sql_of(op->rollback(context_)),
            Sql{"ALTER TABLE \"public\".\"users\" DROP CONSTRAINT IF EXISTS \"users_age_max\""});
}

TEST_F(TableOperations, AddForeignKeyNotValidThenValidated) {
  auto op = make(
      "add_constraint: {table: orders, name: orders_user_fk, references: {columns: [user_id], "
      "table: users, ref_columns: [id], on_delete: set null}}");
  EXPECT_NO_THROW(op->validate(context_));
  auto expand = op->expand(context_);
  ASSERT_EQ(expand.size(), 1u);
  EXPECT_EQ(expand[0].sql,
            "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"orders_user_fk\" FOREIGN KEY "
            "(\"user_id\") REFERENCES \"public\".\"users\" (\"id\") ON DELETE SET NULL NOT VALID");
  EXPECT_FALSE(expand[0].done_if.empty());
  EXPECT_EQ(sql_of(op->after_backfill(context_)),
            Sql{"ALTER TABLE \"public\".\"orders\" VALIDATE CONSTRAINT \"orders_user_fk\""});
  EXPECT_EQ(sql_of(op->rollback(context_)),
            Sql{"ALTER TABLE \"public\".\"orders\" DROP CONSTRAINT IF EXISTS \"orders_user_fk\""});
  // A unique key is a valid target too.
  EXPECT_NO_THROW(make("add_constraint: {table: orders, name: f, references: {columns: "
                       "[user_id], table: users, ref_columns: [username]}}")
                      ->validate(context_));
}

TEST_F(TableOperations, AddUniqueConstraintFromAConcurrentIndex) {
  auto op = make("add_constraint: {table: users, name: users_email_key, unique: [email]}");
  EXPECT_NO_THROW(op->validate(context_));
  auto expand = op->expand(context_);
  ASSERT_EQ(expand.size(), 1u);
  EXPECT_EQ(expand[0].sql,
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"users_email_key\" ON "
            "\"public\".\"users\" (\"email\")");
  EXPECT_TRUE(expand[0].outside_transaction);
  EXPECT_EQ(expand[0].builds_index, "users_email_key");
  auto after = op->after_backfill(context_);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].sql,
            "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"users_email_key\" UNIQUE USING "
            "INDEX \"users_email_key\"");
  EXPECT_FALSE(after[0].done_if.empty());
  auto rollback = op->rollback(context_);
  ASSERT_EQ(rollback.size(), 2u);
  EXPECT_EQ(rollback[0].sql,
            "ALTER TABLE \"public\".\"users\" DROP CONSTRAINT IF EXISTS \"users_email_key\"");
  EXPECT_FALSE(rollback[0].outside_transaction);
  EXPECT_EQ(rollback[1].sql, "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"users_email_key\"");
  EXPECT_TRUE(rollback[1].outside_transaction);
}

TEST_F(TableOperations, AddConstraintRefusesBadInput) {
  expect_bad_input([&] { make("add_constraint: {table: users, name: c}"); },
                   "exactly one of check, unique and references (0 given)");
  expect_bad_input(
      [&] { make("add_constraint: {table: users, name: c, check: \"a\", unique: [age]}"); },
      "(2 given)");
  expect_bad_input([&] { make("add_constraint: {table: users, name: c, chek: \"age > 0\"}"); },
                   "chek");
  expect_bad_input(
      [&] {
        make(
            "add_constraint: {table: orders, name: f, references: {columns: [user_id], table: "
            "users, ref_columns: [id, age]}}");
      },
      "1 columns and 2 ref_columns");
  expect_bad_input(
      [&] {
        make("add_constraint: {table: nowhere, name: c, check: \"true\"}")->validate(context_);
      },
      "there is no table nowhere");
  expect_bad_input(
      [&] {
        make("add_constraint: {table: users, name: users_age_check, check: \"age > 1\"}")
            ->validate(context_);
      },
      "table users has a constraint users_age_check already");
  expect_bad_input(
      [&] {
        make("add_constraint: {table: users, name: users_email_idx, unique: [email]}")
            ->validate(context_);
      },
      "users_email_idx already names");
  expect_bad_input(
      [&] { make("add_constraint: {table: users, name: c, unique: [nope]}")->validate(context_); },
      "table users has no column nope");
  expect_bad_input(
      [&] {
        make(
            "add_constraint: {table: orders, name: f, references: {columns: [user_id], table: "
            "users, ref_columns: [age]}}")
            ->validate(context_);
      },
      "(age) is neither the primary key nor a unique key of users");
  expect_bad_input(
      [&] {
        make(
            "add_constraint: {table: orders, name: f, references: {columns: [nope], table: "
            "users, ref_columns: [id]}}")
            ->validate(context_);
      },
      "table orders has no column nope");
  expect_bad_input(
      [&] {
        make(
            "add_constraint: {table: orders, name: f, references: {columns: [user_id], table: "
            "nowhere, ref_columns: [id]}}")
            ->validate(context_);
      },
      "there is no table nowhere");
}

// --- drop_constraint

TEST_F(TableOperations, DropConstraintOnComplete) {
  auto op = make("drop_constraint: {table: users, name: users_age_check}");
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  EXPECT_TRUE(op->expand(context_).empty());
  EXPECT_TRUE(op->after_backfill(context_).empty());
  EXPECT_TRUE(op->rollback(context_).empty());
  EXPECT_EQ(sql_of(op->contract(context_)),
            Sql{"ALTER TABLE \"public\".\"users\" DROP CONSTRAINT IF EXISTS \"users_age_check\""});
  EXPECT_NO_THROW(
      make("drop_constraint: {table: users, name: users_username_key}")->validate(context_));
  EXPECT_NO_THROW(
      make("drop_constraint: {table: orders, name: orders_user_id_fkey}")->validate(context_));
}

TEST_F(TableOperations, DropConstraintRefusesBadInput) {
  expect_bad_input([&] { make("drop_constraint: {table: users, name: nope}")->validate(context_); },
                   "table users has no constraint nope");
  expect_bad_input(
      [&] { make("drop_constraint: {table: users, name: users_pkey}")->validate(context_); },
      "foreign key orders_user_id_fkey of table orders references the key users_pkey");
  expect_bad_input([&] { make("drop_constraint: {table: nowhere, name: c}")->validate(context_); },
                   "there is no table nowhere");
  expect_bad_input(
      [&] { make("drop_constraint: {table: users, name: users_age_check, down: \"age\"}"); },
      "drop_constraint takes no `down`");
  expect_bad_input([&] { make("drop_constraint: {table: users}"); }, "name");
}

// --- sql

TEST_F(TableOperations, SqlRunsEachStatementOnItsOwn) {
  auto op = make(
      "sql:\n"
      "      up: |\n"
      "        CREATE TABLE IF NOT EXISTS audit (id bigserial PRIMARY KEY, note text);\n"
      "        -- the index, without blocking writes\n"
      "        CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_note_idx ON audit (note);\n"
      "      down: \"DROP TABLE IF EXISTS audit\"\n"
      "      complete: \"COMMENT ON TABLE audit IS 'kept; for good'\"");
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  EXPECT_NO_THROW(op->validate(context_));
  auto up = op->expand(context_);
  EXPECT_EQ(sql_of(up),
            (Sql{"CREATE TABLE IF NOT EXISTS audit (id bigserial PRIMARY KEY, note text)",
                 "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_note_idx ON audit (note)"}));
  ASSERT_EQ(up.size(), 2u);
  EXPECT_TRUE(up[1].outside_transaction);
  EXPECT_EQ(up[1].what, "sql up, statement 2 (line 3 of up)");
  EXPECT_EQ(sql_of(op->rollback(context_)), Sql{"DROP TABLE IF EXISTS audit"});
  EXPECT_EQ(sql_of(op->contract(context_)), Sql{"COMMENT ON TABLE audit IS 'kept; for good'"});
  EXPECT_TRUE(make("sql: {up: \"SELECT 1\", down: \"SELECT 2\"}")->contract(context_).empty());
}

TEST_F(TableOperations, SqlRefusesBadInput) {
  expect_bad_input([&] { make("sql: {up: \"CREATE TABLE a (b int)\"}"); }, "down");
  expect_bad_input([&] { make("sql: {down: \"DROP TABLE a\"}"); }, "up");
  expect_bad_input([&] { make("sql: {up: \"-- nothing\", down: \"SELECT 1\"}"); },
                   "up holds no SQL statement");
  expect_bad_input([&] { make("sql: {up: \"SELECT 'open\", down: \"SELECT 1\"}"); }, "up: ");
  expect_bad_input([&] { make("sql: {up: \"SELECT 1\", down: \"SELECT 1\", undo: \"x\"}"); },
                   "undo");
}

}  // namespace
}  // namespace cutover::change
