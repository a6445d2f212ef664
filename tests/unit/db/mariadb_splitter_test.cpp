// Tests for the MariaDB statement splitter: exact statement texts and lines for tricky scripts.
#include "db/mariadb/mariadb_splitter.h"

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
    {"OnlyComments", "-- a\n# b\n/* c; */\n--", {}},
    {"SingleStatement", "SELECT 1;", {{"SELECT 1", 1}}},
    {"TrailingStatementWithoutSemicolon",
     "SELECT 1;\nSELECT 2",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"EmptyStatementsDropped", "SELECT 1;;\n;SELECT 2;;", {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"WindowsLineEndings",
     "SELECT 1;\r\nSELECT\r\n  2;\r\n",
     {{"SELECT 1", 1}, {"SELECT\r\n  2", 2}}},
    {"CommentsBeforeStatementDropped",
     "# header\n-- more\n/* block\n */\nCREATE TABLE t (id INT);",
     {{"CREATE TABLE t (id INT)", 5}}},
    {"CommentInsideStatementKept", "SELECT 1 # one\n + 2;", {{"SELECT 1 # one\n + 2", 1}}},
    {"CommentAfterSemicolonDropped",
     "SELECT 1; -- done\nSELECT 2; # also\n",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"SemicolonInSingleQuotes", "SELECT 'a;b';", {{"SELECT 'a;b'", 1}}},
    {"SemicolonInDoubleQuotes", "SELECT \"a;b\";", {{"SELECT \"a;b\"", 1}}},
    {"SemicolonInBacktickIdentifier",
     "CREATE TABLE `a;b` (`c;``d` INT);",
     {{"CREATE TABLE `a;b` (`c;``d` INT)", 1}}},
    {"BackslashEscapedQuote",
     "SELECT 'it\\'s; fine', \"say \\\"hi;\\\"\";\nSELECT 2;",
     {{"SELECT 'it\\'s; fine', \"say \\\"hi;\\\"\"", 1}, {"SELECT 2", 2}}},
    {"DoubledQuote", "SELECT 'it''s;', \"a\"\";\";", {{"SELECT 'it''s;', \"a\"\";\"", 1}}},
    {"EscapedBackslashEndsString",
     "SELECT 'a\\\\'; SELECT 2;",
     {{"SELECT 'a\\\\'", 1}, {"SELECT 2", 1}}},
    {"HashComment", "SELECT 1 # not; here\n, 2;", {{"SELECT 1 # not; here\n, 2", 1}}},
    {"DashDashSpaceComment", "SELECT 1 -- c;\n+ 1;", {{"SELECT 1 -- c;\n+ 1", 1}}},
    {"DashDashTabComment", "SELECT 1 --\tc; d\n, 2;", {{"SELECT 1 --\tc; d\n, 2", 1}}},
    {"DashDashWithoutSpaceIsNotAComment",
     "SELECT 2 --x;\nSELECT 1--1;",
     {{"SELECT 2 --x", 1}, {"SELECT 1--1", 2}}},
    {"SemicolonInBlockComment", "SELECT /* ; */ 1;", {{"SELECT /* ; */ 1", 1}}},
    {"ExecutableCommentKept",
     "/*!40101 SET NAMES utf8mb4 */;\nSELECT 1;",
     {{"/*!40101 SET NAMES utf8mb4 */", 1}, {"SELECT 1", 2}}},
    {"MariaDbExecutableCommentKept",
     "/*M!100100 SET @x = 1 */;",
     {{"/*M!100100 SET @x = 1 */", 1}}},
    {"ExecutableCommentWithSemicolonInString",
     "/*!50003 SELECT 'a;b' */;\nSELECT 2;",
     {{"/*!50003 SELECT 'a;b' */", 1}, {"SELECT 2", 2}}},
    {"Utf8AndEmojiInStrings",
     "INSERT INTO t VALUES ('h\xC3\xA9llo; \xF0\x9F\x98\x80');\nSELECT '\xC3\xBC';",
     {{"INSERT INTO t VALUES ('h\xC3\xA9llo; \xF0\x9F\x98\x80')", 1}, {"SELECT '\xC3\xBC'", 2}}},
    {"AssignmentOperator", "SET @a := 1; SELECT @a;", {{"SET @a := 1", 1}, {"SELECT @a", 1}}},
    {"LineAfterMultilineCommentAndString",
     "/*\n\n*/ SELECT 'a\nb';\n\nSELECT 2;",
     {{"SELECT 'a\nb'", 3}, {"SELECT 2", 6}}},
    {"DelimiterSlashSlash",
     "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND //\nDELIMITER ;\n"
     "CALL p();",
     {{"CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND", 2}, {"CALL p()", 8}}},
    {"DelimiterDollarsAttachedToEnd",
     "delimiter $$\nCREATE FUNCTION f() RETURNS INT\nBEGIN\n  RETURN 1;\nEND$$\ndelimiter ;\n"
     "SELECT f();",
     {{"CREATE FUNCTION f() RETURNS INT\nBEGIN\n  RETURN 1;\nEND", 2}, {"SELECT f()", 7}}},
    {"DelimiterSeveralStatementsOnOneLine",
     "DELIMITER //\nSELECT 1// SELECT ';//'//\nDELIMITER ;",
     {{"SELECT 1", 2}, {"SELECT ';//'", 2}}},
    {"DelimiterDoubleSemicolonMysqldumpTrigger",
     "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t "
     "BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END */;;\nDELIMITER ;\nSELECT 1;",
     {{"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT "
       "ON x FOR EACH ROW BEGIN SET NEW.a = 1; END */",
       2},
      {"SELECT 1", 4}}},
    {"DelimiterLineEndsPendingStatement",
     "SELECT 1\nDELIMITER //\nSELECT 2//",
     {{"SELECT 1", 1}, {"SELECT 2", 3}}},
    {"ProcedureWithoutDelimiter",
     "CREATE PROCEDURE p()\nBEGIN\n  DECLARE x INT DEFAULT 0;\n  SET x = 1;\nEND;\nCALL p();",
     {{"CREATE PROCEDURE p()\nBEGIN\n  DECLARE x INT DEFAULT 0;\n  SET x = 1;\nEND", 1},
      {"CALL p()", 6}}},
    {"ProcedureWithNestedBlocks",
     "CREATE PROCEDURE p(IN n INT)\nBEGIN\n  IF n > 0 THEN\n    BEGIN\n      SELECT 1;\n    END;\n"
     "  ELSEIF n < 0 THEN SELECT 2;\n  ELSE\n    CASE n WHEN 0 THEN SELECT 3; ELSE SELECT 4; END "
     "CASE;\n  END IF;\n  SELECT CASE WHEN n = 1 THEN 'one' ELSE 'many' END;\nEND;\nCALL p(1);",
     {{"CREATE PROCEDURE p(IN n INT)\nBEGIN\n  IF n > 0 THEN\n    BEGIN\n      SELECT 1;\n    "
       "END;\n  ELSEIF n < 0 THEN SELECT 2;\n  ELSE\n    CASE n WHEN 0 THEN SELECT 3; ELSE SELECT "
       "4; "
       "END CASE;\n  END IF;\n  SELECT CASE WHEN n = 1 THEN 'one' ELSE 'many' END;\nEND",
       1},
      {"CALL p(1)", 13}}},
    {"LabeledLoopWithLeave",
     "CREATE PROCEDURE p() BEGIN lbl: LOOP SET @i = @i + 1; IF @i > 3 THEN LEAVE lbl; END IF; "
     "END LOOP lbl; END;\nSELECT 1;",
     {{"CREATE PROCEDURE p() BEGIN lbl: LOOP SET @i = @i + 1; IF @i > 3 THEN LEAVE lbl; END IF; "
       "END LOOP lbl; END",
       1},
      {"SELECT 1", 2}}},
    {"RepeatAndWhileLoops",
     "CREATE PROCEDURE p() BEGIN REPEAT SET @i = @i + 1; UNTIL @i > 3 END REPEAT; WHILE @i > 0 "
     "DO SET @i = @i - 1; END WHILE; END;\nSELECT 1;",
     {{"CREATE PROCEDURE p() BEGIN REPEAT SET @i = @i + 1; UNTIL @i > 3 END REPEAT; WHILE @i > 0 "
       "DO SET @i = @i - 1; END WHILE; END",
       1},
      {"SELECT 1", 2}}},
    {"IfWithParenthesizedCondition",
     "CREATE PROCEDURE p(x INT) BEGIN IF (x > 0) THEN SELECT IF(x > 1, 'a', 'b'); END IF; "
     "END;\nSELECT 1;",
     {{"CREATE PROCEDURE p(x INT) BEGIN IF (x > 0) THEN SELECT IF(x > 1, 'a', 'b'); END IF; END",
       1},
      {"SELECT 1", 2}}},
    {"HandlersAndNestedBeginInProcedure",
     "CREATE PROCEDURE p() BEGIN DECLARE done INT DEFAULT 0; DECLARE CONTINUE HANDLER FOR NOT "
     "FOUND SET done = 1; DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END; "
     "DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); END;\nSELECT 2;",
     {{"CREATE PROCEDURE p() BEGIN DECLARE done INT DEFAULT 0; DECLARE CONTINUE HANDLER FOR NOT "
       "FOUND SET done = 1; DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END; "
       "DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); END",
       1},
      {"SELECT 2", 2}}},
    {"ColumnNamedEndInsideParentheses",
     "CREATE PROCEDURE p() BEGIN INSERT INTO t (start, end) VALUES (1, 2); END;\nSELECT 1;",
     {{"CREATE PROCEDURE p() BEGIN INSERT INTO t (start, end) VALUES (1, 2); END", 1},
      {"SELECT 1", 2}}},
    {"ColumnNamedEndInRepeatCondition",
     "CREATE PROCEDURE p() BEGIN REPEAT SET @a = 1; UNTIL @a > end END REPEAT; END;\nSELECT 1;",
     {{"CREATE PROCEDURE p() BEGIN REPEAT SET @a = 1; UNTIL @a > end END REPEAT; END", 1},
      {"SELECT 1", 2}}},
    {"EmptyBeginEndBlock",
     "CREATE PROCEDURE p() BEGIN END;\nSELECT 1;",
     {{"CREATE PROCEDURE p() BEGIN END", 1}, {"SELECT 1", 2}}},
    {"ColumnNamedEndInSelectList",
     "CREATE PROCEDURE p() BEGIN SELECT start, end FROM t; SELECT end; END;\nSELECT 1;",
     {{"CREATE PROCEDURE p() BEGIN SELECT start, end FROM t; SELECT end; END", 1},
      {"SELECT 1", 2}}},
    {"DefinerProcedure",
     "CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END;\nSELECT 2;",
     {{"CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END", 1}, {"SELECT 2", 2}}},
    {"DefinerCurrentUserFunctionWithCharacteristics",
     "CREATE OR REPLACE DEFINER=CURRENT_USER() FUNCTION f(a VARCHAR(10)) RETURNS VARCHAR(20) "
     "CHARSET utf8mb4 DETERMINISTIC COMMENT 'x;' BEGIN RETURN CONCAT(a, ';'); END;\nSELECT 1;",
     {{"CREATE OR REPLACE DEFINER=CURRENT_USER() FUNCTION f(a VARCHAR(10)) RETURNS VARCHAR(20) "
       "CHARSET utf8mb4 DETERMINISTIC COMMENT 'x;' BEGIN RETURN CONCAT(a, ';'); END",
       1},
      {"SELECT 1", 2}}},
    {"FunctionReturningIfFunction",
     "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN IF(x > 0, 1, 2);\nSELECT f(1);",
     {{"CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN IF(x > 0, 1, 2)", 1},
      {"SELECT f(1)", 2}}},
    {"FunctionBodyIsIfStatement",
     "CREATE FUNCTION f(x INT) RETURNS INT IF x > 0 THEN RETURN 1; ELSE RETURN 2; END IF;\n"
     "SELECT 1;",
     {{"CREATE FUNCTION f(x INT) RETURNS INT IF x > 0 THEN RETURN 1; ELSE RETURN 2; END IF", 1},
      {"SELECT 1", 2}}},
    {"TriggerWithBeginEnd",
     "CREATE TRIGGER trg BEFORE INSERT ON t\nFOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\n  SET NEW.b "
     "= CASE WHEN NEW.c THEN 1 END;\nEND;\nINSERT INTO t VALUES (1);",
     {{"CREATE TRIGGER trg BEFORE INSERT ON t\nFOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\n  SET NEW.b "
       "= CASE WHEN NEW.c THEN 1 END;\nEND",
       1},
      {"INSERT INTO t VALUES (1)", 7}}},
    {"TriggerBodyIsIfStatement",
     "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW FOLLOWS other IF NEW.a IS NULL THEN "
     "SET NEW.a = 1; END IF;\nSELECT 1;",
     {{"CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW FOLLOWS other IF NEW.a IS NULL THEN "
       "SET NEW.a = 1; END IF",
       1},
      {"SELECT 1", 2}}},
    {"TriggerWithSingleStatementBody",
     "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2);\nSELECT 1;",
     {{"CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2)", 1},
      {"SELECT 1", 2}}},
    {"EventWithBeginEnd",
     "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; INSERT INTO t VALUES (1); "
     "END;\nSELECT 1;",
     {{"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; INSERT INTO t VALUES (1); "
       "END",
       1},
      {"SELECT 1", 2}}},
    {"BeginNotAtomic",
     "BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SET x = 1;\nEND;\nSELECT 1;",
     {{"BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SET x = 1;\nEND", 1}, {"SELECT 1", 5}}},
    {"TopLevelIfStatement",
     "IF (SELECT 1) THEN SELECT 1; ELSE SELECT 2; END IF;\nSELECT 3;",
     {{"IF (SELECT 1) THEN SELECT 1; ELSE SELECT 2; END IF", 1}, {"SELECT 3", 2}}},
    {"TopLevelForLoop",
     "FOR i IN 1..3 DO SELECT i; END FOR;\nSELECT 1;",
     {{"FOR i IN 1..3 DO SELECT i; END FOR", 1}, {"SELECT 1", 2}}},
    {"BeginStartsTransaction",
     "BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;",
     {{"BEGIN", 1}, {"UPDATE t SET a = 1", 2}, {"COMMIT", 3}}},
    {"BeginWorkStartsTransaction", "BEGIN WORK;\nSELECT 1;", {{"BEGIN WORK", 1}, {"SELECT 1", 2}}},
    {"CaseExpressionIsNotABlock",
     "SELECT CASE WHEN a THEN 1 ELSE 2 END FROM t;\nSELECT 2;",
     {{"SELECT CASE WHEN a THEN 1 ELSE 2 END FROM t", 1}, {"SELECT 2", 2}}},
    {"TableNamedEventIsNotAProgram",
     "CREATE TABLE event (id INT, begin_at INT);\nSELECT 1;",
     {{"CREATE TABLE event (id INT, begin_at INT)", 1}, {"SELECT 1", 2}}},
};

const ErrorCase kErrorCases[] = {
    {"UnterminatedSingleQuote", "SELECT 1;\nSELECT 'abc;\nSELECT 2;",
     "unterminated quoted string starting at line 2"},
    {"UnterminatedDoubleQuoteAfterEscape", "SELECT 1;\n\nSELECT \"abc\\\";",
     "unterminated quoted string starting at line 3"},
    {"UnterminatedBacktick", "SELECT `a;\n", "unterminated quoted identifier starting at line 1"},
    {"UnterminatedBlockComment", "SELECT 1;\n/* a;\nSELECT 2;",
     "unterminated /* comment starting at line 2"},
    {"UnterminatedExecutableComment", "SELECT 1;\n/*!40101 SET NAMES utf8;",
     "unterminated executable comment starting at line 2"},
    {"ProcedureBeginWithoutEnd", "SELECT 1;\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n",
     "BEGIN block starting at line 3 has no matching END"},
    {"IfWithoutEndIf", "CREATE PROCEDURE p() BEGIN\n  IF 1 THEN SELECT 1;\nEND;",
     "BEGIN block starting at line 1 has no matching END"},
    {"DelimiterWithoutArgument", "SELECT 1;\nDELIMITER\nSELECT 2;",
     "DELIMITER at line 2 needs a delimiter string"},
    {"DelimiterWithBackslash", "DELIMITER \\x", "DELIMITER at line 1 contains a backslash"},
};

class MariaDbSplitTest : public testing::TestWithParam<SplitCase> {};

TEST_P(MariaDbSplitTest, SplitsExactly) {
  EXPECT_EQ(texts_and_lines(split_mariadb(GetParam().script)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, MariaDbSplitTest, testing::ValuesIn(kSplitCases), CaseName());

class MariaDbSplitErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(MariaDbSplitErrorTest, RejectsWithLine) { expect_split_error(split_mariadb, GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, MariaDbSplitErrorTest, testing::ValuesIn(kErrorCases), CaseName());

}  // namespace
}  // namespace cutover::db
