// Typed access to an operation's fields: values, nested objects, paths in messages, unknown fields.
#include "change/operation_args.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover::change {
namespace {

using nlohmann::json;

OperationSpec spec_of(const std::string& yaml) {
  return parse_change_text("operations:\n  - add_column: " + yaml + "\n", "t.yaml").operations[0];
}

// `call` must throw Error(kBadInput) whose message is exactly `message`, with a hint holding
// `hint_part`.
template <typename Call>
void expect_bad_input(Call call, const std::string& message, const std::string& hint_part = "") {
  try {
    call();
    ADD_FAILURE() << "no error, expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_EQ(e.message(), message);
    EXPECT_FALSE(e.hint().empty()) << e.message();
    EXPECT_NE(e.hint().find(hint_part), std::string::npos) << e.hint();
  }
}

const std::string kWhere = "operation 1 (add_column, line 2)";

TEST(OperationArgs, ReadsTypedFields) {
  OperationArgs args(spec_of(
      "{table: users, column: {name: email, type: 'varchar(200)', unique: true, default: 0, "
      "references: {table: t, columns: [id]}}, keys: [a, b], flag: false, when: true}"));
  EXPECT_EQ(args.string("table"), "users");
  EXPECT_EQ(args.optional_string("up"), std::nullopt);
  EXPECT_EQ(args.optional_bool("flag"), false);
  EXPECT_EQ(args.optional_bool("many"), std::nullopt);
  EXPECT_EQ(args.optional_string("when"), "true");  // a bool is SQL text too
  EXPECT_EQ(args.string_list("keys"), (std::vector<std::string>{"a", "b"}));
  OperationArgs column = args.object("column");
  EXPECT_EQ(column.identifier("name"), "email");
  EXPECT_EQ(column.string("type"), "varchar(200)");
  EXPECT_EQ(column.optional_bool("unique"), true);
  EXPECT_EQ(column.optional_string("default"), "0");
  std::optional<OperationArgs> references = column.optional_object("references");
  ASSERT_TRUE(references.has_value());
  EXPECT_EQ(references->identifier("table"), "t");
  EXPECT_EQ(references->identifier_list("columns"), std::vector<std::string>{"id"});
  EXPECT_FALSE(args.optional_object("other").has_value());
  EXPECT_EQ(&args.spec(), &args.spec());
  EXPECT_EQ(args.spec().kind, "add_column");
  EXPECT_NO_THROW(args.reject_unknown());
}

TEST(OperationArgs, NumbersFromStoredJsonAreText) {
  OperationSpec spec{.kind = "sql", .args = {{"n", 5}}, .index = 0, .line = 0};
  OperationArgs args(spec);
  EXPECT_EQ(args.string("n"), "5");
}

TEST(OperationArgs, ArgsMustBeAnObject) {
  OperationSpec spec{.kind = "sql", .args = json::array(), .index = 1, .line = 9};
  expect_bad_input([&] { OperationArgs args(spec); },
                   "operation 2 (sql, line 9): its fields are a list, not a mapping");
}

TEST(OperationArgs, ErrorsNameTheFieldsPath) {
  OperationArgs args(spec_of(
      "{table: '', column: {name: '1x', default: ~, unique: 'true', type: [a]}, list: [a, ''], "
      "one: a, empty: [], items: [{name: a}, b], up: {a: b}}"));
  expect_bad_input([&] { args.string("missing"); }, kWhere + ": missing is missing",
                   "add `missing: ...` to the operation");
  expect_bad_input([&] { args.string("table"); }, kWhere + ": table is empty", "''");
  expect_bad_input([&] { args.optional_string("up"); },
                   kWhere + ": up is a mapping, not a single value");
  expect_bad_input([&] { args.object("one"); }, kWhere + ": one is a single value, not a mapping");
  expect_bad_input([&] { args.string_list("one"); },
                   kWhere + ": one is a single value, not a list");
  expect_bad_input([&] { args.string_list("empty"); }, kWhere + ": empty is an empty list");
  expect_bad_input([&] { args.string_list("list"); }, kWhere + ": list[2] is empty");
  expect_bad_input([&] { args.string_list("nope"); }, kWhere + ": nope is missing");
  // A required field misspelt is named as such, not as missing.
  OperationArgs misspelt(spec_of(R"({"tabel": "users"})"));
  expect_bad_input([&] { misspelt.string("table"); },
                   kWhere + ": tabel is not a field: did you mean table?");
  expect_bad_input([&] { args.object_list("items"); },
                   kWhere + ": items[2] is a single value, not a mapping");
  expect_bad_input([&] { args.object_list("empty"); }, kWhere + ": empty is an empty list");

  OperationArgs column = args.object("column");
  expect_bad_input([&] { column.string("type"); },
                   kWhere + ": column.type is a list, not a single value");
  expect_bad_input([&] { column.string("check"); }, kWhere + ": column.check is missing",
                   "add `check: ...` to `column`");
  expect_bad_input([&] { column.optional_string("default"); },
                   kWhere + ": column.default has no value");
  expect_bad_input([&] { column.optional_bool("unique"); },
                   kWhere + ": column.unique must be true or false", "without quotes");
  expect_bad_input([&] { column.identifier("name"); },
                   kWhere + ": column.name '1x' is not a valid name");
  expect_bad_input([&] { column.object("references"); }, kWhere + ": column.references is missing");
  expect_bad_input([&] { column.optional_object("default"); },
                   kWhere + ": column.default is empty, not a mapping");
}

TEST(OperationArgs, ObjectListNumbersItemsFromOne) {
  OperationArgs args(spec_of("{columns: [{name: id, type: serial}, {name: x}]}"));
  std::vector<OperationArgs> columns = args.object_list("columns");
  ASSERT_EQ(columns.size(), 2u);
  EXPECT_EQ(columns[0].string("type"), "serial");
  expect_bad_input([&] { columns[1].string("type"); }, kWhere + ": columns[2].type is missing");
}

TEST(OperationArgs, RejectUnknownListsEveryUnreadField) {
  OperationArgs args(
      spec_of("{table: t, tabel: x, column: {name: c, tpye: int, type: int}, up: a, zzz: 1, "
              "columns: [{name: a}, {name: b, nulable: true}]}"));
  args.string("table");
  args.string("up");
  OperationArgs column = args.object("column");
  column.string("name");
  column.string("type");
  column.optional_bool("nullable");
  for (OperationArgs item : args.object_list("columns")) {
    item.string("name");
    item.optional_bool("nullable");
  }
  // The nested object alone reports only its own unknown fields.
  expect_bad_input([&] { column.reject_unknown(); }, kWhere + ": unknown field column.tpye",
                   "did you mean `column.type` for `column.tpye`?");
  try {
    args.reject_unknown();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), kWhere + ": unknown fields column.tpye, columns[2].nulable, tabel, zzz");
    EXPECT_NE(e.hint().find("`table` for `tabel`"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("`columns[2].nullable` for `columns[2].nulable`"), std::string::npos)
        << e.hint();
    EXPECT_EQ(e.hint().find("for `zzz`"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("the operation takes: column, columns, table, up"), std::string::npos)
        << e.hint();
    EXPECT_NE(e.hint().find("`column` takes: name, nullable, type"), std::string::npos) << e.hint();
  }
}

TEST(OperationArgs, UnreadNestedObjectIsUnknownAsAWhole) {
  OperationArgs args(spec_of("{table: t, extra: {a: 1}}"));
  args.string("table");
  expect_bad_input([&] { args.reject_unknown(); }, kWhere + ": unknown field extra",
                   "the operation takes: table");
}

TEST(CheckIdentifier, AcceptsSqlNames) {
  for (const std::string& name :
       {std::string("users"), std::string("User_2"), std::string("_x"), std::string(63, 'a')}) {
    EXPECT_NO_THROW(check_identifier(name, "operation 1 (drop_table)", "name")) << name;
  }
}

TEST(CheckIdentifier, RejectsOthers) {
  const std::string where = "operation 1 (drop_table, line 2)";
  expect_bad_input([&] { check_identifier("", where, "name"); }, where + ": name is empty");
  expect_bad_input([&] { check_identifier(std::string(64, 'a'), where, "name"); },
                   where + ": name '" + std::string(64, 'a') + "' is longer than 63 bytes");
  for (const char* name : {"1a", "a-b", "a b", "a.b", "\"a\"", "caf\xc3\xa9"}) {
    expect_bad_input([&] { check_identifier(name, where, "name"); },
                     where + ": name '" + name + "' is not a valid name", "letters, digits");
  }
  expect_bad_input([&] { check_identifier("_cutover_x", where, "column.name"); },
                   where +
                       ": column.name '_cutover_x' starts with _cutover, which is reserved for "
                       "cutover's own columns and triggers");
}

}  // namespace
}  // namespace cutover::change
