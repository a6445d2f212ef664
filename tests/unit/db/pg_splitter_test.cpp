// Tests for the PostgreSQL statement splitter: exact statement texts and lines for tricky scripts.
#include "db/postgres/pg_splitter.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unit/db/splitter_cases.h"

namespace cutover::db {
namespace {

const SplitCase kSplitCases[] = {
    {"EmptyScript", "", {}},
    {"WhitespaceOnly", "  \n\t\r\n  ", {}},
    {"OnlyComments", "-- a\n/* b */\n-- c", {}},
    {"SingleStatement", "SELECT 1;", {{"SELECT 1", 1}}},
    {"TrailingStatementWithoutSemicolon",
     "SELECT 1;\nSELECT 2",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"EmptyStatementsDropped", "SELECT 1;;\n;SELECT 2;;", {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"WindowsLineEndings",
     "SELECT 1;\r\nSELECT\r\n  2;\r\n",
     {{"SELECT 1", 1}, {"SELECT\r\n  2", 2}}},
    {"SeveralStatementsOnOneLine",
     "SELECT 1; SELECT 2; SELECT 3;",
     {{"SELECT 1", 1}, {"SELECT 2", 1}, {"SELECT 3", 1}}},
    {"CommentsBeforeStatementDropped",
     "-- header\n/* block\n comment */\nCREATE TABLE t (id int);",
     {{"CREATE TABLE t (id int)", 4}}},
    {"CommentInsideStatementKept", "SELECT 1 -- one\n + 2;", {{"SELECT 1 -- one\n + 2", 1}}},
    {"CommentAfterSemicolonDropped", "SELECT 1; -- done\n", {{"SELECT 1", 1}}},
    {"CommentAfterLastStatementWithoutSemicolonDropped", "SELECT 1\n-- the end", {{"SELECT 1", 1}}},
    {"CommentBetweenStatementsOnOneLine",
     "SELECT 1; /* c */ SELECT 2;",
     {{"SELECT 1", 1}, {"SELECT 2", 1}}},
    {"SemicolonInString", "SELECT 'a;b';\nSELECT 2;", {{"SELECT 'a;b'", 1}, {"SELECT 2", 2}}},
    {"SemicolonInDoubledQuoteString", "SELECT 'it''s;';", {{"SELECT 'it''s;'", 1}}},
    {"SemicolonInQuotedIdentifier",
     "CREATE TABLE \"a;b\" (\"c;\" int);",
     {{"CREATE TABLE \"a;b\" (\"c;\" int)", 1}}},
    {"QuotedIdentifierWithDoubledQuote",
     "SELECT 1 AS \"a\"\";b\";",
     {{"SELECT 1 AS \"a\"\";b\"", 1}}},
    {"SemicolonInLineComment",
     "SELECT 1 -- not; here\n;SELECT 2;",
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"SemicolonInBlockComment", "SELECT /* ; */ 1;", {{"SELECT /* ; */ 1", 1}}},
    {"NestedBlockComment",
     "/* outer /* inner; */ still; */ SELECT 1;\nSELECT /* a /* b; */ c */ 2;",
     {{"SELECT 1", 1}, {"SELECT /* a /* b; */ c */ 2", 2}}},
    {"DollarQuote", "SELECT $$a;b$$;", {{"SELECT $$a;b$$", 1}}},
    {"TaggedDollarQuoteContainingDoubleDollar",
     "SELECT $fn$ x $$ ; $$ y $fn$;\nSELECT 2;",
     {{"SELECT $fn$ x $$ ; $$ y $fn$", 1}, {"SELECT 2", 2}}},
    {"DoubleDollarInsideString",
     "SELECT '$$;', 1; SELECT 2;",
     {{"SELECT '$$;', 1", 1}, {"SELECT 2", 1}}},
    {"QuoteInsideDollarQuote", "SELECT $$ it's; $$;", {{"SELECT $$ it's; $$", 1}}},
    {"PositionalParameterIsNotADollarQuote",
     "PREPARE p(int) AS SELECT $1; EXECUTE p(1);",
     {{"PREPARE p(int) AS SELECT $1", 1}, {"EXECUTE p(1)", 1}}},
    {"IdentifierContainingDollar",
     "SELECT a$b FROM t; SELECT 2;",
     {{"SELECT a$b FROM t", 1}, {"SELECT 2", 1}}},
    {"EStringWithEscapedQuote",
     "SELECT E'it\\'s; fine';\nSELECT 2;",
     {{"SELECT E'it\\'s; fine'", 1}, {"SELECT 2", 2}}},
    {"EStringEndingInEscapedBackslash",
     "SELECT E'\\\\'; SELECT 2;",
     {{"SELECT E'\\\\'", 1}, {"SELECT 2", 1}}},
    {"StandardConformingStringBackslashIsLiteral",
     "SELECT 'C:\\'; SELECT 2;",
     {{"SELECT 'C:\\'", 1}, {"SELECT 2", 1}}},
    {"UnicodeEscapeString", "SELECT U&'d\\0061t;a';", {{"SELECT U&'d\\0061t;a'", 1}}},
    {"UnicodeEscapesAtStatementEnd",
     "SELECT 1 AS U&\"a;\"\"b\"; SELECT U&'x''y!0061' UESCAPE '!';",
     {{"SELECT 1 AS U&\"a;\"\"b\"", 1}, {"SELECT U&'x''y!0061' UESCAPE '!'", 1}}},
    {"Utf8AndEmojiInStrings",
     "INSERT INTO t VALUES ('h\xC3\xA9llo; \xF0\x9F\x98\x80');\nSELECT '\xC3\xBC';",
     {{"INSERT INTO t VALUES ('h\xC3\xA9llo; \xF0\x9F\x98\x80')", 1}, {"SELECT '\xC3\xBC'", 2}}},
    {"OperatorsAndCasts",
     "SELECT a[1:2], b::text, c->>'k;' FROM t;",
     {{"SELECT a[1:2], b::text, c->>'k;' FROM t", 1}}},
    {"DoBlock",
     "DO $$\nBEGIN\n  RAISE NOTICE 'x;';\nEND\n$$;\nSELECT 1;",
     {{"DO $$\nBEGIN\n  RAISE NOTICE 'x;';\nEND\n$$", 1}, {"SELECT 1", 6}}},
    {"PlpgsqlFunction",
     "CREATE OR REPLACE FUNCTION f(a int) RETURNS int AS $body$\nDECLARE\n  b int := 1;\nBEGIN\n"
     "  RETURN a + b;\nEND;\n$body$ LANGUAGE plpgsql;\n\nSELECT f(1);",
     {{"CREATE OR REPLACE FUNCTION f(a int) RETURNS int AS $body$\nDECLARE\n  b int := 1;\nBEGIN\n"
       "  RETURN a + b;\nEND;\n$body$ LANGUAGE plpgsql",
       1},
      {"SELECT f(1)", 9}}},
    {"BeginAtomicBodyParsed",
     "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\n"
     "SELECT f();",
     {{"CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND",
       1},
      {"SELECT f()", 6}}},
    {"BeginAtomicBodyWhenScriptHasSyntaxError",
     "SELEC 1;\nCREATE PROCEDURE p() LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (1);\n"
     "  INSERT INTO t VALUES (2);\nEND;\nSELECT 3;",
     {{"SELEC 1", 1},
      {"CREATE PROCEDURE p() LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (1);\n"
       "  INSERT INTO t VALUES (2);\nEND",
       2},
      {"SELECT 3", 7}}},
    {"BeginAtomicWithCaseWhenScriptHasSyntaxError",
     "CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
     "  SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END;\nEND;\nGARBAGE here;",
     {{"CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
       "  SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END;\nEND",
       1},
      {"GARBAGE here", 4}}},
    {"FunctionNamedBeginParsed",
     "CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1';\nSELECT 2;",
     {{"CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1'", 1}, {"SELECT 2", 2}}},
    {"StatementWithoutKeywordKept",
     "SELECT 1;\nfoo bar;\nSELECT 2;",
     {{"SELECT 1", 1}, {"foo bar", 2}, {"SELECT 2", 3}}},
    {"RuleWithSeveralActions",
     "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES "
     "(2));\nSELECT 1;",
     {{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES "
       "(2))",
       1},
      {"SELECT 1", 2}}},
    {"TransactionStatements",
     "BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;",
     {{"BEGIN", 1}, {"UPDATE t SET a = 1", 2}, {"COMMIT", 3}}},
    {"LineAfterMultilineComment", "/*\n\n*/\n\nSELECT 1;", {{"SELECT 1", 5}}},
    {"LineAfterMultilineString",
     "SELECT 'a\nb\nc';\nSELECT 2;",
     {{"SELECT 'a\nb\nc'", 1}, {"SELECT 2", 4}}},
    {"LineAfterMultilineDollarQuote",
     "SELECT $$\n;\n;\n$$;\n\n  SELECT 2;",
     {{"SELECT $$\n;\n;\n$$", 1}, {"SELECT 2", 6}}},
    {"CopyFromServerFileAllowed",
     "COPY t (a, b) FROM '/tmp/x.csv' WITH (FORMAT csv);",
     {{"COPY t (a, b) FROM '/tmp/x.csv' WITH (FORMAT csv)", 1}}},
    {"StandardConformingStringsOnAllowed",
     "SET standard_conforming_strings = on;",
     {{"SET standard_conforming_strings = on", 1}}},
};

const ErrorCase kErrorCases[] = {
    {"UnterminatedQuote", "SELECT 1;\nSELECT 'abc;\nSELECT 2;",
     "unterminated quoted string starting at line 2"},
    {"UnterminatedQuoteAfterMultibyteCharacters", "SELECT '\xC3\xA9\xF0\x9F\x98\x80';\nSELECT 'x",
     "unterminated quoted string starting at line 2"},
    {"UnterminatedDollarQuote", "SELECT 1;\n\nDO $x$ BEGIN END $y$;",
     "unterminated dollar-quoted string starting at line 3"},
    {"UnterminatedNestedBlockComment", "SELECT 1;\n/* a /* b */\nSELECT 2;",
     "unterminated /* comment starting at line 2"},
    {"UnterminatedQuotedIdentifier", "SELECT \"abc;",
     "unterminated quoted identifier starting "
     "at line 1"},
    {"BeginAtomicWithoutEnd",
     "SELECT 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
     "BEGIN ATOMIC\n  SELECT 1;",
     "BEGIN ATOMIC body starting at line 3 has no matching END"},
    {"PsqlMetaCommand", "SELECT 1;\n\\connect other\nSELECT 2;",
     "psql meta-command \\connect at line 2 is not SQL; cutover runs plain SQL"},
    {"PsqlMetaCommandInclude", "\\i other.sql",
     "psql meta-command \\i at line 1 is not SQL; "
     "cutover runs plain SQL"},
    {"CopyFromStdin", "SELECT 1;\nCOPY t (a, b) FROM stdin;\n1\tO'Brien\n\\.\n",
     "COPY ... FROM STDIN at line 2 reads its rows from the client, like psql's inline COPY data; "
     "cutover runs plain SQL"},
    {"CopyToStdout", "COPY (SELECT 1) TO STDOUT;",
     "COPY ... TO STDOUT at line 1 sends rows to the client, which a migration has nowhere to "
     "put"},
    {"StandardConformingStringsOff", "SELECT 1;\nSET standard_conforming_strings TO 'off';",
     "SET standard_conforming_strings = off at line 2 is not supported"},
};

class PgSplitTest : public testing::TestWithParam<SplitCase> {};

TEST_P(PgSplitTest, SplitsExactly) {
  EXPECT_EQ(texts_and_lines(split_postgres(GetParam().script)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, PgSplitTest, testing::ValuesIn(kSplitCases), CaseName());

class PgSplitErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(PgSplitErrorTest, RejectsWithLine) { expect_split_error(split_postgres, GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, PgSplitErrorTest, testing::ValuesIn(kErrorCases), CaseName());

TEST(PgSplit, SpansOfAParsedScriptSayTheyParseAndOfOneThatDoesNotSayNot) {
  const std::string parsed = "SELECT 1;\n/* c */ SELECT 2;";
  const std::vector<StatementSpan> spans = find_postgres_statements(parsed);
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_TRUE(spans[1].parsed);
  EXPECT_EQ(spans[1].text_in(parsed), "SELECT 2");
  EXPECT_EQ(spans[1].line, 2);
  const std::vector<StatementSpan> fallback = find_postgres_statements("SELECT 1;\nSELEC 2;");
  ASSERT_EQ(fallback.size(), 2U);
  EXPECT_FALSE(fallback[1].parsed);
}

// Scripts above 1 MB are split a chunk at a time: the result must be the whole script's.
TEST(PgSplit, ABigScriptSplitInChunksKeepsEveryStatementAndLine) {
  std::string script;
  int statements = 0;
  while (script.size() < (std::size_t{3} << 20)) {
    script += "-- row " + std::to_string(statements) + "\nINSERT INTO t VALUES (" +
              std::to_string(statements) + ", 'x;y', $$a;b$$);\n";
    ++statements;
  }
  const std::vector<StatementSpan> spans = find_postgres_statements(script);
  ASSERT_EQ(spans.size(), static_cast<std::size_t>(statements));
  for (int i : {0, 1, 20000, statements / 2, statements - 1}) {
    const StatementSpan& span = spans[static_cast<std::size_t>(i)];
    EXPECT_EQ(span.line, 2 * i + 2) << i;
    EXPECT_TRUE(span.parsed);
    EXPECT_EQ(span.text_in(script),
              "INSERT INTO t VALUES (" + std::to_string(i) + ", 'x;y', $$a;b$$)");
  }
}

TEST(PgSplit, ABigBeginAtomicBodyIsOneStatementWhereverTheChunksWouldBeCut) {
  std::string body;
  while (body.size() < (std::size_t{3} << 20)) body += "  SELECT 1;\n";
  const std::string script =
      "SELECT 0;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n" + body +
      "END;\nSELECT 2;\n";
  const std::vector<StatementSpan> spans = find_postgres_statements(script);
  ASSERT_EQ(spans.size(), 3U);
  EXPECT_EQ(spans[1].line, 2);
  EXPECT_TRUE(spans[1].text_in(script).ends_with("SELECT 1;\nEND"));
  EXPECT_EQ(spans[2].text_in(script), "SELECT 2");
  EXPECT_TRUE(spans[2].parsed);
}

TEST(LineCounter, AgreesWithLineOfOffsetForwardsAndBackwards) {
  std::string script;
  for (int i = 0; i < 500; ++i) script += i % 3 == 0 ? "a\n\n" : "bcd\n";
  LineCounter lines(script);
  for (std::size_t offset :
       {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{900},
        std::size_t{901}, std::size_t{17}, script.size(), script.size() + 10, std::size_t{5}}) {
    EXPECT_EQ(lines.line_of(offset), line_of_offset(script, offset)) << offset;
  }
  EXPECT_EQ(line_of_offset("a\nb", 2), 2);
}

TEST(PgSyntaxErrors, ValidStatementsHaveNone) {
  for (const char* sql : {"CREATE TABLE x ()", "", "-- nothing", "SELECT 1; SELECT 2",
                          "CREATE INDEX CONCURRENTLY i ON t (a)"}) {
    EXPECT_FALSE(find_syntax_error(Flavor::kPostgres, sql).has_value()) << sql;
  }
}

TEST(PgSyntaxErrors, PointAtTheOffendingByte) {
  const auto error = [](std::string_view sql) {
    const std::optional<SyntaxError> found = find_syntax_error(Flavor::kPostgres, sql);
    EXPECT_TRUE(found.has_value()) << sql;
    return found.value_or(SyntaxError{"(none)", -1});
  };
  const SyntaxError tabel = error("CREATE TABEL x ()");
  EXPECT_EQ(tabel.message, R"(syntax error at or near "TABEL")");
  EXPECT_EQ(tabel.offset, 7);

  const std::string commented = "-- first\nSELECT 1;\nCREATE TABEL x ()";
  EXPECT_EQ(error(commented).offset, static_cast<int>(commented.find("TABEL")));

  // libpg_query counts characters; the offset counts bytes ("é" is two).
  const std::string accented = "SELECT 'café' FROM FROM";
  EXPECT_EQ(error(accented).offset, static_cast<int>(accented.rfind("FROM")));

  const SyntaxError at_end = error("SELECT (");
  EXPECT_EQ(at_end.message, "syntax error at end of input");
  EXPECT_EQ(at_end.offset, 8);

  const SyntaxError unterminated = error("SELECT 1; SELECT 'abc");
  EXPECT_EQ(unterminated.message, R"(unterminated quoted string at or near "'abc")");
  EXPECT_EQ(unterminated.offset, 17);
}

TEST(PgSyntaxErrors, AStatementsErrorIsOnItsLineOfTheScript) {
  const std::string script = "SELECT 1;\n-- two\nCREATE TABLE t\n  (a int,,);\nSELECT 3;";
  const std::vector<StatementSpan> spans = find_statements(Flavor::kPostgres, script);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_FALSE(statement_syntax_error(Flavor::kPostgres, script, spans[0]).has_value());
  const std::optional<SyntaxError> error =
      statement_syntax_error(Flavor::kPostgres, script, spans[1]);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 4);
  EXPECT_EQ(error->message, R"(syntax error at or near ",")");
}

TEST(PgSyntaxErrors, TheParserKnowsServersUpToItsOwnMajorVersion) {
  EXPECT_TRUE(parser_knows_server(120005));
  EXPECT_TRUE(parser_knows_server(150018));
  EXPECT_FALSE(parser_knows_server(160004));  // JSON_TABLE, MERGE ... BY SOURCE are new there
  EXPECT_FALSE(parser_knows_server(0));       // not known
}

}  // namespace
}  // namespace cutover::db
