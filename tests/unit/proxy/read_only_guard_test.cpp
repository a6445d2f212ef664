// The proxy's read-only guard: what lifts read-only mode is refused, everything else allowed.
#include "proxy/read_only_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cutover::proxy {
namespace {

struct Refused {
  const char* sql;
  const char* reason;  // the verdict's reason, exactly
};

void expect_refused(const std::vector<Refused>& cases) {
  for (const Refused& c : cases) {
    const GuardVerdict verdict = check_read_only(c.sql);
    EXPECT_EQ(verdict.outcome, GuardOutcome::kRefused) << c.sql;
    EXPECT_EQ(verdict.reason, c.reason) << c.sql;
    EXPECT_FALSE(verdict.detail.empty()) << c.sql;
    EXPECT_FALSE(verdict.allowed()) << c.sql;
  }
}

void expect_allowed(const std::vector<const char*>& cases) {
  for (const char* sql : cases) {
    const GuardVerdict verdict = check_read_only(sql);
    EXPECT_EQ(verdict.outcome, GuardOutcome::kAllowed) << sql << ": " << verdict.reason;
    EXPECT_TRUE(verdict.allowed()) << sql;
  }
}

TEST(ReadOnlyGuard, SettingTheReadOnlySettingsToAnythingButTrueIsRefused) {
  expect_refused({
      {"SET default_transaction_read_only = off", "SET default_transaction_read_only = off"},
      {"set default_transaction_read_only to false", "SET default_transaction_read_only = false"},
      {"SET default_transaction_read_only = 0", "SET default_transaction_read_only = 0"},
      {"SET default_transaction_read_only = 'no'", "SET default_transaction_read_only = no"},
      {"SET default_transaction_read_only = 'of'", "SET default_transaction_read_only = of"},
      {"SET default_transaction_read_only = 2", "SET default_transaction_read_only = 2"},
      {"SET default_transaction_read_only = 1.0", "SET default_transaction_read_only = 1.0"},
      {"SET default_transaction_read_only = 'truest'",
       "SET default_transaction_read_only = truest"},
      {"SET default_transaction_read_only = 'o'", "SET default_transaction_read_only = o"},
      {"SET default_transaction_read_only = ''", "SET default_transaction_read_only = "},
      {"SET default_transaction_read_only = on, off", "SET default_transaction_read_only = ..."},
      {"SET SESSION default_transaction_read_only = off",
       "SET default_transaction_read_only = off"},
      {"SET LOCAL default_transaction_read_only = off",
       "SET LOCAL default_transaction_read_only = off"},
      {"SET transaction_read_only = off", "SET transaction_read_only = off"},
      {"SET transaction_read_only TO 'false'", "SET transaction_read_only = false"},
      {"SET default_transaction_read_only TO DEFAULT",
       "SET default_transaction_read_only TO DEFAULT"},
      {"SET default_transaction_read_only = DEFAULT",
       "SET default_transaction_read_only TO DEFAULT"},
      {"SET LOCAL transaction_read_only TO DEFAULT", "SET LOCAL transaction_read_only TO DEFAULT"},
      {"SET default_transaction_read_only FROM CURRENT",
       "SET default_transaction_read_only FROM CURRENT"},
      {"RESET default_transaction_read_only", "RESET default_transaction_read_only"},
      {"RESET transaction_read_only", "RESET transaction_read_only"},
      {"RESET ALL", "RESET ALL"},
      {"reset all", "RESET ALL"},
      {"DISCARD ALL", "DISCARD ALL"},
  });
}

TEST(ReadOnlyGuard, CaseQuotingCommentsAndWhitespaceAreTheParsersToRead) {
  expect_refused({
      {"SET DEFAULT_TRANSACTION_READ_ONLY = OFF", "SET default_transaction_read_only = off"},
      {"SET \"default_transaction_read_only\" = off", "SET default_transaction_read_only = off"},
      {"SET \"Default_Transaction_Read_Only\" = off", "SET default_transaction_read_only = off"},
      {"SET U&\"default\\005ftransaction_read_only\" = off",
       "SET default_transaction_read_only = off"},
      {"SET default_transaction_read_only = \"off\"", "SET default_transaction_read_only = off"},
      {"SET default_transaction_read_only = $$off$$", "SET default_transaction_read_only = off"},
      {"/* harmless */ SET /* really */ default_transaction_read_only -- yes\n = off",
       "SET default_transaction_read_only = off"},
      {"\n\t  SET\n\tdefault_transaction_read_only\n=\noff\n;\n",
       "SET default_transaction_read_only = off"},
      {"SeT TrAnSaCtIoN rEaD wRiTe", "SET TRANSACTION READ WRITE"},
  });
}

TEST(ReadOnlyGuard, ReadWriteTransactionsAreRefused) {
  expect_refused({
      {"BEGIN READ WRITE", "BEGIN READ WRITE"},
      {"begin transaction isolation level serializable, read write", "BEGIN READ WRITE"},
      {"BEGIN WORK READ ONLY, READ WRITE", "BEGIN READ WRITE"},
      {"START TRANSACTION READ WRITE", "START TRANSACTION READ WRITE"},
      {"SET TRANSACTION READ WRITE", "SET TRANSACTION READ WRITE"},
      {"SET LOCAL TRANSACTION READ WRITE", "SET LOCAL TRANSACTION READ WRITE"},
      {"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
       "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"},
      {"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE",
       "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"},
  });
}

TEST(ReadOnlyGuard, OtherStatementsNamingTheSettingsAreRefusedWhateverTheValue) {
  expect_refused({
      {"ALTER ROLE app SET default_transaction_read_only = off",
       "ALTER ROLE ... SET default_transaction_read_only"},
      {"ALTER USER app SET default_transaction_read_only = on",
       "ALTER ROLE ... SET default_transaction_read_only"},
      {"ALTER ROLE app IN DATABASE shop RESET default_transaction_read_only",
       "ALTER ROLE ... RESET default_transaction_read_only"},
      {"ALTER ROLE ALL RESET ALL", "ALTER ROLE ... RESET ALL"},
      {"ALTER DATABASE shop SET default_transaction_read_only TO off",
       "ALTER DATABASE ... SET default_transaction_read_only"},
      {"ALTER DATABASE shop RESET ALL", "ALTER DATABASE ... RESET ALL"},
      {"ALTER SYSTEM SET default_transaction_read_only = off",
       "ALTER SYSTEM SET default_transaction_read_only"},
      {"ALTER SYSTEM RESET ALL", "ALTER SYSTEM RESET ALL"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql "
       "SET default_transaction_read_only = off AS 'SELECT 1'",
       "CREATE FUNCTION ... SET default_transaction_read_only"},
      {"CREATE PROCEDURE p() LANGUAGE sql SET transaction_read_only = on AS 'SELECT 1'",
       "CREATE FUNCTION ... SET transaction_read_only"},
      {"ALTER FUNCTION f() SET default_transaction_read_only = off",
       "ALTER FUNCTION ... SET default_transaction_read_only"},
      {"ALTER FUNCTION f() RESET ALL", "ALTER FUNCTION ... RESET ALL"},
  });
}

TEST(ReadOnlyGuard, SetConfigOfAReadOnlySettingIsRefusedWherever) {
  const char* lifts = "set_config('default_transaction_read_only', ...)";
  expect_refused({
      {"SELECT set_config('default_transaction_read_only', 'off', false)", lifts},
      {"select SET_CONFIG('DEFAULT_TRANSACTION_READ_ONLY', 'off', false)", lifts},
      {"SELECT \"set_config\"('default_transaction_read_only', 'off', false)", lifts},
      {"SELECT pg_catalog.set_config('default_transaction_read_only', 'off', false)", lifts},
      {"SELECT set_config('default_transaction_read_only', 'on', false)", lifts},
      {"SELECT set_config('transaction_read_only', 'off', true)",
       "set_config('transaction_read_only', ...)"},
      {"SELECT set_config('default_transaction_read_only'::text, 'off', false)", lifts},
      {"SELECT set_config(CAST('default_transaction_read_only' AS text), 'off', false)", lifts},
      {"SELECT set_config(text 'default_transaction_read_only', 'off', false)", lifts},
      {"SELECT set_config('default_transaction_read_only' COLLATE \"C\", 'off', false)", lifts},
      {"SELECT set_config(E'default\\x5ftransaction_read_only', 'off', false)", lifts},
      {"SELECT set_config($$default_transaction_read_only$$, 'off', false)", lifts},
      {"SELECT set_config('default_' \n 'transaction_read_only', 'off', false)", lifts},
      {"SELECT set_config(new_value => 'off', setting_name => 'default_transaction_read_only', "
       "is_local => false)",
       lifts},
      {"SELECT set_config(setting_name := 'default_transaction_read_only', new_value := 'off', "
       "is_local := false)",
       lifts},
      // In a subquery, a CTE, another function's arguments, VALUES, FROM, WHERE, CALL, ...
      {"SELECT 1 FROM (SELECT set_config('default_transaction_read_only', 'off', false)) s", lifts},
      {"WITH x AS (SELECT set_config('default_transaction_read_only', 'off', false)) "
       "SELECT * FROM x",
       lifts},
      {"SELECT coalesce(lower(set_config('default_transaction_read_only', 'off', false)), 'x')",
       lifts},
      {"VALUES (1), (length(set_config('default_transaction_read_only', 'off', false)))", lifts},
      {"SELECT * FROM set_config('default_transaction_read_only', 'off', false)", lifts},
      {"SELECT 1 WHERE EXISTS (SELECT set_config('default_transaction_read_only', 'off', "
       "false))",
       lifts},
      {"CALL p(set_config('default_transaction_read_only', 'off', false))", lifts},
      {"CALL set_config('default_transaction_read_only', 'off', false)", lifts},
      {"PREPARE s AS SELECT set_config('default_transaction_read_only', $1, false)", lifts},
      {"EXPLAIN ANALYZE SELECT set_config('default_transaction_read_only', 'off', false)", lifts},
      {"DECLARE c CURSOR FOR SELECT set_config('default_transaction_read_only', 'off', false)",
       lifts},
      {"COPY (SELECT set_config('default_transaction_read_only', 'off', false)) TO STDOUT", lifts},
      {"UPDATE t SET a = set_config('default_transaction_read_only', 'off', false)", lifts},
      {"SELECT set_config('search_path', set_config('default_transaction_read_only', 'off', "
       "false), false)",
       lifts},
      {"SELECT CASE WHEN true THEN set_config('default_transaction_read_only', 'off', false) "
       "END",
       lifts},
      {"SELECT array_agg(x ORDER BY set_config('default_transaction_read_only', 'off', false)) "
       "FROM t",
       lifts},
  });
}

TEST(ReadOnlyGuard, SetConfigOfASettingNotKnownBeforeItRunsIsRefused) {
  const char* unknown = "set_config() with a setting name known only when it runs";
  expect_refused({
      {"SELECT set_config('default_' || 'transaction_read_only', 'off', false)", unknown},
      {"SELECT set_config(name, 'off', false) FROM settings", unknown},
      {"SELECT set_config($1, 'off', false)", unknown},
      {"SELECT set_config(lower('DEFAULT_TRANSACTION_READ_ONLY'), 'off', false)", unknown},
      {"SELECT set_config((SELECT 'default_transaction_read_only'), 'off', false)", unknown},
      {"SELECT set_config(new_value => 'off', is_local => false)", unknown},
      {"SELECT set_config()", unknown},
  });
}

TEST(ReadOnlyGuard, FunctionsThatRunSqlTextAreCheckedThroughTheirText) {
  expect_refused({
      {"SELECT query_to_xml('SELECT set_config(''default_transaction_read_only'', ''off'', "
       "false)', true, true, '')",
       "query_to_xml() running set_config('default_transaction_read_only', ...)"},
      {"SELECT query_to_xml(query => 'RESET ALL', nulls => true, tableforest => true, "
       "targetns => '')",
       "query_to_xml() running RESET ALL"},
      {"SELECT ts_stat('SELECT set_config(''transaction_read_only'', ''off'', false)::tsvector')",
       "ts_stat() running set_config('transaction_read_only', ...)"},
      {"SELECT ts_rewrite('a'::tsquery, 'SELECT set_config(''transaction_read_only'', ''off'', "
       "false)')",
       "ts_rewrite() running set_config('transaction_read_only', ...)"},
      {"SELECT query_to_xml('SELECT query_to_xml(''DO $$ BEGIN END $$'', true, true, '''')', "
       "true, true, '')",
       "query_to_xml() running query_to_xml() running DO"},
      {"SELECT query_to_xmlschema(q, true, true, '') FROM queries",
       "query_to_xmlschema() with SQL text known only when it runs"},
      {"SELECT query_to_xml_and_xmlschema('SELEC 1', true, true, '')",
       "query_to_xml_and_xmlschema() with SQL text that does not parse"},
  });
  expect_allowed({
      "SELECT query_to_xml('SELECT * FROM t', true, true, '')",
      "SELECT ts_stat('SELECT vector FROM docs')",
      "SELECT ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'c'::tsquery)",
  });
}

TEST(ReadOnlyGuard, DoBlocksAreRefusedBecauseTheirBodyCannotBeSeen) {
  expect_refused({
      {"DO $$ BEGIN PERFORM 1; END $$", "DO"},
      {"do language plpgsql 'begin null; end'", "DO"},
      {"DO $$BEGIN EXECUTE 'SET default_transaction_read_only = off'; END$$", "DO"},
  });
  EXPECT_NE(check_read_only("DO $$ BEGIN END $$").detail.find("EXECUTE"), std::string::npos);
}

TEST(ReadOnlyGuard, TheFirstRefusedStatementOfSeveralIsNamedWithItsText) {
  const std::string sql =
      "SELECT 1;\n  /* lift */ SET default_transaction_read_only = off  ;\n"
      "RESET ALL; SELECT 2";
  const GuardVerdict verdict = check_read_only(sql);
  ASSERT_EQ(verdict.outcome, GuardOutcome::kRefused);
  EXPECT_EQ(verdict.statement, "/* lift */ SET default_transaction_read_only = off");
  EXPECT_EQ(sql.substr(verdict.statement_offset, verdict.statement.size()), verdict.statement);
  EXPECT_EQ(verdict.reason, "SET default_transaction_read_only = off");

  const GuardVerdict last = check_read_only("SELECT 1; SELECT 'é'; DISCARD ALL");
  EXPECT_EQ(last.statement, "DISCARD ALL");
  EXPECT_EQ(last.statement_offset, 23u);  // bytes: é is two

  const GuardVerdict only = check_read_only("  RESET ALL  ");
  EXPECT_EQ(only.statement, "RESET ALL");
  EXPECT_EQ(only.statement_offset, 2u);

  expect_refused({
      {"SELECT 1; BEGIN READ WRITE", "BEGIN READ WRITE"},
      {"BEGIN; SET TRANSACTION READ WRITE; INSERT INTO t VALUES (1); COMMIT",
       "SET TRANSACTION READ WRITE"},
      {"SET search_path = app; select set_config('default_transaction_read_only','off',false)",
       "set_config('default_transaction_read_only', ...)"},
      {"SELECT 1; DO $$ BEGIN END $$; SELECT 2", "DO"},
  });
}

TEST(ReadOnlyGuard, WhatCannotLiftReadOnlyModeIsAllowed) {
  expect_allowed({
      "SELECT 1",
      "SELECT * FROM orders WHERE id = $1",
      "INSERT INTO t VALUES (1)",  // the server refuses writes itself (SQLSTATE 25006)
      "UPDATE t SET a = 1 WHERE b = 2",
      "DELETE FROM t",
      "CREATE TABLE t (a int)",
      "SET default_transaction_read_only = on",
      "SET default_transaction_read_only = 'ON'",
      "SET default_transaction_read_only TO true",
      "SET default_transaction_read_only = yes",
      "SET default_transaction_read_only = 't'",
      "SET default_transaction_read_only = 'Y'",
      "SET default_transaction_read_only = 1",
      "SET LOCAL transaction_read_only = on",
      "SET transaction_read_only = 'true'",
      "BEGIN",
      "BEGIN READ ONLY",
      "START TRANSACTION READ ONLY",
      "BEGIN ISOLATION LEVEL SERIALIZABLE",
      "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE",
      "SET TRANSACTION READ ONLY",
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
      "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
      "SET TRANSACTION SNAPSHOT '00000003-0000001B-1'",
      "COMMIT",
      "ROLLBACK",
      "SAVEPOINT a",
      "SET search_path = app, public",
      "SET statement_timeout = 0",
      "RESET search_path",
      "SET LOCAL work_mem = '64MB'",
      "SHOW default_transaction_read_only",
      "SHOW ALL",
      "COPY t TO STDOUT",
      "COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv)",
      "PREPARE s (int) AS SELECT * FROM t WHERE id = $1",
      "EXECUTE s (1)",
      "DEALLOCATE ALL",
      "DISCARD PLANS",
      "DISCARD TEMP",
      // Neither touches the read-only settings: a role's own settings apply only at login.
      "SET ROLE reporting",
      "RESET ROLE",
      "SET SESSION AUTHORIZATION app",
      "RESET SESSION AUTHORIZATION",
      "SELECT set_config('search_path', 'app', false)",
      "SELECT set_config('application_name', 'x', true), current_setting('transaction_read_only')",
      "SELECT set_config(NULL, 'off', false)",
      "SELECT my_schema.my_config('default_transaction_read_only', 'off', false)",
      "SELECT 'set_config(''default_transaction_read_only'', ''off'', false)'",
      "SELECT 1 -- SET default_transaction_read_only = off",
      "SELECT 'DISCARD ALL', 'BEGIN READ WRITE' AS \"RESET ALL\"",
      "LISTEN c; NOTIFY c; UNLISTEN *",
      "EXPLAIN SELECT * FROM t",
      "SELECT 1; SELECT 2; SET search_path = a",
      "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
  });
}

// COMMIT AND CHAIN starts a transaction with the ended one's characteristics: read only, since
// nothing could make the ended one read-write. So it cannot lift read-only mode.
TEST(ReadOnlyGuard, ChainedTransactionsKeepReadOnlyAndAreAllowed) {
  expect_allowed({"COMMIT AND CHAIN", "ROLLBACK AND CHAIN", "END AND CHAIN", "ABORT AND CHAIN"});
}

// In a transaction begun read-write before the mode (which the session takes at its end),
// nothing may follow that end in the same text, and no chained transaction may carry it on.
TEST(ReadOnlyGuard, InATransactionBegunBeforeTheModeNothingMayFollowItsEnd) {
  for (const char* sql :
       {"COMMIT; INSERT INTO t VALUES (1)", "end ; select 1", "ROLLBACK; INSERT INTO t VALUES (1)",
        "ABORT; SELECT 1", "PREPARE TRANSACTION 'x'; INSERT INTO t VALUES (1)",
        "SELECT 1; COMMIT; /* ; */ INSERT INTO t VALUES (1)", "COMMIT; BEGIN READ ONLY"}) {
    const GuardVerdict verdict = check_read_only(sql, true);
    EXPECT_EQ(verdict.outcome, GuardOutcome::kRefused) << sql;
    EXPECT_TRUE(verdict.reason.starts_with("a statement after ")) << sql << ": " << verdict.reason;
    EXPECT_TRUE(verdict.ends_transaction) << sql;
    EXPECT_EQ(check_read_only(sql).outcome, GuardOutcome::kAllowed) << sql;  // mode taken
  }
  EXPECT_EQ(check_read_only("COMMIT; SELECT 1", true).reason,
            "a statement after COMMIT in the same message");
  EXPECT_EQ(check_read_only("COMMIT; SELECT 1", true).statement, "SELECT 1");
  EXPECT_EQ(check_read_only("abort and chain", true).reason, "ROLLBACK AND CHAIN");
  EXPECT_EQ(check_read_only("COMMIT AND CHAIN", true).reason, "COMMIT AND CHAIN");
  // Its end last, or no end at all: the transaction finishes as it began.
  for (const char* sql : {"COMMIT", "INSERT INTO t VALUES (1); COMMIT", "END;", "COMMIT; -- done",
                          "ROLLBACK TO SAVEPOINT s; INSERT INTO t VALUES (1)",
                          "RELEASE s; SELECT 1", "SAVEPOINT s; SELECT 1", "COMMIT PREPARED 'x'"}) {
    EXPECT_EQ(check_read_only(sql, true).outcome, GuardOutcome::kAllowed) << sql;
  }
  EXPECT_TRUE(check_read_only("SELECT 1; END", true).ends_transaction);
  EXPECT_TRUE(check_read_only("PREPARE TRANSACTION 'x'").ends_transaction);
  EXPECT_FALSE(check_read_only("ROLLBACK TO SAVEPOINT s").ends_transaction);
  EXPECT_FALSE(check_read_only("PREPARE p AS SELECT 1").ends_transaction);
}

TEST(ReadOnlyGuard, EmptyTextAndCommentsOnlyAreAllowed) {
  expect_allowed({"", "   \n\t", ";", ";;", "-- nothing", "/* nothing */", "/* a */ -- b\n;"});
}

TEST(ReadOnlyGuard, UnparsableTextIsRefusedWithTheParsersMessage) {
  const GuardVerdict verdict =
      check_read_only("SELECT 1; SELEC 2; SET default_transaction_read_only = off");
  EXPECT_EQ(verdict.outcome, GuardOutcome::kSyntaxError);
  EXPECT_EQ(verdict.reason, "syntax error at or near \"SELEC\"");
  EXPECT_EQ(verdict.cursor, 11);
  EXPECT_FALSE(verdict.allowed());

  for (const char* sql : {"SET default_transaction_read_only =", "'unterminated", "BEGIN READ",
                          "SELECT (1", "DO", "$$"}) {
    const GuardVerdict broken = check_read_only(sql);
    EXPECT_EQ(broken.outcome, GuardOutcome::kSyntaxError) << sql;
    EXPECT_FALSE(broken.reason.empty()) << sql;
  }
}

TEST(ReadOnlyGuard, TextWithAZeroByteIsRefused) {
  const std::string sql("SELECT 1;\0 RESET ALL", 20);
  const GuardVerdict verdict = check_read_only(sql);
  EXPECT_EQ(verdict.outcome, GuardOutcome::kRefused);
  EXPECT_EQ(verdict.reason, "a text holding a zero byte");
}

TEST(ReadOnlyGuard, MegabyteQueriesAreJudgedWithoutCrashing) {
  constexpr std::size_t kMegabyte = 1024 * 1024;
  std::string in_list = "SELECT * FROM t WHERE id IN (1";
  while (in_list.size() < kMegabyte) in_list += ", 12345";
  in_list += ")";
  EXPECT_EQ(check_read_only(in_list).outcome, GuardOutcome::kAllowed);

  // Left-nested: one tree level every two characters, which libpg_query's output recurses on
  // (a quarter of a megabyte needs 16 MiB of stack; a whole one takes seconds to read).
  std::string sum = "SELECT 1";
  while (sum.size() < kMegabyte / 4) sum += "+1";
  EXPECT_EQ(check_read_only(sum).outcome, GuardOutcome::kAllowed);

  std::string lifted = "SELECT 'x'";
  while (lifted.size() < kMegabyte / 4) lifted += "||'x'";
  lifted += "; SELECT set_config('default_transaction_read_only', 'off', false)";
  const GuardVerdict verdict = check_read_only(lifted);
  EXPECT_EQ(verdict.outcome, GuardOutcome::kRefused);
  EXPECT_EQ(verdict.statement, "SELECT set_config('default_transaction_read_only', 'off', false)");

  std::string nested_call = "SELECT set_config(";
  while (nested_call.size() < kMegabyte / 4) nested_call += "'x'||";
  nested_call += "'y', 'off', false)";
  EXPECT_EQ(check_read_only(nested_call).reason,
            "set_config() with a setting name known only when it runs");

  std::string deep_parens(200000, '(');  // deeper than the parser's own stack allows
  deep_parens = "SELECT " + deep_parens + "1" + std::string(200000, ')');
  EXPECT_EQ(check_read_only(deep_parens).outcome, GuardOutcome::kSyntaxError);

  std::string statements;
  while (statements.size() < kMegabyte / 4) statements += "SELECT 1; ";
  statements += "RESET ALL";
  const GuardVerdict last = check_read_only(statements);
  EXPECT_EQ(last.reason, "RESET ALL");
  EXPECT_EQ(last.statement_offset, statements.size() - 9);

  EXPECT_EQ(check_read_only("SELECT '" + std::string(kMegabyte, 'x') + "'").outcome,
            GuardOutcome::kAllowed);
}

}  // namespace
}  // namespace cutover::proxy
