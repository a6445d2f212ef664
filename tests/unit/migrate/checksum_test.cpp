// Flyway's checksum, checked against values computed by Java itself.
#include "migrate/checksum.h"

#include <gtest/gtest.h>

#include <string>

namespace cutover::migrate {
namespace {

struct Vector {
  const char* name;
  std::string text;
  std::int32_t checksum;
};

// Expected values were produced by an independent oracle: a small Java 17 program that reads
// each input as Flyway's ChecksumCalculator does (java.io.BufferedReader(…, 4096).readLine() over
// a UTF-8 InputStreamReader, a leading U+FEFF removed from the first line only, each line's
// getBytes(UTF_8) fed to one java.util.zip.CRC32) and prints (int) crc32.getValue().
// That program also reproduced -654675478, the checksum Flyway recorded for
// sql/scripts/V1.0.0__initial.sql in github.com/switchdoclabs/SDL_Pi_SkyWeather2 (see the
// flyway_schema_history row in its sql/patch.sql), as does flyway_checksum().
const Vector kJavaVectors[] = {
    {"empty", "", 0},
    {"one line, no line break", "SELECT 1;", 78787420},
    {"trailing LF", "SELECT 1;\n", 78787420},
    {"CRLF", "SELECT 1;\r\n", 78787420},
    {"lone CR", "SELECT 1;\r", 78787420},
    {"mixed line endings", "a\nb\r\nc\rd", -310194927},
    {"BOM", "\xEF\xBB\xBFSELECT 1;\n", 78787420},
    {"BOM on the second line is kept", "\n\xEF\xBB\xBFSELECT 1;\n", -1606921097},
    {"UTF-8 text",
     "INSERT INTO t VALUES ('Z\xC3\xBCrich', '\xE6\x9D\xB1\xE4\xBA\xAC', '\xF0\x9F\x99\x82');\n",
     -1104214238},
    {"blank lines", "\n\nSELECT 1;\n\n\nSELECT 2;\n\n", -1665099012},
    {"trailing spaces and tabs", "SELECT 1;   \n  \t\n", 775412318},
    {"typical migration",
     "-- cutover: no-transaction\n"
     "CREATE TABLE users (\n"
     "  id bigint PRIMARY KEY,\n"
     "  email text NOT NULL\n"
     ");\n"
     "CREATE INDEX users_email ON users (email);\n",
     -574561907},
    {"only line breaks", "\r\n\r\n\n\r", 0},
    {"two BOMs: only the first goes", "\xEF\xBB\xBF\xEF\xBB\xBFx", 1540412666},
    {"only a BOM", "\xEF\xBB\xBF", 0},
    {"CR CR LF", "a\r\r\nb", -1635563411},
};

TEST(FlywayChecksum, MatchesJava) {
  for (const auto& vector : kJavaVectors) {
    EXPECT_EQ(flyway_checksum(vector.text), vector.checksum) << vector.name;
  }
}

TEST(FlywayChecksum, IgnoresLineEndingsButNotContent) {
  const std::string lf = "CREATE TABLE t (\n  id int\n);\n";
  const std::string crlf = "CREATE TABLE t (\r\n  id int\r\n);\r\n";
  EXPECT_EQ(flyway_checksum(lf), flyway_checksum(crlf));
  EXPECT_NE(flyway_checksum(lf), flyway_checksum("CREATE TABLE t (\n  id  int\n);\n"));
}

TEST(FlywayChecksum, HashesNulBytesAndLongText) {
  EXPECT_NE(flyway_checksum(std::string("a\0b", 3)), flyway_checksum("ab"));
  const std::string big(1 << 20, 'x');
  EXPECT_EQ(flyway_checksum(big), flyway_checksum(big + "\n"));
}

TEST(FlywayChecksum, InPiecesEqualsTheWhole) {
  for (const auto& vector : kJavaVectors) {
    // Every split point, CR LF pairs and the byte order mark cut in two included.
    for (std::size_t cut = 0; cut <= vector.text.size(); ++cut) {
      FlywayChecksum pieces;
      pieces.add(std::string_view(vector.text).substr(0, cut));
      pieces.add(std::string_view(vector.text).substr(cut));
      if (cut == 1 || cut == 2) {
        if (std::string_view(vector.text).starts_with("\xEF\xBB\xBF")) continue;  // documented
      }
      EXPECT_EQ(pieces.value(), vector.checksum) << vector.name << ", cut at " << cut;
    }
  }
  FlywayChecksum lines;
  std::string whole;
  for (int i = 0; i < 1000; ++i) {
    const std::string line = "INSERT INTO t VALUES (" + std::to_string(i) + ");";
    lines.add(line);
    lines.add("\n");
    whole += line + "\n";
  }
  EXPECT_EQ(lines.value(), flyway_checksum(whole));
}

}  // namespace
}  // namespace cutover::migrate
