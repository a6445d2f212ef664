// Parsing change files (YAML and JSON): values, names, lines, every error, and the stored form.
#include "change/change_spec.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace cutover::change {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// parse_change_text(text, file) must throw Error(kBadInput) whose message starts with `prefix`
// (file and line) and holds `part`, with a hint.
void expect_bad_input(const std::string& text, const std::string& file, const std::string& prefix,
                      const std::string& part) {
  try {
    parse_change_text(text, file);
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_EQ(e.message().rfind(prefix, 0), 0u) << e.message();
    EXPECT_NE(e.message().find(part), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint().empty()) << e.message();
  }
}

TEST(ChangeSpec, ParsesYamlWithLinesAndValues) {
  const ChangeSpec spec = parse_change_text(R"yaml(# a comment
name: split_addresses
operations:
  - add_column:
      table: users
      column: {name: email, type: "varchar(200)", nullable: false, default: "''",
               unique: true, check: "email <> ''", references: {table: t, column: id}}
      up: lower(username) || '@example.com'

  - drop_column: {table: users, column: nickname, down: username}
  - alter_column:
      table: users
      column: score
      default: 0
      check: "score >= 0"
)yaml",
                                            "changes/x.yaml");
  EXPECT_EQ(spec.name, "split_addresses");
  EXPECT_EQ(spec.file, "changes/x.yaml");
  ASSERT_EQ(spec.operations.size(), 3u);

  const OperationSpec& add = spec.operations[0];
  EXPECT_EQ(add.kind, "add_column");
  EXPECT_EQ(add.index, 0);
  EXPECT_EQ(add.line, 4);
  EXPECT_EQ(add.where(), "operation 1 (add_column, line 4)");
  EXPECT_EQ(add.args["table"], "users");
  EXPECT_EQ(add.args["column"]["nullable"], json(false));
  EXPECT_EQ(add.args["column"]["unique"], json(true));
  EXPECT_EQ(add.args["column"]["default"], "''");
  EXPECT_EQ(add.args["column"]["references"], json({{"table", "t"}, {"column", "id"}}));
  EXPECT_EQ(add.args["up"], "lower(username) || '@example.com'");

  EXPECT_EQ(spec.operations[1].line, 10);
  EXPECT_EQ(spec.operations[1].where(), "operation 2 (drop_column, line 10)");
  EXPECT_EQ(spec.operations[2].line, 11);
  EXPECT_EQ(spec.operations[2].index, 2);
  EXPECT_EQ(spec.operations[2].args["default"], "0");
}

TEST(ChangeSpec, ScalarsStayTextExceptPlainBooleansAndNull) {
  const ChangeSpec spec = parse_change_text(R"yaml(operations:
  - sql:
      a: 0
      b: "0"
      c: 1.50
      d: True
      e: FALSE
      f: "true"
      g: yes
      h: ~
      i:
      j: [1, x]
      k: !!str false
)yaml",
                                            "values.yaml");
  const json& args = spec.operations[0].args;
  EXPECT_EQ(args["a"], "0");
  EXPECT_EQ(args["b"], "0");
  EXPECT_EQ(args["c"], "1.50");
  EXPECT_EQ(args["d"], json(true));
  EXPECT_EQ(args["e"], json(false));
  EXPECT_EQ(args["f"], "true");
  EXPECT_EQ(args["g"], "yes");
  EXPECT_TRUE(args["h"].is_null());
  EXPECT_TRUE(args["i"].is_null());
  EXPECT_EQ(args["j"], json({"1", "x"}));
  EXPECT_EQ(args["k"], "false");
}

TEST(ChangeSpec, ParsesJson) {
  // Tab-indented, no spaces after colons, escaped quotes and slashes, unicode escapes.
  const ChangeSpec spec = parse_change_text(
      "{\n\t\"name\":\"add_email\",\n\t\"operations\":[\n"
      "\t\t{\"add_column\":{\"table\":\"users\",\"column\":{\"name\":\"email\",\"type\":"
      "\"text\","
      "\"default\":0,\"unique\":true,\"check\":\"email <> \\\"\\\" AND a \\/ b <> "
      "'\\u00e9'\"}}},\n"
      "\t\t{\"drop_table\":{\"name\":\"old\"}}\n\t]\n}\n",
      "add_email.json");
  EXPECT_EQ(spec.name, "add_email");
  ASSERT_EQ(spec.operations.size(), 2u);
  const json& column = spec.operations[0].args["column"];
  EXPECT_EQ(column["default"], "0");
  EXPECT_EQ(column["unique"], json(true));
  EXPECT_EQ(column["check"], "email <> \"\" AND a / b <> '\xc3\xa9'");
  EXPECT_EQ(spec.operations[0].line, 4);
  EXPECT_EQ(spec.operations[1].line, 5);
  EXPECT_EQ(spec.operations[1].where(), "operation 2 (drop_table, line 5)");
}

TEST(ChangeSpec, NameDefaultsToTheFileStem) {
  const std::string ops = "operations: [{drop_table: {name: t}}]\n";
  EXPECT_EQ(parse_change_text(ops, "db/changes/drop_t2.yaml").name, "drop_t2");
  EXPECT_EQ(parse_change_text("name: given\n" + ops, "Not-Valid.yaml").name, "given");
  // A stem that is not a valid name asks for `name:`, suggesting one.
  try {
    parse_change_text(ops, "db/Add-Email.yaml");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("db/Add-Email.yaml: the file's name 'Add-Email'"), std::string::npos)
        << e.message();
    EXPECT_NE(e.hint().find("name: add_email"), std::string::npos) << e.hint();
  }
  expect_bad_input(ops, "public.yaml", "public.yaml: ", "'public'");
}

TEST(ChangeSpec, RejectsBadNames) {
  const std::string ops = "\noperations: [{drop_table: {name: t}}]\n";
  for (const char* name :
       {"Upper", "1abc", "has-dash", "_lead", "public", "cutover", "information_schema", "pg_temp",
        "\"\"", "[a]", "a23456789012345678901234567890123456789012"}) {
    expect_bad_input(std::string("name: ") + name + ops, "c.yaml", "c.yaml:1: ", "name");
  }
  expect_bad_input("name:" + ops, "c.yaml", "c.yaml:1: ", "`name` is empty");
  EXPECT_EQ(
      parse_change_text("name: a2345678901234567890123456789012345678_0" + ops, "c.yaml").name,
      "a2345678901234567890123456789012345678_0");
}

TEST(ChangeSpec, ReportsEveryErrorWithItsLine) {
  expect_bad_input("operations:\n  - [a\n", "s.yaml", "s.yaml:3:1: ", "not valid YAML");
  expect_bad_input("operations: [{sql: {up: \"a}}]\n", "s.yaml", "s.yaml:2:1: ", "end of map flow");
  expect_bad_input("", "e.yaml", "e.yaml: ", "empty");
  expect_bad_input("# only a comment\n", "e.yaml", "e.yaml: ", "empty");
  expect_bad_input("- drop_table: {name: t}\n", "l.yaml", "l.yaml:1: ", "top level is a list");
  expect_bad_input("just text\n", "l.yaml", "l.yaml:1: ", "top level is a single value");
  expect_bad_input("name: x\noperation:\n  - drop_table: {name: t}\n", "k.yaml",
                   "k.yaml:2: ", "unknown top-level key 'operation'");
  expect_bad_input("name: x\nname: y\noperations: [{drop_table: {name: t}}]\n", "k.yaml",
                   "k.yaml:2: ", "`name` is given twice");
  expect_bad_input("name: x\n", "m.yaml", "m.yaml:1: ", "no `operations`");
  expect_bad_input("name: x\noperations:\n", "m.yaml", "m.yaml:2: ", "`operations` is empty");
  expect_bad_input("name: x\noperations: []\n", "m.yaml", "m.yaml:2: ", "an empty list");
  expect_bad_input("name: x\noperations: {drop_table: {name: t}}\n", "m.yaml",
                   "m.yaml:2: ", "`operations` is a mapping");
  expect_bad_input("operations:\n  - drop_table: {name: t}\n  - add_column:\n    table: t\n",
                   "o.yaml",
                   "o.yaml:3: ", "operation 2 is a mapping with 2 keys (add_column, table)");
  expect_bad_input("operations:\n  - drop_table\n", "o.yaml",
                   "o.yaml:2: ", "operation 1 is a single value");
  expect_bad_input("operations:\n  - {}\n", "o.yaml",
                   "o.yaml:2: ", "operation 1 is an empty mapping");
  expect_bad_input("operations:\n\n  - drop_table:\n", "o.yaml",
                   "o.yaml:3: ", "operation 1 (drop_table): its fields are empty");
  expect_bad_input("operations:\n  - drop_table: [t]\n", "o.yaml",
                   "o.yaml:2: ", "operation 1 (drop_table): its fields are a list");
  expect_bad_input("operations:\n  - drop_table:\n      name: a\n      name: b\n", "d.yaml",
                   "d.yaml:4: ", "`name` is given twice");
  expect_bad_input("operations: [{drop_table: {name: t}}]\n---\nname: x\n", "two.yaml",
                   "two.yaml:3: ", "more than one YAML document");
}

TEST(ChangeSpec, StoredFormRoundTrips) {
  const ChangeSpec spec = parse_change_text(
      "name: keep\noperations:\n  - add_column: {table: t, column: {name: c, type: int, "
      "default: 0, unique: true}}\n  - sql: {up: \"SELECT 1\", down: ~}\n",
      "keep.yaml");
  const json stored = spec.to_json();
  const ChangeSpec back = ChangeSpec::from_json(json::parse(stored.dump()));
  EXPECT_EQ(back.name, "keep");
  EXPECT_EQ(back.file, "keep.yaml");
  ASSERT_EQ(back.operations.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.operations[i].kind, spec.operations[i].kind);
    EXPECT_EQ(back.operations[i].args, spec.operations[i].args);
    EXPECT_EQ(back.operations[i].line, spec.operations[i].line);
    EXPECT_EQ(back.operations[i].index, static_cast<int>(i));
    EXPECT_EQ(back.operations[i].where(), spec.operations[i].where());
  }
  EXPECT_EQ(back.to_json(), stored);
}

TEST(ChangeSpec, MalformedStoredFormFails) {
  const json good = {{"name", "n"},
                     {"file", "f"},
                     {"operations", {{{"kind", "sql"}, {"line", 3}, {"args", json::object()}}}}};
  EXPECT_NO_THROW(ChangeSpec::from_json(good));
  std::vector<json> bad = {json::array(), json("x")};
  for (const char* key : {"name", "file", "operations"}) {
    json copy = good;
    copy.erase(key);
    bad.push_back(copy);
  }
  for (const char* key : {"kind", "line", "args"}) {
    json copy = good;
    copy["operations"][0][key] = json::array();
    bad.push_back(copy);
  }
  for (const json& stored : bad) {
    try {
      ChangeSpec::from_json(stored);
      ADD_FAILURE() << "no error for " << stored.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
      EXPECT_NE(e.message().find("stored change"), std::string::npos) << e.message();
    }
  }
}

TEST(ChangeSpec, WhereWithoutALine) {
  OperationSpec spec{.kind = "sql", .args = json::object(), .index = 4, .line = 0};
  EXPECT_EQ(spec.where(), "operation 5 (sql)");
}

// parse_change_file reads from disk; the folder is removed with the fixture.
class ChangeFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-change-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }

  fs::path folder_;
};

TEST_F(ChangeFile, ReadsAFile) {
  const fs::path path = folder_ / "rename_login.yaml";
  std::ofstream(path) << "operations:\n  - rename_column: {table: users, from: username, to: "
                         "login}\n";
  const ChangeSpec spec = parse_change_file(path);
  EXPECT_EQ(spec.name, "rename_login");
  EXPECT_EQ(spec.file, path.string());
  ASSERT_EQ(spec.operations.size(), 1u);
  EXPECT_EQ(spec.operations[0].args["to"], "login");
}

TEST_F(ChangeFile, UnreadableFileIsBadInput) {
  for (const fs::path& path : {folder_ / "missing.yaml", folder_}) {
    try {
      parse_change_file(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_EQ(e.message().rfind(path.string() + ": cannot read", 0), 0u) << e.message();
      EXPECT_FALSE(e.hint().empty());
    }
  }
}

TEST_F(ChangeFile, SyntaxErrorNamesTheFile) {
  const fs::path path = folder_ / "broken.yaml";
  std::ofstream(path) << "operations:\n  - drop_table: {name: t\n";
  try {
    parse_change_file(path);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_EQ(e.message().rfind(path.string() + ":", 0), 0u) << e.message();
  }
}

}  // namespace
}  // namespace cutover::change
