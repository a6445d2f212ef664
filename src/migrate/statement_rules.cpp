// What cutover migrate must know about one statement before running it, read from libpg_query's
// JSON parse tree.
#include "migrate/statement_rules.h"

#include <fmt/format.h>
#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/statement.h"

namespace cutover::migrate {
namespace {

using nlohmann::json;

// libpg_query's answer for one text: the parse tree, or the error.
struct Parse {
  json tree;  // {"version": ..., "stmts": [{"stmt": {"<NodeType>": {...}}}, ...]}
  std::optional<db::SyntaxError> error;
};

Parse parse(std::string_view sql) {
  const std::string input(sql);
  PgQueryParseResult result = pg_query_parse(input.c_str());
  const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
      &result, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
  Parse parsed;
  if (result.error != nullptr) {
    parsed.error = db::SyntaxError{
        result.error->message != nullptr ? result.error->message : "",
        static_cast<int>(db::byte_offset_of_character(sql, result.error->cursorpos))};
    return parsed;
  }
  parsed.tree = json::parse(result.parse_tree, nullptr, /*allow_exceptions=*/false);
  if (!parsed.tree.is_object()) {
    throw Error(ErrorCode::kOperationFailed, "libpg_query returned an unreadable parse tree",
                "This is a bug in cutover or libpg_query; please report it with the statement.");
  }
  return parsed;
}

// node[key] when node is an object holding key, else null.
const json& field(const json& node, const char* key) {
  static const json kNull;
  if (!node.is_object()) return kNull;
  const auto it = node.find(key);
  return it == node.end() ? kNull : *it;
}

bool flag(const json& node, const char* key) {
  const json& value = field(node, key);
  return value.is_boolean() && value.get<bool>();
}

std::string text(const json& node, const char* key) {
  const json& value = field(node, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::string lower(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value;
}

// The boolean a DefElem's argument spells, as PostgreSQL's defGetBoolean reads it: no argument
// is true; integers and the words true/false/on/off. The tree omits zero and false values.
bool def_elem_bool(const json& def_elem) {
  const json& arg = field(def_elem, "arg");
  if (arg.is_null()) return true;
  if (const json& boolean = field(arg, "Boolean"); boolean.is_object()) {
    return flag(boolean, "boolval");
  }
  if (const json& integer = field(arg, "Integer"); integer.is_object()) {
    const json& ival = field(integer, "ival");
    return ival.is_number() && ival.get<long long>() != 0;
  }
  std::string word = text(field(arg, "String"), "sval");
  if (const json& names = field(field(arg, "TypeName"), "names");  // unquoted `off`
      names.is_array() && !names.empty()) {
    word = text(field(names.back(), "String"), "sval");
  }
  word = lower(word);
  return word != "false" && word != "off";
}

// The boolean value of option `name` in a list of DefElem nodes, nullopt when absent.
std::optional<bool> option(const json& def_elems, std::string_view name) {
  if (!def_elems.is_array()) return std::nullopt;
  for (const json& item : def_elems) {
    const json& def_elem = field(item, "DefElem");
    if (text(def_elem, "defname") == name) return def_elem_bool(def_elem);
  }
  return std::nullopt;
}

bool has_option(const json& def_elems, std::string_view name) {
  if (!def_elems.is_array()) return false;
  return std::any_of(def_elems.begin(), def_elems.end(), [&](const json& item) {
    return text(field(item, "DefElem"), "defname") == name;
  });
}

// Traits of a statement that must run outside a transaction block, when `applies`; else none.
StatementTraits outside(std::string kind, bool applies = true) {
  StatementTraits traits;
  if (!applies) return traits;
  traits.outside_transaction = true;
  traits.kind = std::move(kind);
  return traits;
}

StatementTraits reindex_traits(const json& stmt) {
  if (option(field(stmt, "params"), "concurrently").value_or(false)) {
    return outside("REINDEX CONCURRENTLY");
  }
  const std::string kind = text(stmt, "kind");
  if (kind == "REINDEX_OBJECT_SCHEMA") return outside("REINDEX SCHEMA");
  if (kind == "REINDEX_OBJECT_SYSTEM") return outside("REINDEX SYSTEM");
  if (kind == "REINDEX_OBJECT_DATABASE") return outside("REINDEX DATABASE");
  return {};
}

bool detaches_concurrently(const json& alter_table) {
  const json& cmds = field(alter_table, "cmds");
  if (!cmds.is_array()) return false;
  return std::any_of(cmds.begin(), cmds.end(), [](const json& item) {
    const json& cmd = field(item, "AlterTableCmd");
    return text(cmd, "subtype") == "AT_DetachPartition" &&
           flag(field(field(cmd, "def"), "PartitionCmd"), "concurrent");
  });
}

StatementTraits alter_subscription_traits(const json& stmt) {
  const std::string kind = text(stmt, "kind");
  if (kind == "ALTER_SUBSCRIPTION_REFRESH") return outside("ALTER SUBSCRIPTION ... REFRESH");
  const bool changes_publications = kind == "ALTER_SUBSCRIPTION_SET_PUBLICATION" ||
                                    kind == "ALTER_SUBSCRIPTION_ADD_PUBLICATION" ||
                                    kind == "ALTER_SUBSCRIPTION_DROP_PUBLICATION";
  return outside("ALTER SUBSCRIPTION ... PUBLICATION",
                 changes_publications && option(field(stmt, "options"), "refresh").value_or(true));
}

StatementTraits transaction_control(std::string kind) {
  StatementTraits traits;
  traits.transaction_control = true;
  traits.kind = std::move(kind);
  return traits;
}

// PostgreSQL's TransactionStmt, named as written where the tree tells (END and ABORT are
// COMMIT and ROLLBACK in the tree).
StatementTraits transaction_stmt_traits(const json& stmt) {
  const std::string kind = text(stmt, "kind");
  if (kind == "TRANS_STMT_BEGIN") return transaction_control("BEGIN");
  if (kind == "TRANS_STMT_START") return transaction_control("START TRANSACTION");
  if (kind == "TRANS_STMT_COMMIT") return transaction_control("COMMIT");
  if (kind == "TRANS_STMT_ROLLBACK") return transaction_control("ROLLBACK");
  if (kind == "TRANS_STMT_SAVEPOINT") return transaction_control("SAVEPOINT");
  if (kind == "TRANS_STMT_RELEASE") return transaction_control("RELEASE SAVEPOINT");
  if (kind == "TRANS_STMT_ROLLBACK_TO") return transaction_control("ROLLBACK TO SAVEPOINT");
  if (kind == "TRANS_STMT_PREPARE") return transaction_control("PREPARE TRANSACTION");
  if (kind == "TRANS_STMT_COMMIT_PREPARED") return transaction_control("COMMIT PREPARED");
  if (kind == "TRANS_STMT_ROLLBACK_PREPARED") return transaction_control("ROLLBACK PREPARED");
  return transaction_control("transaction control");
}

// The first `count` words of `sql` (letters and `_`), upper-cased; fewer where the text ends or
// something else (a number, a quote, `;`) comes first.
std::vector<std::string> leading_words(std::string_view sql, std::size_t count) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (words.size() < count) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    std::string word;
    while (i < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
    }
    if (word.empty()) break;
    words.push_back(std::move(word));
  }
  return words;
}

// MariaDB, MySQL and SQLite: transaction control told by the statement's leading keywords.
StatementTraits keyword_traits(db::Flavor flavor, std::string_view sql) {
  const std::vector<std::string> words = leading_words(sql, 2);
  if (words.empty()) return {};
  const std::string& first = words[0];
  const std::string second = words.size() > 1 ? words[1] : "";
  if (first == "START" && second == "TRANSACTION") return transaction_control("START TRANSACTION");
  if (first == "BEGIN") {
    // MariaDB's `BEGIN NOT ATOMIC ... END` is a compound statement, not a transaction.
    if (second == "NOT") return {};
    return transaction_control("BEGIN");
  }
  if (first == "COMMIT") return transaction_control("COMMIT");
  if (first == "END" && flavor == db::Flavor::kSqlite) return transaction_control("END");
  if (first == "ROLLBACK") {
    const std::vector<std::string> more = leading_words(sql, 3);
    bool to = second == "TO" || (more.size() > 2 && more[2] == "TO");  // ROLLBACK [WORK] TO
    return transaction_control(to ? "ROLLBACK TO SAVEPOINT" : "ROLLBACK");
  }
  if (first == "SAVEPOINT") return transaction_control("SAVEPOINT");
  if (first == "RELEASE") return transaction_control("RELEASE SAVEPOINT");
  if (first == "XA" && flavor != db::Flavor::kSqlite) return transaction_control("XA");
  return {};
}

// Traits of one parsed statement: `type` is its node name, `stmt` the node's fields.
StatementTraits traits_of(const std::string& type, const json& stmt) {
  if (type == "TransactionStmt") return transaction_stmt_traits(stmt);
  if (type == "IndexStmt") {
    StatementTraits traits = outside("CREATE INDEX CONCURRENTLY", flag(stmt, "concurrent"));
    if (traits.outside_transaction) {
      traits.concurrent_index =
          ConcurrentIndex{text(field(stmt, "relation"), "schemaname"), text(stmt, "idxname"),
                          text(field(stmt, "relation"), "relname")};
    }
    return traits;
  }
  if (type == "DropStmt") return outside("DROP INDEX CONCURRENTLY", flag(stmt, "concurrent"));
  if (type == "ReindexStmt") return reindex_traits(stmt);
  if (type == "AlterEnumStmt") {  // RENAME VALUE names the old value; ADD VALUE does not
    return outside("ALTER TYPE ... ADD VALUE", field(stmt, "oldVal").is_null());
  }
  if (type == "VacuumStmt") return outside("VACUUM", flag(stmt, "is_vacuumcmd"));  // not ANALYZE
  if (type == "ClusterStmt") return outside("CLUSTER", field(stmt, "relation").is_null());
  if (type == "AlterTableStmt") {
    return outside("DETACH PARTITION CONCURRENTLY", detaches_concurrently(stmt));
  }
  if (type == "AlterDatabaseStmt") {
    return outside("ALTER DATABASE SET TABLESPACE",
                   has_option(field(stmt, "options"), "tablespace"));
  }
  if (type == "CreateSubscriptionStmt") {  // connect = false implies create_slot = false
    const json& options = field(stmt, "options");
    return outside("CREATE SUBSCRIPTION", option(options, "connect").value_or(true) &&
                                              option(options, "create_slot").value_or(true));
  }
  if (type == "AlterSubscriptionStmt") return alter_subscription_traits(stmt);
  if (type == "DropSubscriptionStmt") return outside("DROP SUBSCRIPTION");
  if (type == "CreatedbStmt") return outside("CREATE DATABASE");
  if (type == "DropdbStmt") return outside("DROP DATABASE");
  if (type == "AlterSystemStmt") return outside("ALTER SYSTEM");
  if (type == "CreateTableSpaceStmt") return outside("CREATE TABLESPACE");
  if (type == "DropTableSpaceStmt") return outside("DROP TABLESPACE");
  return {};
}

}  // namespace

StatementTraits classify_statement(db::Flavor flavor, std::string_view sql) {
  if (flavor != db::Flavor::kPostgres) return keyword_traits(flavor, sql);
  const Parse parsed = parse(sql);
  if (parsed.error) return {};
  const json& stmts = field(parsed.tree, "stmts");
  if (!stmts.is_array()) return {};
  for (const json& raw : stmts) {
    const json& stmt = field(raw, "stmt");
    if (!stmt.is_object() || stmt.empty()) continue;
    StatementTraits traits = traits_of(stmt.begin().key(), stmt.begin().value());
    if (!traits.kind.empty()) return traits;
  }
  return {};
}

void check_no_transaction_control(std::string_view file_name, int index, int line,
                                  const StatementTraits& traits) {
  if (!traits.transaction_control) return;
  throw_bad_input(
      fmt::format("{}: statement {} (line {}) is {}: cutover runs each file in a transaction of "
                  "its own and records its progress in it, so a file may not begin, end or "
                  "roll back transactions itself",
                  file_name, index + 1, line, traits.kind),
      "remove the transaction control statements (BEGIN/COMMIT/ROLLBACK/SAVEPOINT...): the "
      "file already runs as one transaction; for statements that must run outside one, mark "
      "the file with a first line '-- cutover: no-transaction' (or Flyway's "
      "executeInTransaction=false) and drop the BEGIN/COMMIT pair; nothing has been applied");
}

}  // namespace cutover::migrate
