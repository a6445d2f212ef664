// Statement rules: which PostgreSQL statements must run outside a transaction, the index a
// CREATE INDEX CONCURRENTLY builds, and where a statement fails to parse.
#include "migrate/statement_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "db/statement.h"

namespace cutover::migrate {
namespace {

StatementTraits classify(std::string_view sql) {
  return classify_statement(db::Flavor::kPostgres, sql);
}

// The kind of `sql` when it must run outside a transaction, "" when it may run inside one.
std::string outside_kind(std::string_view sql) {
  const StatementTraits traits = classify(sql);
  EXPECT_EQ(traits.outside_transaction, !traits.kind.empty()) << sql;
  return traits.outside_transaction ? traits.kind : "";
}

TEST(StatementRules, EachKindMustRunOutsideATransaction) {
  const std::pair<const char*, const char*> cases[] = {
      {"CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY"},
      {"create unique index concurrently i on t (a)", "CREATE INDEX CONCURRENTLY"},
      {"DROP INDEX CONCURRENTLY IF EXISTS s.i", "DROP INDEX CONCURRENTLY"},
      {"REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY"},
      {"REINDEX TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"},
      {"REINDEX (CONCURRENTLY) TABLE t", "REINDEX CONCURRENTLY"},
      {"REINDEX (VERBOSE, CONCURRENTLY on) TABLE t", "REINDEX CONCURRENTLY"},
      {"REINDEX SCHEMA s", "REINDEX SCHEMA"},
      {"REINDEX DATABASE d", "REINDEX DATABASE"},
      {"REINDEX SYSTEM d", "REINDEX SYSTEM"},
      {"ALTER TYPE mood ADD VALUE 'meh'", "ALTER TYPE ... ADD VALUE"},
      {"ALTER TYPE s.mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok'", "ALTER TYPE ... ADD VALUE"},
      {"VACUUM", "VACUUM"},
      {"VACUUM (ANALYZE) t", "VACUUM"},
      {"VACUUM FULL t", "VACUUM"},
      {"CREATE DATABASE d", "CREATE DATABASE"},
      {"DROP DATABASE IF EXISTS d", "DROP DATABASE"},
      {"ALTER DATABASE d SET TABLESPACE fast", "ALTER DATABASE SET TABLESPACE"},
      {"ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"},
      {"CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"},
      {"DROP TABLESPACE fast", "DROP TABLESPACE"},
      {"CLUSTER", "CLUSTER"},
      {"CLUSTER VERBOSE", "CLUSTER"},
      {"ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", "DETACH PARTITION CONCURRENTLY"},
      {"CREATE SUBSCRIPTION s CONNECTION 'host=a' PUBLICATION p", "CREATE SUBSCRIPTION"},
      {"ALTER SUBSCRIPTION s REFRESH PUBLICATION", "ALTER SUBSCRIPTION ... REFRESH"},
      {"ALTER SUBSCRIPTION s SET PUBLICATION p", "ALTER SUBSCRIPTION ... PUBLICATION"},
      {"ALTER SUBSCRIPTION s ADD PUBLICATION p WITH (refresh = true)",
       "ALTER SUBSCRIPTION ... PUBLICATION"},
      {"DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"},
  };
  for (const auto& [sql, kind] : cases) EXPECT_EQ(outside_kind(sql), kind) << sql;
}

TEST(StatementRules, LookalikesMayRunInATransaction) {
  const char* const cases[] = {
      "CREATE INDEX i ON t (a)",
      "CREATE INDEX concurrently_i ON concurrently (concurrently)",
      "CREATE INDEX i ON t (a) WHERE b <> 'CONCURRENTLY'",
      "CREATE INDEX /* CONCURRENTLY */ i ON t (a) -- CONCURRENTLY",
      "DROP INDEX i",
      "DROP TABLE t",
      "REINDEX TABLE t",
      "REINDEX (VERBOSE) INDEX i",
      "REINDEX (CONCURRENTLY false) TABLE t",
      "REINDEX (CONCURRENTLY 0) TABLE t",
      "ALTER TYPE mood RENAME VALUE 'meh' TO 'fine'",
      "ALTER TYPE mood RENAME TO feeling",
      "ANALYZE t",
      "CLUSTER t",
      "CLUSTER t USING i",
      "ALTER DATABASE d SET work_mem = '64MB'",
      "ALTER DATABASE d SET tablespace = fast",  // a setting named tablespace, not a move
      "ALTER TABLE p DETACH PARTITION p1",
      "CREATE SUBSCRIPTION s CONNECTION 'host=a' PUBLICATION p WITH (create_slot = false)",
      "CREATE SUBSCRIPTION s CONNECTION 'host=a' PUBLICATION p WITH (connect = false)",
      "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)",
      "ALTER SUBSCRIPTION s DROP PUBLICATION p WITH (refresh = off)",
      "ALTER SUBSCRIPTION s DISABLE",
      "CREATE TABLE t (a int)",
      "SELECT 'CREATE INDEX CONCURRENTLY i ON t (a)'",
      "DO $$ BEGIN EXECUTE 'VACUUM'; END $$",
      "",
      "-- only a comment",
  };
  for (const char* sql : cases) {
    const StatementTraits traits = classify(sql);
    EXPECT_FALSE(traits.outside_transaction) << sql;
    EXPECT_EQ(traits.kind, "") << sql;
    EXPECT_FALSE(traits.concurrent_index.has_value()) << sql;
  }
}

TEST(StatementRules, NamesTheIndexOfCreateIndexConcurrently) {
  const auto index = [](std::string_view sql) {
    const StatementTraits traits = classify(sql);
    EXPECT_TRUE(traits.concurrent_index.has_value()) << sql;
    return traits.concurrent_index.value_or(ConcurrentIndex{"?", "?"});
  };
  const ConcurrentIndex unqualified =
      index("CREATE INDEX CONCURRENTLY users_email ON users (email)");
  EXPECT_EQ(unqualified.schema, "");
  EXPECT_EQ(unqualified.name, "users_email");

  const ConcurrentIndex qualified =
      index("CREATE INDEX CONCURRENTLY Users_Email ON App.Users (email)");
  EXPECT_EQ(qualified.schema, "app");  // unquoted identifiers fold to lower case
  EXPECT_EQ(qualified.name, "users_email");

  const ConcurrentIndex unnamed = index("CREATE INDEX CONCURRENTLY ON app.users (email)");
  EXPECT_EQ(unnamed.schema, "app");
  EXPECT_EQ(unnamed.name, "");

  const ConcurrentIndex quoted =
      index(R"(CREATE INDEX CONCURRENTLY IF NOT EXISTS "My Index" ON "My Schema"."T" (a))");
  EXPECT_EQ(quoted.schema, "My Schema");
  EXPECT_EQ(quoted.name, "My Index");

  const ConcurrentIndex only = index("CREATE UNIQUE INDEX CONCURRENTLY u ON ONLY s.t (a)");
  EXPECT_EQ(only.schema, "s");
  EXPECT_EQ(only.name, "u");
}

TEST(StatementRules, ReadsStatementsThroughTheirComments) {
  const StatementTraits traits = classify(
      "-- add the index without blocking writes\n"
      "/* see ticket 42; CREATE INDEX i ON t (a) would lock */\n"
      "CREATE INDEX /* inner */ CONCURRENTLY -- why\n"
      "  orders_by_customer ON shop.orders (customer_id) -- trailing\n");
  EXPECT_TRUE(traits.outside_transaction);
  EXPECT_EQ(traits.kind, "CREATE INDEX CONCURRENTLY");
  ASSERT_TRUE(traits.concurrent_index.has_value());
  EXPECT_EQ(traits.concurrent_index->schema, "shop");
  EXPECT_EQ(traits.concurrent_index->name, "orders_by_customer");

  EXPECT_EQ(outside_kind("/* VACUUM */ ANALYZE t"), "");
  EXPECT_EQ(outside_kind("-- x\nVACUUM /* y */ t;"), "VACUUM");
}

TEST(StatementRules, FirstSpecialStatementDecidesWhenThereAreSeveral) {
  EXPECT_EQ(outside_kind("CREATE TABLE t (a int); CREATE INDEX CONCURRENTLY i ON t (a)"),
            "CREATE INDEX CONCURRENTLY");
  EXPECT_EQ(outside_kind("DROP INDEX CONCURRENTLY j; CREATE INDEX CONCURRENTLY i ON t (a)"),
            "DROP INDEX CONCURRENTLY");
}

TEST(StatementRules, OtherFlavorsAreNotClassified) {
  for (const db::Flavor flavor : {db::Flavor::kMariaDb, db::Flavor::kMySql, db::Flavor::kSqlite}) {
    const StatementTraits traits =
        classify_statement(flavor, "CREATE INDEX CONCURRENTLY i ON t (a)");
    EXPECT_FALSE(traits.outside_transaction);
    EXPECT_EQ(traits.kind, "");
    EXPECT_FALSE(traits.concurrent_index.has_value());
    EXPECT_FALSE(db::find_syntax_error(flavor, "CREATE TABEL x ()").has_value());
  }
}

TEST(StatementRules, StatementsThatDoNotParseGetDefaultTraits) {
  for (const char* sql : {"CREATE INDEX CONCURRENTLY ON", "VACUUM VACUUM VACUUM",
                          "\x01\xff garbage", "CREATE INDEX CONCURRENTLY i ON t (a"}) {
    const StatementTraits traits = classify(sql);
    EXPECT_FALSE(traits.outside_transaction) << sql;
    EXPECT_EQ(traits.kind, "") << sql;
    EXPECT_FALSE(traits.concurrent_index.has_value()) << sql;
  }
}

// Issue 9: a file that begins, ends or rolls back transactions itself is refused before it runs.
TEST(StatementRules, TransactionControlIsFoundInThePostgresParseTree) {
  const std::pair<const char*, const char*> cases[] = {
      {"BEGIN", "BEGIN"},
      {"begin transaction isolation level serializable", "BEGIN"},
      {"START TRANSACTION", "START TRANSACTION"},
      {"COMMIT", "COMMIT"},
      {"END", "COMMIT"},
      {"COMMIT AND CHAIN", "COMMIT"},
      {"ROLLBACK", "ROLLBACK"},
      {"ABORT", "ROLLBACK"},
      {"SAVEPOINT s", "SAVEPOINT"},
      {"RELEASE SAVEPOINT s", "RELEASE SAVEPOINT"},
      {"ROLLBACK TO SAVEPOINT s", "ROLLBACK TO SAVEPOINT"},
      {"PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION"},
      {"COMMIT PREPARED 'x'", "COMMIT PREPARED"},
      {"ROLLBACK PREPARED 'x'", "ROLLBACK PREPARED"},
      {"-- lead\n/* c */ Commit", "COMMIT"},
  };
  for (const auto& [sql, kind] : cases) {
    const StatementTraits traits = classify(sql);
    EXPECT_TRUE(traits.transaction_control) << sql;
    EXPECT_FALSE(traits.outside_transaction) << sql;
    EXPECT_EQ(traits.kind, kind) << sql;
  }
  // Not transaction control: the words inside a body, a string, an identifier, or a function.
  for (const char* sql :
       {"DO $$ BEGIN PERFORM 1; END $$", "SELECT 'COMMIT'", "CREATE TABLE \"begin\" (a int)",
        "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "CALL p()"}) {
    EXPECT_FALSE(classify(sql).transaction_control) << sql;
  }
}

TEST(StatementRules, TransactionControlIsFoundByKeywordsOnMariaDbAndSqlite) {
  for (const db::Flavor flavor : {db::Flavor::kMariaDb, db::Flavor::kMySql}) {
    for (const auto& [sql, kind] : std::vector<std::pair<const char*, const char*>>{
             {"START TRANSACTION", "START TRANSACTION"},
             {"start transaction read only", "START TRANSACTION"},
             {"BEGIN", "BEGIN"},
             {"BEGIN WORK", "BEGIN"},
             {"COMMIT", "COMMIT"},
             {"commit work", "COMMIT"},
             {"ROLLBACK", "ROLLBACK"},
             {"ROLLBACK WORK TO SAVEPOINT s", "ROLLBACK TO SAVEPOINT"},
             {"SAVEPOINT s", "SAVEPOINT"},
             {"RELEASE SAVEPOINT s", "RELEASE SAVEPOINT"},
             {"XA START 'x'", "XA"}}) {
      const StatementTraits traits = classify_statement(flavor, sql);
      EXPECT_TRUE(traits.transaction_control) << sql;
      EXPECT_EQ(traits.kind, kind) << sql;
    }
    for (const char* sql : {"BEGIN NOT ATOMIC SELECT 1; END", "lbl: BEGIN NOT ATOMIC END",
                            "CREATE PROCEDURE p() BEGIN COMMIT; END", "SELECT 'COMMIT'", "END",
                            "INSERT INTO commits VALUES (1)"}) {
      EXPECT_FALSE(classify_statement(flavor, sql).transaction_control) << sql;
    }
  }
  for (const char* sql : {"BEGIN", "BEGIN IMMEDIATE TRANSACTION", "END TRANSACTION", "COMMIT",
                          "ROLLBACK", "SAVEPOINT s", "RELEASE s"}) {
    EXPECT_TRUE(classify_statement(db::Flavor::kSqlite, sql).transaction_control) << sql;
  }
  EXPECT_FALSE(classify_statement(db::Flavor::kSqlite,
                                  "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END")
                   .transaction_control);
}

TEST(StatementRules, TransactionControlIsRefusedNamingFileStatementLineAndKind) {
  check_no_transaction_control("V1__x.sql", 0, 1, classify("CREATE TABLE t (a int)"));
  try {
    check_no_transaction_control("V1__x.sql", 3, 7, classify("END"));
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("V1__x.sql: statement 4 (line 7) is COMMIT"), std::string::npos)
        << e.message();
    EXPECT_NE(e.hint().find("no-transaction"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("executeInTransaction=false"), std::string::npos) << e.hint();
  }
}

}  // namespace
}  // namespace cutover::migrate
