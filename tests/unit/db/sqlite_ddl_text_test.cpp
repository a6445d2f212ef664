// Tests for reading SQLite CREATE texts: CHECKs, named foreign keys, triggers, views, indexes.
#include "db/sqlite/sqlite_ddl_text.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace cutover::db {
namespace {

// Parsed results as plain pairs and tuples, which GoogleTest compares and prints whole.
using Check = std::pair<std::string, std::string>;  // name, expression
// name, columns, ref_table
using ForeignKey = std::tuple<std::string, std::vector<std::string>, std::string>;

std::vector<Check> checks_of(const SqliteTableDdl& ddl) {
  std::vector<Check> out;
  for (const CheckInfo& c : ddl.checks) out.emplace_back(c.name, c.expression);
  return out;
}

std::vector<ForeignKey> foreign_keys_of(const SqliteTableDdl& ddl) {
  std::vector<ForeignKey> out;
  for (const SqliteNamedForeignKey& fk : ddl.named_foreign_keys) {
    out.emplace_back(fk.name, fk.columns, fk.ref_table);
  }
  return out;
}

struct CheckCase {
  const char* name;
  std::string sql;
  std::vector<Check> checks;
};
void PrintTo(const CheckCase& c, std::ostream* os) { *os << c.name; }

const CheckCase kCheckCases[] = {
    {"NoChecks", "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)", {}},
    {"ColumnUnnamed", "CREATE TABLE t (a INTEGER CHECK (a > 0))", {{"", "a > 0"}}},
    {"ColumnNamed",
     "CREATE TABLE t (a INTEGER CONSTRAINT positive CHECK (a > 0))",
     {{"positive", "a > 0"}}},
    {"TableNamed",
     "CREATE TABLE t (a INT, b INT, CONSTRAINT a_lt_b CHECK (a < b))",
     {{"a_lt_b", "a < b"}}},
    {"TableUnnamed", "CREATE TABLE t (a INT, b INT, CHECK (a <> b))", {{"", "a <> b"}}},
    {"ColumnAndTableInOrder",
     "CREATE TABLE t (a INT CHECK (a > 0), CONSTRAINT one CHECK (a < 9), b INT CONSTRAINT two "
     "CHECK (b > a), CHECK (a + b < 20))",
     {{"", "a > 0"}, {"one", "a < 9"}, {"two", "b > a"}, {"", "a + b < 20"}}},
    {"TwoChecksOnOneColumn",
     "CREATE TABLE t (a INT CHECK (a > 0) CHECK (a < 10))",
     {{"", "a > 0"}, {"", "a < 10"}}},
    {"NestedParentheses",
     "CREATE TABLE t (a INT, b INT, c INT, CHECK (a IN (1, 2, 3) AND (b > 0 OR (c IS NULL))))",
     {{"", "a IN (1, 2, 3) AND (b > 0 OR (c IS NULL))"}}},
    {"TypeSizeBeforeCheck",
     "CREATE TABLE t (price DECIMAL(10, 2) CHECK (price >= 0))",
     {{"", "price >= 0"}}},
    {"DefaultExpressionBeforeCheck",
     "CREATE TABLE t (a INT DEFAULT (abs(-1)) CONSTRAINT pos CHECK (a > 0))",
     {{"pos", "a > 0"}}},
    {"GeneratedColumnBeforeCheck",
     "CREATE TABLE t (a INT, b INT GENERATED ALWAYS AS (a * 2) STORED CHECK (b < 100))",
     {{"", "b < 100"}}},
    {"StringWithParenthesisAndCheck",
     "CREATE TABLE t (s TEXT CHECK (s IN ('open)', 'CHECK (x)')))",
     {{"", "s IN ('open)', 'CHECK (x)')"}}},
    {"StringWithDoubledQuote",
     "CREATE TABLE t (s TEXT CHECK (s <> 'it''s)'))",
     {{"", "s <> 'it''s)'"}}},
    {"QuotedNamesWithParenthesis",
     "CREATE TABLE t (\"a)\" INT CHECK (\"a)\" > 0 AND [b(] < `c)`))",
     {{"", "\"a)\" > 0 AND [b(] < `c)`"}}},
    {"BlockCommentInsideCheck",
     "CREATE TABLE t (a INT CHECK (a > 0 /* ) CHECK (b) */ AND a < 10))",
     {{"", "a > 0 /* ) CHECK (b) */ AND a < 10"}}},
    {"LineCommentInsideCheck",
     "CREATE TABLE t (a INT CHECK (a > 0 -- ) oops\n AND a < 10))",
     {{"", "a > 0 -- ) oops\n AND a < 10"}}},
    {"CommentsOutsideCheckIgnored",
     "CREATE TABLE t (a INT /* CHECK (fake) */ CHECK (a > 0) -- CHECK (x)\n, b INT)",
     {{"", "a > 0"}}},
    {"QuotedColumnNamedCheck",
     "CREATE TABLE t (\"check\" INT CHECK (\"check\" > 0))",
     {{"", "\"check\" > 0"}}},
    {"QuotedConstraintNames",
     "CREATE TABLE t (a INT CONSTRAINT \"my \"\"first\"\"\" CHECK (a > 0), CONSTRAINT [second one] "
     "CHECK (a < 9), CONSTRAINT `th``ird` CHECK (a <> 5))",
     {{"my \"first\"", "a > 0"}, {"second one", "a < 9"}, {"th`ird", "a <> 5"}}},
    {"NameBelongsToTheNextConstraintOnly",
     "CREATE TABLE t (a INT CONSTRAINT nn NOT NULL CHECK (a > 0))",
     {{"", "a > 0"}}},
    {"LowercaseKeywords", "create table t (a int constraint c check(a>0))", {{"c", "a>0"}}},
    {"WhitespaceAroundExpressionTrimmed",
     "CREATE TABLE t (a INT CHECK (\n    a > 0\n  ))",
     {{"", "a > 0"}}},
    {"QuotedTableNameWithParenthesis",
     "CREATE TABLE IF NOT EXISTS main.\"t (x CHECK (y))\" (a INT CHECK (a > 0)) STRICT",
     {{"", "a > 0"}}},
    {"CreateTableAsSelect", "CREATE TABLE t AS SELECT 1 AS a, (2) AS b", {}},
};

class SqliteCheckTest : public testing::TestWithParam<CheckCase> {};

TEST_P(SqliteCheckTest, FindsChecks) {
  EXPECT_EQ(checks_of(parse_sqlite_create_table(GetParam().sql)), GetParam().checks);
}

INSTANTIATE_TEST_SUITE_P(Cases, SqliteCheckTest, testing::ValuesIn(kCheckCases),
                         [](const auto& test) { return std::string(test.param.name); });

struct ForeignKeyCase {
  const char* name;
  std::string sql;
  std::vector<ForeignKey> foreign_keys;
};
void PrintTo(const ForeignKeyCase& c, std::ostream* os) { *os << c.name; }

const ForeignKeyCase kForeignKeyCases[] = {
    {"TableLevel",
     "CREATE TABLE t (id INT, user_id INT, CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES "
     "users (id))",
     {{"fk_user", {"user_id"}, "users"}}},
    {"Composite",
     "CREATE TABLE t (a INT, b INT, CONSTRAINT fk_ab FOREIGN KEY (a, b) REFERENCES parent (x, y) "
     "ON DELETE CASCADE)",
     {{"fk_ab", {"a", "b"}, "parent"}}},
    {"ColumnLevel",
     "CREATE TABLE t (user_id INTEGER CONSTRAINT fk_u REFERENCES users(id) ON DELETE CASCADE)",
     {{"fk_u", {"user_id"}, "users"}}},
    {"ReferencesWithoutColumns",
     "CREATE TABLE t (a INT, CONSTRAINT fk FOREIGN KEY (a) REFERENCES p)",
     {{"fk", {"a"}, "p"}}},
    {"UnnamedIgnored",
     "CREATE TABLE t (a INTEGER REFERENCES users(id), b INT, FOREIGN KEY (b) REFERENCES p(x))",
     {}},
    {"QuotedNames",
     "CREATE TABLE t (\"user id\" INT, CONSTRAINT \"fk one\" FOREIGN KEY (\"user id\") REFERENCES "
     "\"Users\"(\"id\"))",
     {{"fk one", {"user id"}, "Users"}}},
    {"NameOnOtherConstraintDoesNotLeak",
     "CREATE TABLE t (a INT CONSTRAINT nn NOT NULL REFERENCES p(x))",
     {}},
    {"CommentsBetween",
     "CREATE TABLE t (a INT, CONSTRAINT fk /* REFERENCES x */ FOREIGN KEY (a) -- FOREIGN\n "
     "REFERENCES p)",
     {{"fk", {"a"}, "p"}}},
    {"AmongChecksAndKeys",
     "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT CONSTRAINT fk_a REFERENCES pa(id) CHECK (a > "
     "0), b INT, CONSTRAINT ck CHECK (b > 0), CONSTRAINT fk_b FOREIGN KEY (b) REFERENCES pb(id), "
     "UNIQUE (a, b))",
     {{"fk_a", {"a"}, "pa"}, {"fk_b", {"b"}, "pb"}}},
    {"LowercaseKeywords",
     "create table t (a int, constraint fk foreign key (a) references p(x))",
     {{"fk", {"a"}, "p"}}},
};

class SqliteForeignKeyTest : public testing::TestWithParam<ForeignKeyCase> {};

TEST_P(SqliteForeignKeyTest, FindsNamedForeignKeys) {
  EXPECT_EQ(foreign_keys_of(parse_sqlite_create_table(GetParam().sql)), GetParam().foreign_keys);
}

INSTANTIATE_TEST_SUITE_P(Cases, SqliteForeignKeyTest, testing::ValuesIn(kForeignKeyCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(SqliteTableDdlTest, ChecksAndKeysOfOneTable) {
  SqliteTableDdl ddl = parse_sqlite_create_table(
      "CREATE TABLE orders (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  qty INT NOT NULL CONSTRAINT qty_positive CHECK (qty > 0),\n"
      "  customer INT CONSTRAINT fk_customer REFERENCES customers (id),\n"
      "  CHECK (qty < 1000)\n"
      ")");
  EXPECT_EQ(checks_of(ddl), (std::vector<Check>{{"qty_positive", "qty > 0"}, {"", "qty < 1000"}}));
  EXPECT_EQ(foreign_keys_of(ddl),
            (std::vector<ForeignKey>{{"fk_customer", {"customer"}, "customers"}}));
}

struct TriggerCase {
  const char* name;
  std::string sql;
  std::string timing;
  std::string events;
};
void PrintTo(const TriggerCase& c, std::ostream* os) { *os << c.name; }

const TriggerCase kTriggerCases[] = {
    {"AfterInsert", "CREATE TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END", "AFTER", "INSERT"},
    {"BeforeUpdate", "CREATE TRIGGER trg BEFORE UPDATE ON t BEGIN SELECT 1; END", "BEFORE",
     "UPDATE"},
    {"NoTimingMeansBefore", "CREATE TRIGGER trg DELETE ON t BEGIN SELECT 1; END", "BEFORE",
     "DELETE"},
    {"InsteadOf", "CREATE TRIGGER trg INSTEAD OF INSERT ON v BEGIN SELECT 1; END", "INSTEAD OF",
     "INSERT"},
    {"UpdateOfColumns",
     "CREATE TRIGGER trg AFTER UPDATE OF \"delete\", insert_at ON t BEGIN SELECT 1; END", "AFTER",
     "UPDATE"},
    {"TempIfNotExistsSchema",
     "CREATE TEMP TRIGGER IF NOT EXISTS main.trg AFTER DELETE ON t BEGIN SELECT 1; END", "AFTER",
     "DELETE"},
    {"QuotedKeywordName", "CREATE TRIGGER \"after\" BEFORE INSERT ON t BEGIN SELECT 1; END",
     "BEFORE", "INSERT"},
    {"UnquotedKeywordName", "CREATE TRIGGER before AFTER DELETE ON t BEGIN SELECT 1; END", "AFTER",
     "DELETE"},
    {"BodyWordsIgnored",
     "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW WHEN new.a > 0 BEGIN DELETE FROM x; "
     "UPDATE y SET a = 1; END",
     "AFTER", "INSERT"},
    {"CommentsIgnored",
     "CREATE TRIGGER trg /* BEFORE DELETE */ AFTER -- INSTEAD OF INSERT\n UPDATE ON t BEGIN "
     "SELECT 1; END",
     "AFTER", "UPDATE"},
    {"LowercaseKeywords", "create trigger trg instead of delete on v begin select 1; end",
     "INSTEAD OF", "DELETE"},
};

class SqliteTriggerTest : public testing::TestWithParam<TriggerCase> {};

TEST_P(SqliteTriggerTest, FindsTimingAndEvent) {
  TriggerInfo trigger = parse_sqlite_create_trigger("the_trigger", GetParam().sql);
  EXPECT_EQ(trigger.name, "the_trigger");
  EXPECT_EQ(trigger.timing, GetParam().timing);
  EXPECT_EQ(trigger.events, GetParam().events);
}

INSTANTIATE_TEST_SUITE_P(Cases, SqliteTriggerTest, testing::ValuesIn(kTriggerCases),
                         [](const auto& test) { return std::string(test.param.name); });

struct ViewCase {
  const char* name;
  std::string sql;
  std::string query;
};
void PrintTo(const ViewCase& c, std::ostream* os) { *os << c.name; }

const ViewCase kViewCases[] = {
    {"Simple", "CREATE VIEW v AS SELECT a, b FROM t", "SELECT a, b FROM t"},
    {"ColumnList", "CREATE VIEW v(x, y) AS SELECT a AS x, b AS y FROM t",
     "SELECT a AS x, b AS y FROM t"},
    {"TempIfNotExistsSchema", "CREATE TEMP VIEW IF NOT EXISTS main.v AS\n  SELECT 1\n", "SELECT 1"},
    {"QuotedNameAs", "CREATE VIEW \"as\" AS SELECT 1 AS one", "SELECT 1 AS one"},
    {"CommentBeforeAs", "CREATE VIEW /* AS SELECT 0 */ v AS SELECT 2", "SELECT 2"},
    {"WithClause", "CREATE VIEW v AS WITH c AS (SELECT 1 AS n) SELECT n FROM c",
     "WITH c AS (SELECT 1 AS n) SELECT n FROM c"},
    {"InnerTextKept", "CREATE VIEW v AS\nSELECT a\n  FROM t\n  WHERE b = 'x AS y'",
     "SELECT a\n  FROM t\n  WHERE b = 'x AS y'"},
    {"TrailingSemicolonDropped", "CREATE VIEW v AS SELECT 1;", "SELECT 1"},
    {"LowercaseKeywords", "create view v as select 1", "select 1"},
    {"NoAsGivesWholeText", "  CREATE VIEW v  ", "CREATE VIEW v"},
};

class SqliteViewTest : public testing::TestWithParam<ViewCase> {};

TEST_P(SqliteViewTest, FindsQuery) {
  EXPECT_EQ(sqlite_view_query(GetParam().sql), GetParam().query);
}

INSTANTIATE_TEST_SUITE_P(Cases, SqliteViewTest, testing::ValuesIn(kViewCases),
                         [](const auto& test) { return std::string(test.param.name); });

struct IndexCase {
  const char* name;
  std::string sql;
  std::vector<std::string> items;
};
void PrintTo(const IndexCase& c, std::ostream* os) { *os << c.name; }

const IndexCase kIndexCases[] = {
    {"OneColumn", "CREATE INDEX idx ON t (a)", {"a"}},
    {"UniqueIfNotExistsSchemaDesc",
     "CREATE UNIQUE INDEX IF NOT EXISTS main.idx ON t (a, b DESC)",
     {"a", "b DESC"}},
    {"Expressions",
     "CREATE INDEX idx ON users (lower(email), substr(name, 1, 3))",
     {"lower(email)", "substr(name, 1, 3)"}},
    {"Collate", "CREATE INDEX idx ON t (name COLLATE NOCASE ASC)", {"name COLLATE NOCASE ASC"}},
    {"PartialIndex", "CREATE INDEX idx ON t (a) WHERE b IN (1, 2)", {"a"}},
    {"QuotedNames",
     "CREATE INDEX \"on\" ON \"my (table)\" (\"col, x\", [b])",
     {"\"col, x\"", "[b]"}},
    {"StringWithComma", "CREATE INDEX idx ON t (coalesce(a, ','), b)", {"coalesce(a, ',')", "b"}},
    {"Comments", "CREATE INDEX idx ON t (a /* , z */, b -- ) c\n)", {"a", "b"}},
    {"MultiLine", "CREATE INDEX idx ON t (\n  a,\n  b\n)", {"a", "b"}},
    {"LowercaseKeywords", "create index idx on t (a, b)", {"a", "b"}},
    {"NoOn", "CREATE INDEX idx", {}},
};

class SqliteIndexTest : public testing::TestWithParam<IndexCase> {};

TEST_P(SqliteIndexTest, FindsItems) {
  EXPECT_EQ(sqlite_index_items(GetParam().sql), GetParam().items);
}

INSTANTIATE_TEST_SUITE_P(Cases, SqliteIndexTest, testing::ValuesIn(kIndexCases),
                         [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace cutover::db
