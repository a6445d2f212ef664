// Tests for the $n -> ? rewrite of MariaDB statements: exact SQL, bind order and errors.
#include "db/mariadb/mariadb_params.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"

namespace cutover::db::mariadb {
namespace {

struct RewriteCase {
  const char* name;
  std::string sql;
  std::string expected_sql;
  std::vector<std::size_t> bind_order;
  std::size_t highest;
};
void PrintTo(const RewriteCase& c, std::ostream* os) { *os << c.name; }

const RewriteCase kRewriteCases[] = {
    // Parameters in plain SQL.
    {"NoParameters", "SELECT 1", "SELECT 1", {}, 0},
    {"EmptyStatement", "", "", {}, 0},
    {"Plain",
     "SELECT * FROM t WHERE a = $1 AND b = $2",
     "SELECT * FROM t WHERE a = ? AND b = ?",
     {0, 1},
     2},
    {"WholeStatementIsParameter", "$1", "?", {0}, 1},
    {"OutOfOrder",
     "INSERT INTO t (a, b) VALUES ($2, $1)",
     "INSERT INTO t (a, b) VALUES (?, ?)",
     {1, 0},
     2},
    {"Repeated", "SELECT $1 + $1 * $2", "SELECT ? + ? * ?", {0, 0, 1}, 2},
    {"MultiDigit", "SELECT $10, $2", "SELECT ?, ?", {9, 1}, 10},
    {"GapKeepsHighest", "SELECT $3", "SELECT ?", {2}, 3},
    {"LeadingZeroReadsAsNumber", "SELECT $01", "SELECT ?", {0}, 1},
    {"NoSpacesAroundPunctuation", "SELECT($1,$2);", "SELECT(?,?);", {0, 1}, 2},
    {"AfterOperators", "SELECT a+$1, -$2, b=$3", "SELECT a+?, -?, b=?", {0, 1, 2}, 3},
    {"DigitsRightAfterParameterEndIt", "SELECT $1a", "SELECT ?a", {0}, 1},
    {"DollarWithoutDigits", "SELECT $a, $ FROM t$", "SELECT $a, $ FROM t$", {}, 0},

    // A $ inside an identifier belongs to it.
    {"IdentifierWithDollar",
     "SELECT a$1, _$2, x1$3 FROM t WHERE b = $4",
     "SELECT a$1, _$2, x1$3 FROM t WHERE b = ?",
     {3},
     4},
    {"IdentifierEndingInDollarBeforeDigit", "SELECT col$$1", "SELECT col$$1", {}, 0},
    {"Utf8IdentifierWithDollar", "SELECT \xC3\xA9$1, $1", "SELECT \xC3\xA9$1, ?", {0}, 1},
    {"ParameterAfterQualifierDot",
     "SELECT t.a FROM t WHERE t.b=$1",
     "SELECT t.a FROM t WHERE t.b=?",
     {0},
     1},

    // Single-quoted strings, with '' and backslash escapes.
    {"SingleQuoted", "SELECT '$1', $2", "SELECT '$1', ?", {1}, 2},
    {"SingleQuotedDoubledQuote", "SELECT 'it''s $1', $2", "SELECT 'it''s $1', ?", {1}, 2},
    {"SingleQuotedBackslashQuote", "SELECT 'a\\' $1', $2", "SELECT 'a\\' $1', ?", {1}, 2},
    {"SingleQuotedEscapedBackslashEndsString", "SELECT 'a\\\\', $1", "SELECT 'a\\\\', ?", {0}, 1},
    {"SingleQuotedQuestionMark", "SELECT 'why?', $1", "SELECT 'why?', ?", {0}, 1},
    {"SingleQuotedDollarZero", "SELECT '$0'", "SELECT '$0'", {}, 0},
    {"UnterminatedStringKeepsRest", "SELECT $1, '$2 ?", "SELECT ?, '$2 ?", {0}, 1},

    // Double-quoted strings and backtick identifiers.
    {"DoubleQuoted", "SELECT \"$1\", $2", "SELECT \"$1\", ?", {1}, 2},
    {"DoubleQuotedBackslashQuote", "SELECT \"a\\\" $1 ?\", $2", "SELECT \"a\\\" $1 ?\", ?", {1}, 2},
    {"DoubleQuotedDoubledQuote", "SELECT \"a\"\"$1\", $2", "SELECT \"a\"\"$1\", ?", {1}, 2},
    {"Backticks",
     "SELECT `col$1`, `$2 ?` FROM t WHERE a = $3",
     "SELECT `col$1`, `$2 ?` FROM t WHERE a = ?",
     {2},
     3},
    {"BacktickDoubled", "SELECT `a``$1`, $2", "SELECT `a``$1`, ?", {1}, 2},
    {"BacktickIgnoresBackslash", "SELECT `a\\`, $1", "SELECT `a\\`, ?", {0}, 1},

    // Comments.
    {"DashComment", "SELECT $1 -- $2 ?\n, $3", "SELECT ? -- $2 ?\n, ?", {0, 2}, 3},
    {"DashCommentAtEnd", "SELECT $1 -- $2", "SELECT ? -- $2", {0}, 1},
    {"DashCommentWithTab", "SELECT 1 --\t$1 ?\n", "SELECT 1 --\t$1 ?\n", {}, 0},
    {"DashDashAtEndOfStatement", "SELECT $1 --", "SELECT ? --", {0}, 1},
    {"DashDashWithoutSpaceIsNoComment", "SELECT 1--$1", "SELECT 1--?", {0}, 1},
    {"HashComment", "SELECT $1 # $2 ?\n+ $2", "SELECT ? # $2 ?\n+ ?", {0, 1}, 2},
    {"BlockComment", "SELECT /* $1 ? */ $2", "SELECT /* $1 ? */ ?", {1}, 2},
    {"MultiLineBlockComment",
     "SELECT $1 /*\n $2 ?\n*/ + $3",
     "SELECT ? /*\n $2 ?\n*/ + ?",
     {0, 2},
     3},
    {"SlashStarSlashDoesNotClose", "SELECT /*/ $1 */ $2", "SELECT /*/ $1 */ ?", {1}, 2},
    {"UnterminatedBlockComment", "SELECT $1 /* $2 ?", "SELECT ? /* $2 ?", {0}, 1},
    {"CommentMarkersInsideString", "SELECT '-- #', \"/*\", $1", "SELECT '-- #', \"/*\", ?", {0}, 1},
    {"QuoteInsideComment",
     "SELECT $1 /* it's */ , $2 # don't\n",
     "SELECT ? /* it's */ , ? # don't\n",
     {0, 1},
     2},

    // Executable comments are run by the server, so their parameters count.
    {"ExecutableComment", "SELECT /*! $1 */ 1", "SELECT /*! ? */ 1", {0}, 1},
    {"MariaDbExecutableComment",
     "SELECT /*M!100500 $2 */ $1",
     "SELECT /*M!100500 ? */ ?",
     {1, 0},
     2},
};

class MariaDbParamsTest : public testing::TestWithParam<RewriteCase> {};

TEST_P(MariaDbParamsTest, RewritesExactly) {
  const RewriteCase& c = GetParam();
  PositionalSql out = rewrite_placeholders(c.sql);
  EXPECT_EQ(out.sql, c.expected_sql);
  EXPECT_EQ(out.bind_order, c.bind_order);
  EXPECT_EQ(out.highest, c.highest);
}

INSTANTIATE_TEST_SUITE_P(Cases, MariaDbParamsTest, testing::ValuesIn(kRewriteCases),
                         [](const auto& test) { return std::string(test.param.name); });

struct RejectCase {
  const char* name;
  std::string sql;
  std::string message;
  std::string hint;
};
void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

const std::string kDollarZero = "the statement uses $0; parameters are numbered from $1";
const std::string kDollarZeroHint = "renumber the parameters $1, $2, ...";
const std::string kBareMarker =
    "the statement contains a bare '?', which MariaDB reads as a parameter";
const std::string kBareMarkerHint =
    "write parameters as $1, $2, ...; quote a literal question mark";

const RejectCase kRejectCases[] = {
    {"DollarZero", "SELECT $0", kDollarZero, kDollarZeroHint},
    {"DollarZeroZero", "SELECT $00", kDollarZero, kDollarZeroHint},
    {"DollarZeroAfterValidOnes", "SELECT $1, $2, $0", kDollarZero, kDollarZeroHint},
    {"DollarZeroAfterQuotedOne", "SELECT '$0', $0", kDollarZero, kDollarZeroHint},
    {"BareMarker", "SELECT * FROM t WHERE a = ?", kBareMarker, kBareMarkerHint},
    {"BareMarkerMixedWithDollar", "SELECT $1, ?", kBareMarker, kBareMarkerHint},
    {"BareMarkerAfterComment", "SELECT 1 /* ? */ + ?", kBareMarker, kBareMarkerHint},
    {"BareMarkerAfterString", "SELECT 'a?' ?", kBareMarker, kBareMarkerHint},
    {"BareMarkerInExecutableComment", "SELECT /*! ? */ 1", kBareMarker, kBareMarkerHint},
    {"BareMarkerAfterLineComment", "SELECT 1 # ?\n, ?", kBareMarker, kBareMarkerHint},
};

class MariaDbParamsRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(MariaDbParamsRejectTest, RejectsNamingTheProblem) {
  const RejectCase& c = GetParam();
  try {
    rewrite_placeholders(c.sql);
    FAIL() << "expected cutover::Error for: " << c.sql;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
    EXPECT_EQ(e.db_failure(), DbFailure::kStatement);
    EXPECT_EQ(e.message(), c.message);
    EXPECT_EQ(e.hint(), c.hint);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, MariaDbParamsRejectTest, testing::ValuesIn(kRejectCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(MariaDbBackquoteIdentifiers, WritesAnsiQuotedIdentifiersInBackticks) {
  EXPECT_EQ(backquote_identifiers(R"(UPDATE "db"."t" SET "a" = NEW."b" WHERE "id" = 1)"),
            "UPDATE `db`.`t` SET `a` = NEW.`b` WHERE `id` = 1");
  // "" inside stands for one "; a backtick inside is doubled.
  EXPECT_EQ(backquote_identifiers(R"(SELECT "say ""hi""", "a`b")"), "SELECT `say \"hi\"`, `a``b`");
}

TEST(MariaDbBackquoteIdentifiers, KeepsStringsBackticksAndComments) {
  const std::string kept = "SELECT 'it''s \\' \"x\"' , `q\"` -- \"c\"\n# \"h\"\n/* \"b\" */ 1";
  EXPECT_EQ(backquote_identifiers(kept), kept);
  EXPECT_EQ(backquote_identifiers("SET @v = COALESCE(@cutover_version, '') <> 'x'"),
            "SET @v = COALESCE(@cutover_version, '') <> 'x'");
}

}  // namespace
}  // namespace cutover::db::mariadb
