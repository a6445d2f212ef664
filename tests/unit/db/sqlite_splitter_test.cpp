// Tests for the SQLite statement splitter: exact statement texts and lines for tricky scripts.
#include "db/sqlite/sqlite_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "unit/db/splitter_cases.h"

namespace cutover::db {
namespace {

const SplitCase kSplitCases[] = {
    {"EmptyScript", "", {}},
    {"WhitespaceOnly", " \n\t\r\n", {}},
    {"OnlyComments", "-- a;\n/* b; */\n--", {}},
    {"SingleStatement", "SELECT 1;", {{"SELECT 1", 1}}},
    {"TrailingStatementWithoutSemicolon",
     "SELECT 1;\nSELECT 2",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"TrailingStatementEndingInLineComment",
     "SELECT 1;\nSELECT 2 -- two",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"EmptyStatementsDropped", "SELECT 1;;\n;SELECT 2;;", {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"WindowsLineEndings",
     "SELECT 1;\r\nSELECT\r\n  2;\r\n",
     {{"SELECT 1", 1}, {"SELECT\r\n  2", 2}}},
    {"SeveralStatementsOnOneLine",
     "CREATE TABLE t (a, b); CREATE INDEX i ON t(a); SELECT 3;",
     {{"CREATE TABLE t (a, b)", 1}, {"CREATE INDEX i ON t(a)", 1}, {"SELECT 3", 1}}},
    {"CommentsBeforeStatementDropped",
     "-- header\n/* block\n */\nCREATE TABLE t (id INTEGER);",
     {{"CREATE TABLE t (id INTEGER)", 4}}},
    {"CommentInsideStatementKept", "SELECT 1 -- one;\n + 2;", {{"SELECT 1 -- one;\n + 2", 1}}},
    {"CommentAfterSemicolonDropped",
     "SELECT 1; -- done\nSELECT 2; /* end */",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"SemicolonInSingleQuotes", "SELECT 'a;b';", {{"SELECT 'a;b'", 1}}},
    {"SemicolonInDoubledSingleQuotes", "SELECT 'it''s;';", {{"SELECT 'it''s;'", 1}}},
    {"SemicolonInDoubleQuotes",
     "CREATE TABLE \"a;b\" (\"c\"\";\" INT);",
     {{"CREATE TABLE \"a;b\" (\"c\"\";\" INT)", 1}}},
    {"SemicolonInBackticks", "SELECT `a;b` FROM t;", {{"SELECT `a;b` FROM t", 1}}},
    {"SemicolonInBrackets", "SELECT [a;b] FROM t;", {{"SELECT [a;b] FROM t", 1}}},
    {"BackslashIsNotAnEscape", "SELECT 'a\\'; SELECT 2;", {{"SELECT 'a\\'", 1}, {"SELECT 2", 1}}},
    {"SemicolonInLineComment", "SELECT 1 -- x;\n, 2;", {{"SELECT 1 -- x;\n, 2", 1}}},
    {"SemicolonInBlockComment", "SELECT /* ; */ 1;", {{"SELECT /* ; */ 1", 1}}},
    {"Utf8AndEmojiInStrings",
     "INSERT INTO t VALUES ('h\xC3\xA9llo; \xF0\x9F\x98\x80');\nSELECT '\xC3\xBC';",
     {{"INSERT INTO t VALUES ('h\xC3\xA9llo; \xF0\x9F\x98\x80')", 1}, {"SELECT '\xC3\xBC'", 2}}},
    {"LineAfterMultilineComment", "/*\n\n*/\n\nSELECT 1;", {{"SELECT 1", 5}}},
    {"LineAfterMultilineString",
     "SELECT 'a\nb\nc';\nSELECT 2;",
     {{"SELECT 'a\nb\nc'", 1}, {"SELECT 2", 4}}},
    {"CaseExpressionIsNotABlock",
     "SELECT CASE WHEN a THEN 1 ELSE 2 END FROM t;\nSELECT 2;",
     {{"SELECT CASE WHEN a THEN 1 ELSE 2 END FROM t", 1}, {"SELECT 2", 2}}},
    {"TransactionStatements",
     "BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;\nBEGIN TRANSACTION;\nEND TRANSACTION;",
     {{"BEGIN", 1},
      {"UPDATE t SET a = 1", 2},
      {"COMMIT", 3},
      {"BEGIN TRANSACTION", 4},
      {"END TRANSACTION", 5}}},
    {"TriggerWithSeveralStatements",
     "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  INSERT INTO log VALUES (NEW.id);\n  UPDATE "
     "c SET n = n + 1;\nEND;\nINSERT INTO t VALUES (1);",
     {{"CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  INSERT INTO log VALUES (NEW.id);\n  UPDATE "
       "c SET n = n + 1;\nEND",
       1},
      {"INSERT INTO t VALUES (1)", 6}}},
    {"TriggerWithCaseExpressionInside",
     "CREATE TRIGGER trg AFTER UPDATE ON t BEGIN UPDATE t SET a = CASE WHEN NEW.b THEN 1 ELSE 2 "
     "END WHERE id = NEW.id; SELECT 1; END;\nSELECT 2;",
     {{"CREATE TRIGGER trg AFTER UPDATE ON t BEGIN UPDATE t SET a = CASE WHEN NEW.b THEN 1 ELSE 2 "
       "END WHERE id = NEW.id; SELECT 1; END",
       1},
      {"SELECT 2", 2}}},
    {"TriggerWithWhenClause",
     "CREATE TRIGGER IF NOT EXISTS trg BEFORE DELETE ON t WHEN OLD.locked BEGIN SELECT "
     "RAISE(ABORT, 'locked; sorry'); END;",
     {{"CREATE TRIGGER IF NOT EXISTS trg BEFORE DELETE ON t WHEN OLD.locked BEGIN SELECT "
       "RAISE(ABORT, 'locked; sorry'); END",
       1}}},
    {"TemporaryTriggerLowercase",
     "create temp trigger trg instead of insert on v begin insert into t values (new.a); "
     "end;\nselect 1;",
     {{"create temp trigger trg instead of insert on v begin insert into t values (new.a); end", 1},
      {"select 1", 2}}},
    {"TriggerWithEndInStringAndComment",
     "CREATE TRIGGER trg AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES ('END;'); -- END;\n"
     "  /* END; */ SELECT 1;\nEND;\nSELECT 2;",
     {{"CREATE TRIGGER trg AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES ('END;'); -- END;\n"
       "  /* END; */ SELECT 1;\nEND",
       1},
      {"SELECT 2", 5}}},
    {"TriggerWithQuotedEndColumn",
     "CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE t SET \"end\" = 1; UPDATE t SET [begin] = "
     "2; END;",
     {{"CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE t SET \"end\" = 1; UPDATE t SET [begin] "
       "= 2; END",
       1}}},
    {"TriggerAtEndWithoutSemicolon",
     "SELECT 1;\nCREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END",
     {{"SELECT 1", 1}, {"CREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END", 2}}},
    {"TriggerAfterLeadingComment",
     "-- audit\nCREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END; -- done",
     {{"CREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END", 2}}},
    {"ExplainCreateTrigger",
     "EXPLAIN CREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END;",
     {{"EXPLAIN CREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END", 1}}},
    {"CreateTriggerTextInString",
     "SELECT 'CREATE TRIGGER x BEGIN'; SELECT 2;",
     {{"SELECT 'CREATE TRIGGER x BEGIN'", 1}, {"SELECT 2", 1}}},
    {"ColumnsNamedBeginAndEnd",
     "CREATE TABLE t (\"begin\" INT, \"end\" INT);\nSELECT 1;",
     {{"CREATE TABLE t (\"begin\" INT, \"end\" INT)", 1}, {"SELECT 1", 2}}},
    {"ViewWithCase",
     "CREATE VIEW v AS SELECT CASE a WHEN 1 THEN 'x;' END AS c FROM t;",
     {{"CREATE VIEW v AS SELECT CASE a WHEN 1 THEN 'x;' END AS c FROM t", 1}}},
    {"UpsertAndReturning",
     "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = b + 1 RETURNING *;",
     {{"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = b + 1 RETURNING *", 1}}},
    {"RecursiveCte",
     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM "
     "c;",
     {{"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM "
       "c",
       1}}},
};

const ErrorCase kErrorCases[] = {
    {"UnterminatedSingleQuote", "SELECT 1;\nSELECT 'abc;\nSELECT 2;",
     "unterminated quoted string starting at line 2"},
    {"UnterminatedDoubleQuote", "SELECT 1;\n\nSELECT \"abc;",
     "unterminated quoted identifier starting at line 3"},
    {"UnterminatedBacktick", "SELECT `a;", "unterminated quoted identifier starting at line 1"},
    {"UnterminatedBracket", "SELECT 1;\nSELECT [a;",
     "unterminated quoted identifier starting at "
     "line 2"},
    {"UnterminatedBlockComment", "SELECT 1;\n/* a;\nSELECT 2;",
     "unterminated /* comment starting at line 2"},
    {"TriggerWithoutEnd",
     "SELECT 1;\n-- t\nCREATE TRIGGER trg AFTER INSERT ON t BEGIN\n  SELECT 1;\n",
     "CREATE TRIGGER starting at line 3 has BEGIN without END"},
};

class SqliteSplitTest : public testing::TestWithParam<SplitCase> {};

TEST_P(SqliteSplitTest, SplitsExactly) {
  EXPECT_EQ(texts_and_lines(split_sqlite(GetParam().script)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, SqliteSplitTest, testing::ValuesIn(kSplitCases), CaseName());

class SqliteSplitErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(SqliteSplitErrorTest, RejectsWithLine) { expect_split_error(split_sqlite, GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, SqliteSplitErrorTest, testing::ValuesIn(kErrorCases), CaseName());

}  // namespace
}  // namespace cutover::db
