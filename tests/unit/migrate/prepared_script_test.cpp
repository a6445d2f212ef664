// Preparing a script: steps per database, resume checksums, and errors found before running.
#include "migrate/prepared_script.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/error.h"
#include "migrate/checksum.h"
#include "migrate/migration_source.h"

namespace cutover::migrate {
namespace {

using Flavor = db::Flavor;

// A server of `flavor` whose syntax the parser knows (PostgreSQL 15).
db::ServerInfo server(Flavor flavor, int version_number = 150000) {
  db::ServerInfo info;
  info.flavor = flavor;
  info.version_number = version_number;
  return info;
}

MigrationScript script(std::string text, bool no_transaction = false) {
  MigrationScript s;
  s.version = Version::parse("2");
  s.description = "mixed";
  s.file_name = "V2__mixed.sql";
  s.text = std::move(text);
  s.checksum = flyway_checksum(s.text.view());
  s.options.no_transaction = no_transaction;
  return s;
}

std::vector<std::pair<int, int>> bounds(const PreparedScript& p, bool in_transaction) {
  std::vector<std::pair<int, int>> out;
  for (const auto& step : p.steps) {
    if (step.in_transaction == in_transaction) out.emplace_back(step.first, step.end);
  }
  return out;
}

constexpr const char* kMixed =
    "CREATE TABLE a (id INT);\n"
    "INSERT INTO a VALUES (1);\n"
    "CREATE INDEX CONCURRENTLY a_id ON a (id);\n"
    "CREATE TABLE b (id INT);\n"
    "CREATE TABLE c (id INT);\n";

TEST(PreparedScript, PostgresGroupsStatementsIntoTransactionsAroundTheNonTransactionalOnes) {
  PreparedScript p = prepare_script(script(kMixed), server(Flavor::kPostgres), {});
  ASSERT_EQ(p.count(), 5);
  EXPECT_EQ(bounds(p, true), (std::vector<std::pair<int, int>>{{0, 2}, {3, 5}}));
  EXPECT_EQ(bounds(p, false), (std::vector<std::pair<int, int>>{{2, 3}}));
  EXPECT_FALSE(p.atomic());
  EXPECT_EQ(p.statement(2).line, 3);
  ASSERT_TRUE(p.statement(2).traits.concurrent_index.has_value());
  EXPECT_EQ(p.statement(2).traits.concurrent_index->name, "a_id");
  EXPECT_EQ(p.where(2), "statement 3 (line 3)");
}

TEST(PreparedScript, AFileWithoutSpecialStatementsIsOneTransactionOnPostgresAndSqlite) {
  const char* text = "CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n";
  EXPECT_TRUE(prepare_script(script(text), server(Flavor::kPostgres), {}).atomic());
  EXPECT_TRUE(prepare_script(script(text), server(Flavor::kSqlite), {}).atomic());
}

// A no-transaction file runs statement by statement, each committed on its own; one that can
// run in a transaction runs in its own with its progress record, so that a leader killed while
// it runs never leaves it applied and unrecorded (a successor would run it again).
TEST(PreparedScript, NoTransactionFilesRunStatementByStatement) {
  const char* text = "CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n";
  using Steps = std::vector<std::pair<int, int>>;
  for (Flavor flavor : {Flavor::kPostgres, Flavor::kMariaDb, Flavor::kSqlite}) {
    PreparedScript p = prepare_script(script(text, true), server(flavor), {});
    EXPECT_EQ(bounds(p, false), (Steps{{0, 1}})) << "DDL runs as it is";
    EXPECT_EQ(bounds(p, true), (Steps{{1, 2}})) << "a data statement in its own transaction";
  }
  // What may have made the file no-transaction runs as it is.
  PreparedScript outside = prepare_script(
      script("CALL p();\nDO $$ BEGIN COMMIT; END $$;\nCREATE INDEX CONCURRENTLY i ON a (id);\n"
             "REINDEX TABLE a;\nDISCARD ALL;\nSET TRANSACTION READ ONLY;\n",
             true),
      server(Flavor::kPostgres), {});
  EXPECT_EQ(bounds(outside, false), (Steps{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}}));
}

// Each MariaDB DML step commits together with its progress record, so a successor never runs
// a committed INSERT again; DDL commits implicitly and stays a step of its own.
TEST(PreparedScript, MariaDbGroupsDmlIntoTransactionsAndRunsDdlAlone) {
  const char* text =
      "CREATE TABLE a (id INT);\n"
      "INSERT INTO a VALUES (1);\n"
      "-- a comment\n# another\n/* and one more */ update a SET id = 2;\n"
      "CREATE INDEX a_id ON a (id);\n"
      "DELETE FROM a;\n"
      "/*!40000 ALTER TABLE a DISABLE KEYS */;\n"
      "WITH x AS (SELECT 1 AS v) SELECT v FROM x;\n"
      "CALL p();\n"
      "REPLACE INTO a VALUES (3);\n";
  PreparedScript p = prepare_script(script(text), server(Flavor::kMariaDb), {});
  ASSERT_EQ(p.count(), 9);
  EXPECT_EQ(bounds(p, true), (std::vector<std::pair<int, int>>{{1, 3}, {4, 5}, {6, 7}, {8, 9}}));
  EXPECT_EQ(bounds(p, false), (std::vector<std::pair<int, int>>{{0, 1}, {3, 4}, {5, 6}, {7, 8}}));
}

TEST(PreparedScript, PrefixChecksumIgnoresEditsAfterThePrefixOnly) {
  PreparedScript before = prepare_script(script(kMixed), server(Flavor::kPostgres), {});
  std::string edited_tail = std::string(kMixed) + "CREATE TABLE d (id INT);\n";
  PreparedScript after = prepare_script(script(edited_tail), server(Flavor::kPostgres), {});
  EXPECT_EQ(before.prefix_checksum(3), after.prefix_checksum(3));
  EXPECT_NE(before.prefix_checksum(5), after.prefix_checksum(6));

  std::string edited_head = "CREATE TABLE a (id BIGINT);\n" + std::string(kMixed).substr(25);
  PreparedScript head = prepare_script(script(edited_head), server(Flavor::kPostgres), {});
  EXPECT_NE(before.prefix_checksum(3), head.prefix_checksum(3));
}

TEST(PreparedScript, SyntaxErrorNamesFileStatementAndLineBeforeAnythingRuns) {
  const char* text =
      "CREATE TABLE a (id INT);\n"
      "INSERT INTO a VALUES (1);\n"
      "\n"
      "CREATE TABEL b (id INT);\n";
  try {
    prepare_script(script(text), server(Flavor::kPostgres), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("V2__mixed.sql: statement 3 (line 4)"), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("TABEL"), std::string::npos) << e.message();
  }
}

// PostgreSQL 16's and 17's new syntax does not parse with the parser at hand (15's): refused
// as a syntax error there would be a valid file refused, so a later server skips the check (and
// reports a real syntax error itself, at the statement, as any other failure).
TEST(PreparedScript, ALaterServersSyntaxIsLeftToTheServer) {
  const char* text =
      "CREATE TABLE a (id INT, doc JSONB);\n"
      "CREATE VIEW v AS SELECT j.x FROM a, JSON_TABLE(a.doc, '$' COLUMNS (x INT PATH '$.x')) j;\n";
  EXPECT_THROW(prepare_script(script(text), server(Flavor::kPostgres, 150010), {}), Error);
  PreparedScript p = prepare_script(script(text), server(Flavor::kPostgres, 170002), {});
  EXPECT_EQ(p.count(), 2);
  EXPECT_TRUE(p.atomic());
}

TEST(PreparedScript, MissingPlaceholderAndUnterminatedQuoteNameTheFile) {
  try {
    prepare_script(script("CREATE TABLE a (id INT);\nGRANT SELECT ON a TO ${owner};\n"),
                   server(Flavor::kPostgres), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("V2__mixed.sql"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("owner"), std::string::npos) << e.message();
  }
  PreparedScript filled = prepare_script(script("GRANT SELECT ON a TO ${owner};\n"),
                                         server(Flavor::kPostgres), {{"owner", "app"}});
  EXPECT_EQ(filled.statement(0).text, "GRANT SELECT ON a TO app");

  try {
    prepare_script(script("SELECT 1;\nSELECT 'open;\n"), server(Flavor::kSqlite), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("V2__mixed.sql"), std::string::npos) << e.message();
  }
}

// 20,000 statements, every fourth spread over three lines, as a big data file is.
std::string many_statements(int count) {
  std::string text = "CREATE TABLE t (id INT, note TEXT);\n";
  for (int i = 1; i < count; ++i) {
    if (i % 4 == 0) {
      text += fmt::format("-- row {}\nINSERT INTO t\n  VALUES ({}, 'note;{}');\n", i, i, i);
    } else {
      text += fmt::format("INSERT INTO t VALUES ({}, 'note {}');\n", i, i);
    }
  }
  return text;
}

// The line of statement `index` (0-based) in many_statements().
int line_in_many(int index) {
  if (index == 0) return 1;
  // Statement i > 0 starts after line 1, three lines per earlier multiple of 4 (its comment
  // line included), one per other earlier statement; a multiple of 4 starts after its comment.
  const int earlier = index - 1;
  const int multiples = earlier / 4;
  int line = 2 + (earlier - multiples) + 3 * multiples;
  if (index % 4 == 0) line += 1;
  return line;
}

TEST(PreparedScript, TwentyThousandStatementsKeepTheirLinesTextsAndPrefixChecksums) {
  constexpr int kCount = 20000;
  for (Flavor flavor : {Flavor::kPostgres, Flavor::kMariaDb, Flavor::kSqlite}) {
    SCOPED_TRACE(static_cast<int>(flavor));
    const PreparedScript p = prepare_script(script(many_statements(kCount)), server(flavor), {});
    ASSERT_EQ(p.count(), kCount);
    EXPECT_EQ(p.atomic(), flavor != Flavor::kMariaDb);
    for (int i : {0, 1, 4, 7, 12345, 15000, kCount - 2, kCount - 1}) {
      EXPECT_EQ(p.statement(i).line, line_in_many(i)) << "statement " << i + 1;
    }
    EXPECT_EQ(p.statement(15000).text, "INSERT INTO t\n  VALUES (15000, 'note;15000')");
    EXPECT_EQ(p.statement(kCount - 1).text,
              fmt::format("INSERT INTO t VALUES ({}, 'note {}')", kCount - 1, kCount - 1));
    EXPECT_EQ(p.where(kCount - 1),
              fmt::format("statement {} (line {})", kCount, line_in_many(kCount - 1)));
    // The prefix checksums are Flyway's checksum of the joined statements, as they always were.
    std::string joined;
    for (int i = 0; i < kCount; ++i) {
      if (i == 0 || i == 3 || i == 15001 || i == kCount - 1) {
        EXPECT_EQ(p.prefix_checksum(i), flyway_checksum(joined)) << "prefix of " << i;
      }
      joined.append(p.statement(i).text).append("\n");
    }
    EXPECT_EQ(p.prefix_checksum(kCount), flyway_checksum(joined));
    EXPECT_EQ(p.prefix_checksum(kCount + 5), p.prefix_checksum(kCount));
  }
}

TEST(PreparedScript, StatementsAreViewsOfOneCopyOfTheText) {
  const PreparedScript p =
      prepare_script(script(many_statements(100)), server(Flavor::kPostgres), {});
  EXPECT_TRUE(p.script.text.empty());  // the raw text is not kept a second time
  const std::string_view sql = p.sql.view();
  for (const ScriptStatement& statement : p.statements) {
    EXPECT_GE(statement.text.data(), sql.data());
    EXPECT_LE(statement.text.data() + statement.text.size(), sql.data() + sql.size());
  }
  const PreparedScript copy = p;  // copies share the text, and their views stay valid
  EXPECT_EQ(copy.sql.view().data(), p.sql.view().data());
  EXPECT_EQ(copy.statement(99).text, p.statement(99).text);
}

TEST(PreparedScript, ASyntaxErrorDeepInABigFileNamesItsStatementAndLine) {
  constexpr int kCount = 20000;
  std::string text = many_statements(kCount);
  const std::string bad = "INSERT INTO t VALUES (19998, 'note 19998');";
  text.replace(text.find(bad), bad.size(), "INSERT INTO t VALUES (19998, 'note 19998'));");
  try {
    prepare_script(script(text), server(Flavor::kPostgres), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find(
                  fmt::format("V2__mixed.sql: statement 19999 (line {})", line_in_many(19998))),
              std::string::npos)
        << e.message();
  }
}

// This process's peak resident memory (VmHWM) in kB since reset_peak_memory().
long peak_memory_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

void reset_peak_memory() { std::ofstream("/proc/self/clear_refs") << "5"; }

// How much the peak memory grows while a file of `count` INSERTs of 1.2 kB each is read, checked,
// split and prepared for each database, measured in a child process so that every size starts
// from the same memory; -1 when the prepared script is not as expected. Sets `size_kb` to the
// file's size.
long peak_growth_kb(int count, long& size_kb) {
  namespace fs = std::filesystem;
  std::string folder = (fs::temp_directory_path() / "cutover-big-XXXXXX").string();
  if (mkdtemp(folder.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  {
    std::ofstream file(fs::path(folder) / "V1__big.sql", std::ios::binary);
    file << "CREATE TABLE t (id INT, note TEXT);\n";
    const std::string note(1200, 'x');
    for (int i = 0; i < count; ++i) file << "INSERT INTO t VALUES (" << i << ", '" << note << "');\n";
  }
  size_kb = static_cast<long>(fs::file_size(fs::path(folder) / "V1__big.sql") / 1024);
  int result[2];
  if (pipe(result) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = fork();
  if (child == 0) {
    reset_peak_memory();
    const long before_kb = peak_memory_kb();
    long growth_kb = 0;
    for (db::Flavor flavor : {Flavor::kPostgres, Flavor::kMariaDb, Flavor::kSqlite}) {
      const std::vector<MigrationScript> scripts = load_migrations(folder);
      const PreparedScript p = prepare_script(scripts.at(0), server(flavor), {});
      const bool as_expected =
          p.count() == count + 1 && p.sql.view().data() == scripts[0].text.view().data() &&
          p.statement(count).text ==
              fmt::format("INSERT INTO t VALUES ({}, '{}')", count - 1, std::string(1200, 'x'));
      if (!as_expected) growth_kb = -1;
    }
    if (growth_kb == 0) growth_kb = peak_memory_kb() - before_kb;
    (void)!write(result[1], &growth_kb, sizeof growth_kb);
    _exit(0);
  }
  long growth_kb = -1;
  close(result[1]);
  (void)!read(result[0], &growth_kb, sizeof growth_kb);
  close(result[0]);
  waitpid(child, nullptr, 0);
  fs::remove_all(folder);
  return growth_kb;
}

// A file is read, checked, split and prepared without being held in memory: it is mapped, never
// copied (the statements are views into the mapping), and its pages are given back as they are
// passed. What grows with it is a record per statement (about 180 bytes: 30,000 more here), not
// its text (36 MB more here).
TEST(PreparedScript, PeakMemoryDoesNotGrowWithTheFile) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine (up to 256 MB), so peak memory grows
  // with everything the prepare allocated and freed: the normal build measures this.
  GTEST_SKIP() << "peak memory is AddressSanitizer's here, not cutover's";
#endif
  long big_kb = 0, small_kb = 0;
  const long small_growth_kb = peak_growth_kb(10000, small_kb);
  const long big_growth_kb = peak_growth_kb(40000, big_kb);
  ASSERT_GE(small_growth_kb, 0) << "the small file was not prepared as expected";
  ASSERT_GE(big_growth_kb, 0) << "the big file was not prepared as expected";
  EXPECT_LT(big_growth_kb - small_growth_kb, (big_kb - small_kb) / 4)
      << "peak memory grew " << big_growth_kb << " kB for a " << big_kb << " kB file and "
      << small_growth_kb << " kB for a " << small_kb << " kB one";
}

}  // namespace
}  // namespace cutover::migrate
