// The steps add_column, drop_column, rename_column and alter_column generate, on a fake catalog.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operations/column_copy.h"
#include "change/version_shape.h"
#include "core/error.h"

namespace cutover::change {
namespace {

// users (id PK, username NOT NULL, email UNIQUE, score NOT NULL DEFAULT 0 CHECK >= 0, team_id FK
// to teams ON DELETE CASCADE, seq serial), with indexes on score, lower(username) and
// (team_id, score); teams (id PK).
db::Catalog base_catalog() {
  db::TableInfo teams;
  teams.schema = "public";
  teams.name = "teams";
  teams.columns = {{"id", "integer", std::nullopt, false, 1}};
  teams.primary_key = db::KeyInfo{"teams_pkey", {"id"}};
  teams.indexes = {{"teams_pkey", {"id"}, true, true, true}};

  db::TableInfo users;
  users.schema = "public";
  users.name = "users";
  users.columns = {
      {"id", "integer", std::nullopt, false, 1},
      {"username", "text", std::nullopt, false, 2},
      {"email", "character varying(200)", std::nullopt, true, 3},
      {"score", "integer", "0", false, 4},
      {"team_id", "integer", std::nullopt, true, 5},
      {"seq", "integer", "nextval('users_seq_seq'::regclass)", false, 6},
  };
  users.primary_key = db::KeyInfo{"users_pkey", {"id"}};
  users.unique_keys = {{"users_email_key", {"email"}}};
  users.indexes = {
      {"users_email_key", {"email"}, true, false, true},
      {"users_lower_username", {"lower(username)"}, false, false, true},
      {"users_pkey", {"id"}, true, true, true},
      {"users_score_idx", {"score"}, false, false, true},
      {"users_team_score", {"team_id", "score"}, false, false, true},
  };
  users.foreign_keys = {
      {"users_team_id_fkey", {"team_id"}, "teams", {"id"}, "NO ACTION", "CASCADE"}};
  users.checks = {{"users_score_check", "CHECK (score >= 0)"}};

  db::Catalog catalog;
  catalog.tables = {teams, users};
  catalog.sequences = {{"public", "users_seq_seq"}};
  return catalog;
}

db::TableInfo& table_of(db::Catalog& catalog, const std::string& name) {
  for (auto& table : catalog.tables) {
    if (table.name == name) return table;
  }
  throw std::logic_error("no table " + name);
}

OperationSpec spec_of(const std::string& kind, const std::string& args, int index = 0) {
  OperationSpec spec;
  spec.kind = kind;
  spec.args = nlohmann::json::parse(args);
  spec.index = index;
  spec.line = 3;
  return spec;
}

ChangeContext context_for(const db::Catalog& catalog, db::Flavor flavor = db::Flavor::kPostgres) {
  ChangeContext context;
  context.flavor = flavor;
  context.change = "v2";
  context.base_schema = flavor == db::Flavor::kSqlite ? "main" : "public";
  context.catalog = &catalog;
  return context;
}

std::vector<std::string> sql_of(const std::vector<Step>& steps) {
  std::vector<std::string> out;
  for (const auto& step : steps) out.push_back(step.sql);
  return out;
}

// Index of the first step whose SQL contains `text`, or -1.
int find_step(const std::vector<Step>& steps, const std::string& text) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].sql.find(text) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The message of the Error(kBadInput) `f` throws; fails the test when it throws nothing.
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

std::vector<std::string> view_columns(const VersionShape& shape, const std::string& view) {
  for (const auto& table : shape.tables) {
    if (table.view != view) continue;
    std::vector<std::string> out;
    for (const auto& column : table.columns) out.push_back(column.name + "=" + column.column);
    return out;
  }
  return {};
}

// --- expressions and names --------------------------------------------------------------

TEST(ColumnReferences, RenamesColumnNamesOnly) {
  EXPECT_EQ(rename_column_reference("email <> ''", "email", "_cutover_email"),
            "\"_cutover_email\" <> ''");
  EXPECT_EQ(rename_column_reference("EMAIL = 'email' AND \"email\" IS NOT NULL", "email", "x"),
            "\"x\" = 'email' AND \"x\" IS NOT NULL");
  // A function of that name, a type of that name and another column stay.
  EXPECT_EQ(rename_column_reference("score(x) + score::score + scores", "score", "s"),
            "score(x) + \"s\"::score + scores");
  // Qualified references, and keywords that may name columns.
  EXPECT_EQ(rename_column_reference("users.name || name", "name", "n"), "users.\"n\" || \"n\"");
  // A quoted name with upper case is another column than the unquoted one.
  EXPECT_EQ(rename_column_reference("\"Email\" = email", "email", "x"), "\"Email\" = \"x\"");
  EXPECT_EQ(rename_column_reference("\"Email\" = email", "Email", "x"), "\"x\" = email");
}

TEST(ColumnReferences, MentionsColumn) {
  EXPECT_TRUE(mentions_column("CHECK (score >= 0)", "score"));
  EXPECT_TRUE(mentions_column("CHECK ((a > 0) AND (\"score\" < 10))", "score"));
  EXPECT_FALSE(mentions_column("CHECK (scores >= 0)", "score"));
  EXPECT_FALSE(mentions_column("CHECK (a <> 'score')", "score"));
  EXPECT_FALSE(mentions_column("CHECK (_cutover_score >= 0)", "score"));
}

TEST(ColumnReferences, IndexDefinitionTailKeepsEverythingButTheColumn) {
  EXPECT_EQ(index_definition_tail("CREATE INDEX orders_status_idx ON public.orders USING btree "
                                  "(status DESC NULLS LAST) INCLUDE (note) WHERE (status <> "
                                  "'done'::text)",
                                  "status", "_cutover_status"),
            "USING btree (\"_cutover_status\" DESC NULLS LAST) INCLUDE (note) WHERE "
            "(\"_cutover_status\" <> 'done'::text)");
  EXPECT_EQ(index_definition_tail("CREATE UNIQUE INDEX \"a USING b\" ON public.t USING gin "
                                  "(tags jsonb_path_ops)",
                                  "tags", "x"),
            "USING gin (\"x\" jsonb_path_ops)");
  EXPECT_FALSE(index_definition_tail("lower(email)", "email", "x"));
}

TEST(CopyNames, DecodeWhatTheyEncode) {
  EXPECT_EQ(copy_name(CopyKind::kConstraint, "users_score_check"), "_cutover_c_users_score_check");
  auto decoded = decode_copy_name("_cutover_u_users_email_key");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->kind, CopyKind::kUnique);
  EXPECT_EQ(decoded->final_name, "users_email_key");
  EXPECT_FALSE(decode_copy_name("_cutover_email"));
  EXPECT_FALSE(decode_copy_name("_cutover_n_email"));  // NOT NULL checks are not renamed
  EXPECT_FALSE(decode_copy_name("users_email_key"));

  const std::string longest(52, 'a');
  EXPECT_EQ(copy_name(CopyKind::kIndex, longest).size(), 63u);
  EXPECT_EQ(decode_copy_name(copy_name(CopyKind::kIndex, longest))->final_name, longest);
  const std::string too_long(53, 'a');
  const std::string shortened = copy_name(CopyKind::kIndex, too_long);
  EXPECT_EQ(shortened.size(), 63u);
  EXPECT_TRUE(shortened.starts_with("_cutover_hi_"));
  EXPECT_FALSE(decode_copy_name(shortened));
  EXPECT_NE(shortened, copy_name(CopyKind::kIndex, too_long + "b"));
}

TEST(CopyNames, ChoosesNamesAsPostgresDoes) {
  EXPECT_EQ(choose_name("users", "email", "key", {}), "users_email_key");
  EXPECT_EQ(choose_name("users", "email", "key", {"users_email_key"}), "users_email_key1");
  EXPECT_EQ(choose_name("users", "email", "key", {"users_email_key", "users_email_key1"}),
            "users_email_key2");
  const std::string name = choose_name(std::string(40, 't'), std::string(30, 'c'), "check", {});
  EXPECT_LE(name.size(), 52u);
  EXPECT_TRUE(name.ends_with("_check"));
}

TEST(ShadowValue, CastsToTheTypeWithoutItsModifiersSoThatTheAssignmentChecksThem) {
  EXPECT_EQ(shadow_value("a", "varchar(200)"), "CAST((a) AS varchar)");
  EXPECT_EQ(shadow_value("a", "numeric(10, 2)"), "CAST((a) AS numeric)");
  EXPECT_EQ(shadow_value("a", "timestamp(3) with time zone"),
            "CAST((a) AS timestamp with time zone)");
  EXPECT_EQ(shadow_value("a", "character varying(20)[]"), "CAST((a) AS character varying[])");
  EXPECT_EQ(shadow_value("a", "bigserial"), "CAST((a) AS bigint)");
  // Without a length these would mean one character, one bit.
  EXPECT_EQ(shadow_value("a", "char(3)"), "CAST((a) AS text)");
  EXPECT_EQ(shadow_value("a", "character(3)[]"), "CAST((a) AS text[])");
  EXPECT_EQ(shadow_value("a", "bit(8)"), "CAST((a) AS bit varying)");
  EXPECT_EQ(shadow_value("a", "jsonb"), "CAST((a) AS jsonb)");
}

// --- add_column -------------------------------------------------------------------------

const char* const kAddEmail2 = R"j({"table": "users",
  "column": {"name": "email2", "type": "varchar(200)", "nullable": false, "default": "''",
             "unique": true, "check": "email2 <> ''",
             "references": {"table": "teams", "column": "id", "on_delete": "set null"}},
  "up": "lower(username) || '@example.com'"})j";

TEST(AddColumn, ExpandAddsTheShadowThenTheTriggerThenNotValidConstraints) {
  db::Catalog catalog = base_catalog();
  auto op = make_operation(spec_of("add_column", kAddEmail2, 2));
  ChangeContext context = context_for(catalog);
  op->validate(context);
  auto steps = op->expand(context);
  ASSERT_GE(steps.size(), 7u);
  EXPECT_EQ(steps[0].sql,
            "ALTER TABLE \"public\".\"users\" ADD COLUMN IF NOT EXISTS \"_cutover_email2\" "
            "varchar(200)");
  EXPECT_EQ(steps[1].sql,
            "ALTER TABLE \"public\".\"users\" ALTER COLUMN \"_cutover_email2\" SET DEFAULT ''");
  const int function = find_step(steps, "CREATE OR REPLACE FUNCTION");
  const int trigger = find_step(steps, "CREATE TRIGGER");
  const int not_null =
      find_step(steps, "\"_cutover_n_email2\" CHECK (\"_cutover_email2\" IS NOT NULL) NOT VALID");
  const int check = find_step(steps,
                              "ADD CONSTRAINT \"_cutover_c_users_email2_check\" CHECK "
                              "(\"_cutover_email2\" <> '') NOT VALID");
  const int fkey = find_step(steps,
                             "ADD CONSTRAINT \"_cutover_c_users_email2_fkey\" FOREIGN KEY "
                             "(\"_cutover_email2\") REFERENCES \"public\".\"teams\" (\"id\") ON "
                             "DELETE SET NULL NOT VALID");
  ASSERT_GE(function, 0);
  ASSERT_GE(not_null, 0);
  ASSERT_GE(check, 0);
  ASSERT_GE(fkey, 0);
  // The old version's rows are filled before any constraint on the shadow holds them.
  EXPECT_LT(trigger, not_null);
  EXPECT_LT(trigger, check);
  EXPECT_LT(trigger, fkey);
  EXPECT_NE(steps[function].sql.find("\"_cutover_v2_2_users\""), std::string::npos);
  EXPECT_NE(
      steps[function].sql.find(
          "NEW.\"_cutover_email2\" := CAST((lower(username) || '@example.com') AS varchar);"),
      std::string::npos);
  EXPECT_NE(steps[function].sql.find("\"username\" text := NEW.\"username\";"), std::string::npos);
  // Constraints without IF NOT EXISTS are skipped when there.
  EXPECT_NE(steps[check].done_if.find("conname = '_cutover_c_users_email2_check'"),
            std::string::npos);
}

TEST(AddColumn, AfterBackfillValidatesAndBuildsTheUniqueIndexConcurrently) {
  db::Catalog catalog = base_catalog();
  auto op = make_operation(spec_of("add_column", kAddEmail2));
  ChangeContext context = context_for(catalog);
  auto targets = op->backfill(context);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].table, "users");
  // The backfill sets the shadow itself, as the trigger would.
  ASSERT_EQ(targets[0].fill.size(), 1u);
  EXPECT_EQ(targets[0].fill[0].column, "_cutover_email2");
  EXPECT_EQ(targets[0].fill[0].expression,
            "CAST((lower(username) || '@example.com') AS varchar)");
  auto steps = op->after_backfill(context);
  EXPECT_EQ(sql_of(steps),
            (std::vector<std::string>{
                "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT \"_cutover_n_email2\"",
                "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT "
                "\"_cutover_c_users_email2_check\"",
                "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT "
                "\"_cutover_c_users_email2_fkey\"",
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"_cutover_u_users_email2_key\" "
                "ON \"public\".\"users\" (\"_cutover_email2\")"}));
  EXPECT_TRUE(steps.back().outside_transaction);
  EXPECT_EQ(steps.back().builds_index, "_cutover_u_users_email2_key");
}

TEST(AddColumn, WithoutUpTheDefaultFillsTheRowsAndNoTriggerIsNeeded) {
  db::Catalog catalog = base_catalog();
  auto op = make_operation(spec_of(
      "add_column",
      R"j({"table": "users", "column": {"name": "active", "type": "boolean", "default": true}})j"));
  ChangeContext context = context_for(catalog);
  op->validate(context);
  EXPECT_EQ(sql_of(op->expand(context)),
            (std::vector<std::string>{"ALTER TABLE \"public\".\"users\" ADD COLUMN IF NOT EXISTS "
                                      "\"_cutover_active\" boolean DEFAULT true"}));
  EXPECT_TRUE(op->backfill(context).empty());
}

TEST(AddColumn, ShapeShowsTheShadowUnderTheNewName) {
  db::Catalog catalog = base_catalog();
  auto op = make_operation(spec_of("add_column", kAddEmail2));
  VersionShape shape = VersionShape::from_catalog(catalog);
  op->shape(shape, context_for(catalog));
  auto columns = view_columns(shape, "users");
  ASSERT_FALSE(columns.empty());
  EXPECT_EQ(columns.back(), "email2=_cutover_email2");
}

// The catalog after start: the shadow and its temporary constraints and index.
db::Catalog started_add_catalog() {
  db::Catalog catalog = base_catalog();
  db::TableInfo& users = table_of(catalog, "users");
  users.columns.push_back(
      {"_cutover_email2", "character varying(200)", "''::character varying", true, 7});
  users.checks.push_back({"_cutover_c_users_email2_check", "CHECK (_cutover_email2 <> '')"});
  users.checks.push_back({"_cutover_n_email2", "CHECK (_cutover_email2 IS NOT NULL)"});
  users.foreign_keys.push_back({"_cutover_c_users_email2_fkey",
                                {"_cutover_email2"},
                                "teams",
                                {"id"},
                                "NO ACTION",
                                "SET NULL"});
  users.indexes.push_back({"_cutover_u_users_email2_key", {"_cutover_email2"}, true, false, true});
  return catalog;
}

TEST(AddColumn, ContractRenamesEverythingIntoPlace) {
  db::Catalog catalog = started_add_catalog();
  auto op = make_operation(spec_of("add_column", kAddEmail2, 2));
  auto steps = op->contract(context_for(catalog));
  EXPECT_EQ(
      sql_of(steps),
      (std::vector<std::string>{
          "ALTER TABLE \"public\".\"users\" ALTER COLUMN \"_cutover_email2\" SET NOT NULL",
          "ALTER TABLE \"public\".\"users\" DROP CONSTRAINT IF EXISTS \"_cutover_n_email2\"",
          "DROP TRIGGER IF EXISTS \"_cutover_v2_2_users\" ON \"public\".\"users\"",
          "DROP FUNCTION IF EXISTS \"public\".\"_cutover_v2_2_users\"()",
          "ALTER TABLE \"public\".\"users\" RENAME COLUMN \"_cutover_email2\" TO \"email2\"",
          "ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT \"_cutover_c_users_email2_check\" "
          "TO \"users_email2_check\"",
          "ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT \"_cutover_c_users_email2_fkey\" TO "
          "\"users_email2_fkey\"",
          "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"users_email2_key\" UNIQUE USING "
          "INDEX \"_cutover_u_users_email2_key\""}));
  // Each step can run again: it is skipped once done.
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].sql.find("IF EXISTS") != std::string::npos) continue;
    EXPECT_FALSE(steps[i].done_if.empty()) << steps[i].sql;
  }
}

TEST(AddColumn, ContractAfterACrashFinishesWhatIsLeft) {
  // Crashed after the rename of the column: the constraints still have temporary names.
  db::Catalog catalog = started_add_catalog();
  db::TableInfo& users = table_of(catalog, "users");
  users.columns.back().name = "email2";
  users.checks = {{"users_score_check", "CHECK (score >= 0)"},
                  {"_cutover_c_users_email2_check", "CHECK (email2 <> '')"}};
  users.foreign_keys.back().columns = {"email2"};
  users.indexes.back().columns = {"email2"};
  auto op = make_operation(spec_of("add_column", kAddEmail2, 2));
  auto steps = sql_of(op->contract(context_for(catalog)));
  for (const auto& sql : steps) {
    EXPECT_EQ(sql.find("RENAME COLUMN"), std::string::npos) << sql;
    EXPECT_EQ(sql.find("SET NOT NULL"), std::string::npos) << sql;
  }
  EXPECT_TRUE(has(steps,
                  "ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT "
                  "\"_cutover_c_users_email2_check\" TO \"users_email2_check\""));
  EXPECT_TRUE(has(steps,
                  "ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT "
                  "\"_cutover_c_users_email2_fkey\" TO \"users_email2_fkey\""));
  EXPECT_TRUE(has(steps,
                  "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"users_email2_key\" UNIQUE "
                  "USING INDEX \"_cutover_u_users_email2_key\""));
}

TEST(AddColumn, RollbackDropsTheTriggerAndTheShadow) {
  db::Catalog catalog = started_add_catalog();
  auto op = make_operation(spec_of("add_column", kAddEmail2, 2));
  EXPECT_EQ(sql_of(op->rollback(context_for(catalog))),
            (std::vector<std::string>{
                "DROP TRIGGER IF EXISTS \"_cutover_v2_2_users\" ON \"public\".\"users\"",
                "DROP FUNCTION IF EXISTS \"public\".\"_cutover_v2_2_users\"()",
                "ALTER TABLE \"public\".\"users\" DROP COLUMN IF EXISTS \"_cutover_email2\""}));
}

TEST(AddColumn, NamesAvoidThoseInUse) {
  db::Catalog catalog = base_catalog();
  table_of(catalog, "users").checks.push_back({"users_email2_check", "CHECK (true)"});
  auto op = make_operation(spec_of("add_column", kAddEmail2));
  auto steps = op->expand(context_for(catalog));
  EXPECT_GE(find_step(steps, "\"_cutover_c_users_email2_check1\""), 0);
}

TEST(AddColumn, RefusesWhatCannotWork) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto validate = [&](const std::string& args) {
    return bad_input([&] { make_operation(spec_of("add_column", args))->validate(context); });
  };
  auto parse = [&](const std::string& args) {
    return bad_input([&] { make_operation(spec_of("add_column", args)); });
  };
  EXPECT_NE(validate(R"j({"table": "users", "column": {"name": "email", "type": "text"}})j")
                .find("has a column email already"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "users",
                          "column": {"name": "x", "type": "text", "nullable": false}})j")
                .find("neither `up` nor a default"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "nope", "column": {"name": "x", "type": "text"}})j")
                .find("no table nope"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "users", "column": {"name": "x", "type": "text",
                          "references": {"table": "teams", "column": "nope"}}})j")
                .find("no column nope"),
            std::string::npos);
  EXPECT_NE(parse(R"j({"table": "users", "column": {"name": "x", "type": "text", "uniq": true}})j")
                .find("column.uniq"),
            std::string::npos);
  EXPECT_NE(parse(R"j({"table": "users", "column": {"name": "x", "type": "text"}, "upp": "1"})j")
                .find("upp"),
            std::string::npos);
  EXPECT_NE(parse(R"j({"table": "users", "column": {"name": "x", "type": "text",
                       "references": {"table": "teams", "column": "id", "on_delete": "nuke"}}})j")
                .find("on_delete"),
            std::string::npos);
}

TEST(AddColumn, SqliteAddsTheColumnItselfAndFillsItByTriggers) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog, db::Flavor::kSqlite);
  auto op = make_operation(spec_of("add_column",
                                   R"j({"table": "users",
                                        "column": {"name": "email2", "type": "TEXT",
                                                   "unique": true, "check": "email2 <> ''"},
                                        "up": "lower(username)"})j",
                                   1));
  EXPECT_TRUE(op->supports(db::Flavor::kSqlite));
  op->validate(context);
  auto steps = op->expand(context);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].sql, "ALTER TABLE \"users\" ADD COLUMN \"email2\" TEXT CHECK (email2 <> '')");
  EXPECT_EQ(steps[0].done_if, "SELECT 1 FROM pragma_table_info('users') WHERE name = 'email2'");
  EXPECT_EQ(steps[1].sql,
            "CREATE TRIGGER IF NOT EXISTS \"_cutover_v2_1_users_insert\" AFTER INSERT ON "
            "\"users\" FOR EACH ROW WHEN NEW.\"email2\" IS NULL BEGIN UPDATE \"users\" SET "
            "\"email2\" = (lower(username)) WHERE \"id\" = NEW.\"id\"; END");
  EXPECT_NE(steps[2].sql.find("AFTER UPDATE OF \"email2\" ON \"users\""), std::string::npos);
  auto targets = op->backfill(context);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].touch, std::vector<std::string>{"email2"});
  EXPECT_EQ(
      sql_of(op->after_backfill(context)),
      std::vector<std::string>{
          "CREATE UNIQUE INDEX IF NOT EXISTS \"users_email2_key\" ON \"users\" (\"email2\")"});
  EXPECT_EQ(sql_of(op->contract(context)),
            (std::vector<std::string>{"DROP TRIGGER IF EXISTS \"_cutover_v2_1_users_insert\"",
                                      "DROP TRIGGER IF EXISTS \"_cutover_v2_1_users_update\""}));
  EXPECT_EQ(sql_of(op->rollback(context)),
            (std::vector<std::string>{"DROP TRIGGER IF EXISTS \"_cutover_v2_1_users_insert\"",
                                      "DROP TRIGGER IF EXISTS \"_cutover_v2_1_users_update\"",
                                      "DROP INDEX IF EXISTS \"users_email2_key\"",
                                      "ALTER TABLE \"users\" DROP COLUMN \"email2\""}));

  EXPECT_NE(bad_input([&] {
              make_operation(spec_of("add_column",
                                     R"j({"table": "users",
                                          "column": {"name": "x", "type": "TEXT",
                                                     "nullable": false, "default": "''"},
                                          "up": "username"})j"))
                  ->validate(context);
            }).find("`up` could never set it"),
            std::string::npos);
}

// --- drop_column ------------------------------------------------------------------------

TEST(DropColumn, NewVersionRowsGetDownAndCompleteDropsTheColumn) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto op = make_operation(
      spec_of("drop_column", R"j({"table": "users", "column": "username", "down": "email"})j", 1));
  op->validate(context);
  auto steps = op->expand(context);
  const int function = find_step(steps, "CREATE OR REPLACE FUNCTION");
  ASSERT_GE(function, 0);
  const std::string& body = steps[function].sql;
  // The new version's branch sets the dropped column; it sees no variable of that name.
  const auto new_branch = body.find("ELSE");
  ASSERT_NE(new_branch, std::string::npos);
  EXPECT_NE(body.find("NEW.\"username\" := (email);", new_branch), std::string::npos);
  EXPECT_EQ(body.find("\"username\" text :="), std::string::npos);

  VersionShape shape = VersionShape::from_catalog(catalog);
  op->shape(shape, context);
  auto columns = view_columns(shape, "users");
  EXPECT_FALSE(has(columns, "username=username"));
  EXPECT_EQ(columns.size(), 5u);

  // The trigger exists once start ran: it is disabled where the column goes, then dropped.
  table_of(catalog, "users").triggers = {{"_cutover_v2_1_users", "BEFORE", "INSERT OR UPDATE"}};
  EXPECT_EQ(sql_of(op->contract(context)),
            (std::vector<std::string>{
                "ALTER TABLE \"public\".\"users\" DISABLE TRIGGER \"_cutover_v2_1_users\", DROP "
                "COLUMN IF EXISTS \"username\"",
                "DROP TRIGGER IF EXISTS \"_cutover_v2_1_users\" ON \"public\".\"users\"",
                "DROP FUNCTION IF EXISTS \"public\".\"_cutover_v2_1_users\"()"}));
  EXPECT_EQ(sql_of(op->rollback(context)),
            (std::vector<std::string>{
                "DROP TRIGGER IF EXISTS \"_cutover_v2_1_users\" ON \"public\".\"users\"",
                "DROP FUNCTION IF EXISTS \"public\".\"_cutover_v2_1_users\"()"}));
}

TEST(DropColumn, RefusesWhatCannotWork) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto validate = [&](const std::string& args) {
    return bad_input([&] { make_operation(spec_of("drop_column", args))->validate(context); });
  };
  EXPECT_NE(validate(R"j({"table": "users", "column": "username"})j").find("NOT NULL"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "users", "column": "id"})j").find("primary key"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "teams", "column": "id"})j").find("primary key"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "users", "column": "nope"})j").find("no column nope"),
            std::string::npos);
  // Nullable, or with a default: fine without down.
  make_operation(spec_of("drop_column", R"j({"table": "users", "column": "email"})j"))
      ->validate(context);
  make_operation(spec_of("drop_column", R"j({"table": "users", "column": "score"})j"))
      ->validate(context);
}

TEST(DropColumn, SqliteDropsIndexesThenTheColumnOnComplete) {
  db::Catalog catalog = base_catalog();
  table_of(catalog, "users").checks.clear();
  ChangeContext context = context_for(catalog, db::Flavor::kSqlite);
  auto op = make_operation(spec_of("drop_column", R"j({"table": "users", "column": "score"})j"));
  EXPECT_TRUE(op->supports(db::Flavor::kSqlite));
  op->validate(context);
  EXPECT_TRUE(op->expand(context).empty());
  EXPECT_EQ(sql_of(op->contract(context)),
            (std::vector<std::string>{"DROP TRIGGER IF EXISTS \"_cutover_v2_0_users\"",
                                      "DROP INDEX IF EXISTS \"users_score_idx\"",
                                      "DROP INDEX IF EXISTS \"users_team_score\"",
                                      "ALTER TABLE \"users\" DROP COLUMN \"score\""}));
  EXPECT_NE(bad_input([&] {
              make_operation(spec_of("drop_column", R"j({"table": "users", "column": "email"})j"))
                  ->validate(context);
            }).find("unique constraint users_email_key"),
            std::string::npos);
  table_of(catalog, "users").checks = {{"", "CHECK (score > 0)"}};
  EXPECT_NE(bad_input([&] {
              make_operation(spec_of("drop_column", R"j({"table": "users", "column": "score"})j"))
                  ->validate(context);
            }).find("the check CHECK (score > 0) mentions it"),
            std::string::npos);
}

// --- rename_column ----------------------------------------------------------------------

TEST(RenameColumn, ViewRenamesAndCompleteRenamesOnce) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto op = make_operation(
      spec_of("rename_column", R"j({"table": "users", "from": "username", "to": "login"})j"));
  EXPECT_FALSE(op->supports(db::Flavor::kSqlite));
  op->validate(context);
  EXPECT_TRUE(op->expand(context).empty());
  EXPECT_TRUE(op->rollback(context).empty());
  VersionShape shape = VersionShape::from_catalog(catalog);
  op->shape(shape, context);
  EXPECT_TRUE(has(view_columns(shape, "users"), "login=username"));
  auto steps = op->contract(context);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].sql,
            "ALTER TABLE \"public\".\"users\" RENAME COLUMN \"username\" TO \"login\"");
  EXPECT_NE(steps[0].done_if.find("attname = 'login'"), std::string::npos);

  auto validate = [&](const std::string& args) {
    return bad_input([&] { make_operation(spec_of("rename_column", args))->validate(context); });
  };
  EXPECT_NE(validate(R"j({"table": "users", "from": "username", "to": "email"})j")
                .find("has a column email already"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "users", "from": "nope", "to": "x"})j").find("no column nope"),
            std::string::npos);
}

// --- alter_column -----------------------------------------------------------------------

const char* const kAlterScore =
    R"j({"table": "users", "column": "score", "type": "bigint", "up": "score::bigint",
         "down": "score::int"})j";

TEST(AlterColumn, ShadowCopiesEveryPropertyOfTheOriginal) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto op = make_operation(spec_of("alter_column", kAlterScore, 4));
  op->validate(context);
  auto steps = op->expand(context);
  // First a guard that stops at identity and generated columns, which the catalog does not show.
  EXPECT_NE(steps[0].sql.find("RAISE EXCEPTION"), std::string::npos);
  EXPECT_NE(steps[0].done_if.find("attidentity = '' AND attgenerated = ''"), std::string::npos);
  EXPECT_EQ(steps[1].sql,
            "ALTER TABLE \"public\".\"users\" ADD COLUMN IF NOT EXISTS \"_cutover_score\" bigint");
  EXPECT_EQ(steps[2].sql,
            "ALTER TABLE \"public\".\"users\" ALTER COLUMN \"_cutover_score\" SET DEFAULT 0");
  const int function = find_step(steps, "CREATE OR REPLACE FUNCTION");
  ASSERT_GE(function, 0);
  const std::string& body = steps[function].sql;
  const auto new_branch = body.find("ELSE");
  EXPECT_LT(body.find("NEW.\"_cutover_score\" := CAST((score::bigint) AS bigint);"), new_branch);
  EXPECT_NE(body.find("\"score\" bigint := NEW.\"_cutover_score\";", new_branch),
            std::string::npos);
  EXPECT_NE(body.find("NEW.\"score\" := (score::int);", new_branch), std::string::npos);
  const int trigger = find_step(steps, "CREATE TRIGGER");
  const int not_null = find_step(
      steps,
      "ADD CONSTRAINT \"_cutover_n_score\" CHECK (\"_cutover_score\" IS NOT NULL) NOT VALID");
  const int check = find_step(steps,
                              "ADD CONSTRAINT \"_cutover_c_users_score_check\" CHECK "
                              "(\"_cutover_score\" >= 0) NOT VALID");
  ASSERT_GE(not_null, 0);
  ASSERT_GE(check, 0);
  EXPECT_LT(trigger, not_null);
  EXPECT_LT(trigger, check);
  // The foreign key is on another column: not copied.
  EXPECT_EQ(find_step(steps, "FOREIGN KEY"), -1);

  EXPECT_EQ(sql_of(op->after_backfill(context)),
            (std::vector<std::string>{
                "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT \"_cutover_n_score\"",
                "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT "
                "\"_cutover_c_users_score_check\"",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"_cutover_i_users_score_idx\" ON "
                "\"public\".\"users\" (\"_cutover_score\")",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"_cutover_i_users_team_score\" ON "
                "\"public\".\"users\" (\"team_id\", \"_cutover_score\")"}));

  VersionShape shape = VersionShape::from_catalog(catalog);
  op->shape(shape, context);
  auto columns = view_columns(shape, "users");
  EXPECT_TRUE(has(columns, "score=_cutover_score"));
  EXPECT_EQ(columns.size(), 6u);
}

TEST(AlterColumn, CopiesKeysForeignKeysAndExpressionIndexes) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto email = make_operation(spec_of("alter_column", R"j({"table": "users", "column": "email",
                                          "nullable": false, "up": "coalesce(email, '')"})j"));
  email->validate(context);
  auto steps = email->after_backfill(context);
  EXPECT_GE(find_step(steps,
                      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "
                      "\"_cutover_u_users_email_key\" ON \"public\".\"users\" "
                      "(\"_cutover_email\")"),
            0);
  EXPECT_GE(find_step(steps, "VALIDATE CONSTRAINT \"_cutover_n_email\""), 0);

  auto team = make_operation(spec_of("alter_column", R"j({"table": "users", "column": "team_id",
                                         "type": "bigint", "up": "team_id",
                                         "down": "team_id"})j"));
  team->validate(context);
  EXPECT_GE(find_step(team->expand(context),
                      "ADD CONSTRAINT \"_cutover_c_users_team_id_fkey\" FOREIGN KEY "
                      "(\"_cutover_team_id\") REFERENCES \"public\".\"teams\" (\"id\") ON DELETE "
                      "CASCADE NOT VALID"),
            0);
  EXPECT_GE(find_step(team->after_backfill(context),
                      "\"_cutover_i_users_team_score\" ON \"public\".\"users\" "
                      "(\"_cutover_team_id\", \"score\")"),
            0);

  auto username = make_operation(spec_of("alter_column", R"j({"table": "users",
                                             "column": "username", "type": "varchar(100)",
                                             "up": "username", "down": "username"})j"));
  username->validate(context);
  EXPECT_GE(find_step(username->after_backfill(context),
                      "\"_cutover_i_users_lower_username\" ON \"public\".\"users\" "
                      "((lower(\"_cutover_username\")))"),
            0);

  auto id = make_operation(spec_of("alter_column", R"j({"table": "users", "column": "id",
                                       "type": "bigint", "up": "id", "down": "id"})j"));
  id->validate(context);
  EXPECT_GE(find_step(id->after_backfill(context),
                      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"_cutover_p_users_pkey\" "
                      "ON \"public\".\"users\" (\"_cutover_id\")"),
            0);
}

TEST(AlterColumn, ChangesTheGivenProperties) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto op = make_operation(spec_of("alter_column", R"j({"table": "users", "column": "email",
                                       "unique": false, "check": "email LIKE '%@%'",
                                       "default": "'none'",
                                       "references": {"table": "teams", "column": "id"}})j"));
  op->validate(context);
  auto expand = op->expand(context);
  auto after = op->after_backfill(context);
  EXPECT_EQ(find_step(after, "users_email_key"), -1);
  EXPECT_GE(find_step(expand, "SET DEFAULT 'none'"), 0);
  EXPECT_GE(find_step(expand,
                      "ADD CONSTRAINT \"_cutover_c_users_email_check\" CHECK "
                      "(\"_cutover_email\" LIKE '%@%') NOT VALID"),
            0);
  EXPECT_GE(find_step(expand,
                      "ADD CONSTRAINT \"_cutover_c_users_email_fkey\" FOREIGN KEY "
                      "(\"_cutover_email\") REFERENCES \"public\".\"teams\" (\"id\") NOT VALID"),
            0);
  // Nullable stays nullable: no NOT NULL check.
  EXPECT_EQ(find_step(expand, "_cutover_n_email"), -1);

  auto unique = make_operation(spec_of("alter_column", R"j({"table": "users",
                                           "column": "username", "unique": true,
                                           "nullable": true})j"));
  unique->validate(context);
  EXPECT_GE(find_step(unique->after_backfill(context),
                      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "
                      "\"_cutover_u_users_username_key\""),
            0);
  EXPECT_EQ(find_step(unique->expand(context), "_cutover_n_username"), -1);

  // A new foreign key replaces the column's own, and takes its name.
  auto refs = make_operation(spec_of("alter_column", R"j({"table": "users", "column": "team_id",
                                         "references": {"table": "users", "column": "id"}})j"));
  refs->validate(context);
  auto refs_expand = refs->expand(context);
  EXPECT_EQ(find_step(refs_expand, "REFERENCES \"public\".\"teams\""), -1);
  EXPECT_GE(find_step(refs_expand,
                      "ADD CONSTRAINT \"_cutover_c_users_team_id_fkey\" FOREIGN KEY "
                      "(\"_cutover_team_id\") REFERENCES \"public\".\"users\" (\"id\") NOT VALID"),
            0);
}

// The catalog after start of kAlterScore.
db::Catalog started_alter_catalog() {
  db::Catalog catalog = base_catalog();
  db::TableInfo& users = table_of(catalog, "users");
  users.columns.push_back({"_cutover_score", "bigint", "0", true, 7});
  users.checks.push_back({"_cutover_c_users_score_check", "CHECK (_cutover_score >= 0)"});
  users.checks.push_back({"_cutover_n_score", "CHECK (_cutover_score IS NOT NULL)"});
  users.indexes.push_back({"_cutover_i_users_score_idx", {"_cutover_score"}, false, false, true});
  users.indexes.push_back(
      {"_cutover_i_users_team_score", {"team_id", "_cutover_score"}, false, false, true});
  return catalog;
}

TEST(AlterColumn, ContractSwapsTheColumnAndRestoresEveryName) {
  db::Catalog catalog = started_alter_catalog();
  auto op = make_operation(spec_of("alter_column", kAlterScore, 4));
  auto steps = op->contract(context_for(catalog));
  EXPECT_EQ(
      sql_of(steps),
      (std::vector<std::string>{
          "ALTER TABLE \"public\".\"users\" ALTER COLUMN \"_cutover_score\" SET NOT NULL",
          "ALTER TABLE \"public\".\"users\" DROP CONSTRAINT IF EXISTS \"_cutover_n_score\"",
          "ALTER TABLE \"public\".\"users\" DROP COLUMN IF EXISTS \"score\"",
          "DROP TRIGGER IF EXISTS \"_cutover_v2_4_users\" ON \"public\".\"users\"",
          "DROP FUNCTION IF EXISTS \"public\".\"_cutover_v2_4_users\"()",
          "ALTER TABLE \"public\".\"users\" RENAME COLUMN \"_cutover_score\" TO \"score\"",
          "ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT \"_cutover_c_users_score_check\" TO "
          "\"users_score_check\"",
          "ALTER INDEX \"public\".\"_cutover_i_users_score_idx\" RENAME TO \"users_score_idx\"",
          "ALTER INDEX \"public\".\"_cutover_i_users_team_score\" RENAME TO "
          "\"users_team_score\""}));
  // Dropping the original is skipped once the shadow has taken its place: running it again
  // would drop the new column.
  EXPECT_NE(steps[2].done_if.find("NOT EXISTS"), std::string::npos);
  EXPECT_NE(steps[2].done_if.find("attname = '_cutover_score'"), std::string::npos);
  EXPECT_NE(steps[5].done_if.find("attname = '_cutover_score'"), std::string::npos);
}

TEST(AlterColumn, ContractDisablesTheChangesTriggersWhereItDropsTheColumn) {
  db::Catalog catalog = started_alter_catalog();
  table_of(catalog, "users").triggers = {{"_cutover_other_1_users", "BEFORE", "INSERT"},
                                         {"_cutover_v2_4_users", "BEFORE", "INSERT OR UPDATE"},
                                         {"_cutover_v2_7_users", "BEFORE", "INSERT OR UPDATE"},
                                         {"audit", "AFTER", "UPDATE"}};
  // The trigger of operation 2 was dropped by its own complete, before this one's: the catalog
  // read when complete began may still list it, and it must not be named.
  table_of(catalog, "users").triggers.push_back({"_cutover_v2_2_users", "BEFORE", "INSERT"});
  auto op = make_operation(spec_of("alter_column", kAlterScore, 4));
  auto steps = op->contract(context_for(catalog));
  // One statement, so that no write finds a trigger naming a column that is gone.
  EXPECT_GE(find_step(steps,
                      "ALTER TABLE \"public\".\"users\" DISABLE TRIGGER \"_cutover_v2_4_users\", "
                      "DISABLE TRIGGER \"_cutover_v2_7_users\", DROP COLUMN IF EXISTS \"score\""),
            0);
  EXPECT_EQ(find_step(steps, "\"_cutover_v2_2_users\""), -1);
  EXPECT_EQ(find_step(steps, "audit"), -1);
  EXPECT_EQ(find_step(steps, "_cutover_other_1_users"), -1);

  // RENAME COLUMN cannot share its ALTER TABLE: the triggers are disabled just before.
  auto rename = make_operation(
      spec_of("rename_column", R"j({"table": "users", "from": "username", "to": "login"})j", 5));
  EXPECT_EQ(sql_of(rename->contract(context_for(catalog))),
            (std::vector<std::string>{
                "ALTER TABLE \"public\".\"users\" DISABLE TRIGGER \"_cutover_v2_7_users\"",
                "ALTER TABLE \"public\".\"users\" RENAME COLUMN \"username\" TO \"login\""}));
  auto drop =
      make_operation(spec_of("drop_column", R"j({"table": "users", "column": "email"})j", 6));
  EXPECT_GE(find_step(drop->contract(context_for(catalog)),
                      "ALTER TABLE \"public\".\"users\" DISABLE TRIGGER \"_cutover_v2_7_users\", "
                      "DROP COLUMN IF EXISTS \"email\""),
            0);
}

TEST(AlterColumn, ContractHandsASerialSequenceToTheShadow) {
  db::Catalog catalog = base_catalog();
  table_of(catalog, "users")
      .columns.push_back({"_cutover_seq", "bigint", "nextval('users_seq_seq'::regclass)", true, 7});
  auto op = make_operation(spec_of("alter_column", R"j({"table": "users", "column": "seq",
                                       "type": "bigint", "up": "seq", "down": "seq"})j"));
  auto steps = op->contract(context_for(catalog));
  const int hand = find_step(
      steps, "ALTER SEQUENCE users_seq_seq OWNED BY \"public\".\"users\".\"_cutover_seq\"");
  const int drop = find_step(steps, "DROP COLUMN IF EXISTS \"seq\"");
  ASSERT_GE(hand, 0);
  ASSERT_GE(drop, 0);
  EXPECT_LT(hand, drop);
}

TEST(AlterColumn, ContractFinishesLongNamesFromTheOriginals) {
  db::Catalog catalog = started_alter_catalog();
  db::TableInfo& users = table_of(catalog, "users");
  const std::string long_name(60, 'x');
  users.indexes.push_back({long_name, {"score"}, false, false, true});
  const std::string copy = copy_name(CopyKind::kIndex, long_name);
  users.indexes.push_back({copy, {"_cutover_score"}, false, false, true});
  auto op = make_operation(spec_of("alter_column", kAlterScore, 4));
  auto steps = sql_of(op->contract(context_for(catalog)));
  EXPECT_TRUE(
      has(steps, "ALTER INDEX \"public\".\"" + copy + "\" RENAME TO \"" + long_name + "\""));
}

TEST(AlterColumn, RefusesWhatCannotWork) {
  db::Catalog catalog = base_catalog();
  ChangeContext context = context_for(catalog);
  auto validate = [&](const std::string& args) {
    return bad_input([&] { make_operation(spec_of("alter_column", args))->validate(context); });
  };
  auto parse = [&](const std::string& args) {
    return bad_input([&] { make_operation(spec_of("alter_column", args)); });
  };
  EXPECT_NE(validate(R"j({"table": "users", "column": "score", "type": "bigint"})j")
                .find("`up` and `down` are needed"),
            std::string::npos);
  EXPECT_NE(validate(R"j({"table": "teams", "column": "id", "type": "bigint", "up": "id",
                          "down": "id"})j")
                .find("foreign key users_team_id_fkey of users references teams.id"),
            std::string::npos);
  EXPECT_NE(
      validate(R"j({"table": "users", "column": "id", "nullable": true})j").find("primary key"),
      std::string::npos);
  EXPECT_NE(parse(R"j({"table": "users", "column": "score"})j").find("nothing to change"),
            std::string::npos);
  EXPECT_NE(parse(R"j({"table": "users", "column": "score", "typ": "int"})j").find("typ"),
            std::string::npos);
  // On PostgreSQL the objects using a column complete drops are found by the preflight, in
  // pg_depend (tests/integration/change_refusals_test.cpp): the operations name the column.
  for (const auto& [kind, args] :
       {std::pair{"alter_column", R"j({"table": "users", "column": "score", "nullable": true})j"},
        std::pair{"drop_column", R"j({"table": "users", "column": "score"})j"}}) {
    const Preflight preflight = make_operation(spec_of(kind, args))->preflight(context);
    ASSERT_EQ(preflight.dropped_columns.size(), 1U) << kind;
    EXPECT_EQ(preflight.dropped_columns[0].table, "users");
    EXPECT_EQ(preflight.dropped_columns[0].column, "score");
    EXPECT_EQ(preflight.dropped_columns[0].rebuilds_indexes_and_constraints,
              std::string(kind) == "alter_column");
    EXPECT_EQ(preflight.column_tables, std::vector<std::string>{"users"});
  }
  catalog.views.clear();
  // The same type under another spelling needs no up/down.
  make_operation(spec_of("alter_column", R"j({"table": "users", "column": "score",
                                              "type": "INT4", "nullable": true})j"))
      ->validate(context);
  EXPECT_FALSE(make_operation(spec_of("alter_column", kAlterScore))->supports(db::Flavor::kSqlite));
}

}  // namespace
}  // namespace cutover::change
