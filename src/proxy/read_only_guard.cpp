// The proxy's read-only guard, read from libpg_query's JSON parse tree in one streaming pass:
// only the few nodes that can lift read-only mode are kept and judged.
#include "proxy/read_only_guard.h"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "proxy/big_stack.h"

namespace cutover::proxy {
namespace {

using nlohmann::json;

// Texts up to this many bytes are parsed on the caller's stack: libpg_query's JSON output takes
// up to about 85 bytes of stack per byte of text (measured: `1+1+...` 65, nested f(1,f(1,...))
// 84), so 2 KiB stays under 256 KiB. Longer texts get a helper thread with kStackPerByte.
constexpr std::size_t kInlineLimit = 2048;
constexpr std::size_t kStackPerByte = 256;                 // three times the worst measured
constexpr std::size_t kHelperStackBase = 4 * 1024 * 1024;  // the guard's own frames, and margin
// How deep SQL texts run by query_to_xml() and the like are followed into each other.
constexpr int kMaxTextDepth = 8;

constexpr const char* kLiftsDetail =
    "It would let the session's transactions write while the proxy holds the database read only.";
constexpr const char* kResetsDetail =
    "It resets every setting of the session, default_transaction_read_only too.";
constexpr const char* kRunsTextDetail = "The SQL it runs might change the read-only settings.";
constexpr const char* kAfterEndDetail =
    "The session's transaction began before read-only mode, which it takes only once that "
    "transaction has ended: what follows its end in the same message would run read-write.";
constexpr const char* kChainDetail =
    "The session's transaction began before read-only mode: the chained one would be read-write "
    "too.";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_read_only_setting(std::string_view name) {
  const std::string folded = lower(name);  // settings' names are case-insensitive
  return folded == "default_transaction_read_only" || folded == "transaction_read_only";
}

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// node[key] when node is an object holding key, else null.
const json& field(const json& node, const char* key) {
  static const json kNull;
  if (!node.is_object()) return kNull;
  const auto it = node.find(key);
  return it == node.end() ? kNull : *it;
}

std::string text(const json& node, const char* key) {
  const json& value = field(node, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

// The tree leaves out zero, false and empty values: a missing field is one of those.
long long integer(const json& node, const char* key) {
  const json& value = field(node, key);
  return value.is_number_integer() ? value.get<long long>() : 0;
}

bool flag(const json& node, const char* key) {
  const json& value = field(node, key);
  return value.is_boolean() && value.get<bool>();
}

// Whether PostgreSQL's parse_bool reads `value` as true: true, yes and their prefixes (t, tr,
// y, ...), on, 1, in any case. Everything else is false or an error, so not true.
bool parses_as_true(std::string_view value) {
  const std::string folded = lower(value);
  if (folded.empty()) return false;
  switch (folded.front()) {
    case 't':
      return std::string_view("true").starts_with(folded);
    case 'y':
      return std::string_view("yes").starts_with(folded);
    case 'o':
      return folded == "on";
    case '1':
      return folded.size() == 1;
    default:
      return false;
  }
}

// Whether a SET value or a DefElem argument is a constant the server reads as true.
bool is_true(const json& node) {
  const json& constant = field(node, "A_Const");
  if (!constant.is_object()) return false;
  if (constant.contains("ival")) return integer(field(constant, "ival"), "ival") == 1;
  if (constant.contains("sval")) return parses_as_true(text(field(constant, "sval"), "sval"));
  if (constant.contains("fval")) return parses_as_true(text(field(constant, "fval"), "fval"));
  if (constant.contains("boolval")) return flag(field(constant, "boolval"), "boolval");
  return false;
}

// A SET value as written, for messages: `off`, `0`, or `...` when it is no single constant.
std::string value_text(const json& args) {
  if (!args.is_array() || args.size() != 1) return "...";
  const json& constant = field(args.front(), "A_Const");
  if (constant.contains("ival")) return std::to_string(integer(field(constant, "ival"), "ival"));
  if (constant.contains("sval")) return text(field(constant, "sval"), "sval");
  if (constant.contains("fval")) return text(field(constant, "fval"), "fval");
  return "...";
}

// What an expression is, as far as a constant goes: through casts and COLLATE, a constant
// string (its value), another constant (nullopt inside), or no constant (not known until run).
struct Constant {
  bool constant = false;
  std::optional<std::string> string;
};

Constant constant_of(const json* node) {
  while (true) {
    if (const json& cast = field(*node, "TypeCast"); cast.is_object()) {
      node = &field(cast, "arg");
    } else if (const json& collate = field(*node, "CollateClause"); collate.is_object()) {
      node = &field(collate, "arg");
    } else {
      break;
    }
  }
  const json& constant = field(*node, "A_Const");
  if (!constant.is_object()) return {};
  if (constant.contains("sval")) return {true, text(field(constant, "sval"), "sval")};
  return {true, std::nullopt};
}

// A function call's argument: the one named `name` (named notation), else the `position`-th
// if it is positional (PostgreSQL puts positional arguments first). Null when there is none.
const json& argument(const json& args, std::size_t position, std::string_view name) {
  static const json kNull;
  if (!args.is_array()) return kNull;
  for (const json& arg : args) {
    const json& named = field(arg, "NamedArgExpr");
    if (named.is_object() && lower(text(named, "name")) == name) return field(named, "arg");
  }
  if (position < args.size() && !field(args[position], "NamedArgExpr").is_object()) {
    return args[position];
  }
  return kNull;
}

// The functions that run an SQL text in the session, and where that text is.
struct TextRunner {
  const char* name;
  std::size_t position;
  const char* parameter;
  std::size_t arguments;  // only calls with this many arguments run SQL text; 0: any number
};
constexpr TextRunner kTextRunners[] = {
    {"query_to_xml", 0, "query", 0},
    {"query_to_xmlschema", 0, "query", 0},
    {"query_to_xml_and_xmlschema", 0, "query", 0},
    {"ts_stat", 0, "query", 0},
    {"ts_rewrite", 1, "select", 2},  // ts_rewrite(tsquery, text); not (tsquery, tsquery, tsquery)
};

const TextRunner* text_runner(std::string_view function) {
  for (const TextRunner& runner : kTextRunners) {
    if (function == runner.name) return &runner;
  }
  return nullptr;
}

bool is_watched_function(std::string_view function) {
  return function == "set_config" || text_runner(function) != nullptr;
}

// Builds one JSON value from SAX events (nlohmann's own builder is an implementation detail).
// The value lives on the heap, so a builder can move (the scanner keeps them in a vector) while
// it holds pointers into its value.
class DomBuilder {
 public:
  bool done() const { return started_ && stack_.empty(); }
  json& value() { return *root_; }

  void start(json container) {
    json* placed = place(std::move(container));
    stack_.push_back(placed);
  }
  void key(const std::string& name) { slot_ = &(*stack_.back())[name]; }
  void end() { stack_.pop_back(); }
  void primitive(json value) { place(std::move(value)); }

 private:
  json* place(json value) {
    if (!started_) {
      started_ = true;
      *root_ = std::move(value);
      return root_.get();
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  std::unique_ptr<json> root_ = std::make_unique<json>();
  std::vector<json*> stack_;  // open containers; an open one is never moved (siblings follow it)
  json* slot_ = nullptr;      // the value for the last key of the innermost open object
  bool started_ = false;
};

GuardVerdict judge(std::string_view sql, int depth, bool in_read_write_transaction);

// Streams libpg_query's JSON tree ({"version":...,"stmts":[{"stmt":{"<Node>":{...}},
// "stmt_location":..,"stmt_len":..},...]}), keeping as JSON only the nodes that matter:
// VariableSetStmt (also the typed `setstmt` field of ALTER ROLE / DATABASE / SYSTEM),
// TransactionStmt, DiscardStmt, and the name and arguments of calls (FuncCall, and the typed
// `funccall` of CALL) to set_config and the functions that run SQL text. Stops at the end of
// the first statement refused.
class TreeScanner : public nlohmann::json_sax<json> {
 public:
  TreeScanner(int depth, bool in_read_write_transaction)
      : depth_(depth), in_read_write_transaction_(in_read_write_transaction) {}

  // The first statement refused, with its location (bytes), when there is one.
  struct Refusal {
    std::string reason;
    std::string detail;
    std::size_t location = 0;
    std::size_t length = 0;  // 0: to the end of the text
  };
  const std::optional<Refusal>& refusal() const { return refusal_; }
  bool stopped() const { return refusal_.has_value(); }
  // Whether a statement read so far ends the transaction (COMMIT, ROLLBACK, PREPARE TRANSACTION).
  bool ends_transaction() const { return !ended_by_.empty(); }

  bool null() override { return primitive(nullptr); }
  bool boolean(bool value) override { return primitive(value); }
  bool number_integer(number_integer_t value) override { return primitive(value); }
  bool number_unsigned(number_unsigned_t value) override { return primitive(value); }
  bool number_float(number_float_t value, const string_t&) override { return primitive(value); }
  bool string(string_t& value) override { return primitive(value); }
  bool binary(binary_t&) override { return true; }  // JSON text holds none

  bool start_object(std::size_t) override { return start(true); }
  bool start_array(std::size_t) override { return start(false); }
  bool key(string_t& name) override {
    for (Capture& capture : captures_) capture.dom.key(name);
    frames_.back().key = name;
    return true;
  }
  bool end_object() override { return end(); }
  bool end_array() override { return end(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  enum class Role { kOther, kRoot, kStmts, kRawStmt, kStmtWrapper, kFuncCall };
  struct Frame {
    Role role = Role::kOther;
    bool object = false;
    std::string key;  // objects: the last key read
  };
  enum class Kind { kVariableSet, kTransaction, kDiscard, kFuncName, kFuncArgs };
  struct Capture {
    Kind kind;
    bool top_level = false;  // kVariableSet: the statement itself, not inside another
    DomBuilder dom;
  };
  struct Call {
    std::string name;  // the function's own name (no schema), lower case, once read
    bool name_read = false;
    json args;
  };
  struct Statement {
    std::string kind;  // the node type, e.g. "SelectStmt", "AlterRoleSetStmt"
    std::size_t location = 0;
    std::size_t length = 0;
    std::optional<Refusal> refusal;
  };

  // The key that names the value starting now, "" inside arrays.
  std::string_view slot() const {
    return !frames_.empty() && frames_.back().object ? std::string_view(frames_.back().key)
                                                     : std::string_view();
  }
  Role parent_role() const { return frames_.empty() ? Role::kOther : frames_.back().role; }

  void refuse(std::string reason, std::string detail) {
    if (!statement_.refusal) statement_.refusal = Refusal{std::move(reason), std::move(detail)};
  }

  // Starts what a value under the current key calls for; `container` is false for primitives.
  void begin_value(bool container, bool object) {
    using namespace std::string_view_literals;
    const std::string_view key = slot();
    const Role parent = parent_role();
    if (parent == Role::kStmtWrapper) statement_.kind = key;
    if (key == "VariableSetStmt"sv || key == "setstmt"sv) {
      captures_.push_back({Kind::kVariableSet, parent == Role::kStmtWrapper, {}});
    } else if (key == "TransactionStmt"sv) {
      captures_.push_back({Kind::kTransaction, false, {}});
    } else if (key == "DiscardStmt"sv) {
      captures_.push_back({Kind::kDiscard, false, {}});
    } else if (key == "DoStmt"sv) {
      refuse("DO",
             "The body of a DO block could change the read-only settings through EXECUTE, "
             "which the proxy cannot see.");
    } else if (parent == Role::kFuncCall && key == "funcname"sv) {
      captures_.push_back({Kind::kFuncName, false, {}});
    } else if (parent == Role::kFuncCall && key == "args"sv &&
               (!calls_.back().name_read || is_watched_function(calls_.back().name))) {
      captures_.push_back({Kind::kFuncArgs, false, {}});
    }
    if (!container) return;
    Frame frame;
    frame.object = object;
    if (frames_.empty()) {
      frame.role = Role::kRoot;
    } else if (parent == Role::kRoot && key == "stmts"sv) {
      frame.role = Role::kStmts;
    } else if (parent == Role::kStmts) {
      frame.role = Role::kRawStmt;
      statement_ = Statement{};
      if (in_read_write_transaction_ && ends_transaction()) {
        refuse("a statement after " + ended_by_ + " in the same message", kAfterEndDetail);
      }
    } else if (parent == Role::kRawStmt && key == "stmt"sv) {
      frame.role = Role::kStmtWrapper;
    } else if (object && (key == "FuncCall"sv || key == "funccall"sv)) {
      frame.role = Role::kFuncCall;
      calls_.emplace_back();
    }
    frames_.push_back(std::move(frame));
  }

  bool start(bool object) {
    for (Capture& capture : captures_) capture.dom.start(object ? json::object() : json::array());
    const std::size_t before = captures_.size();
    begin_value(true, object);
    if (captures_.size() > before) {
      captures_.back().dom.start(object ? json::object() : json::array());
    }
    return true;
  }

  // A JSON value is made only for the captures (most values need none).
  template <class Value>
  bool primitive(const Value& value) {
    if constexpr (std::is_integral_v<Value> && !std::is_same_v<Value, bool>) {
      if (parent_role() == Role::kRawStmt) {
        const std::size_t bytes = value > 0 ? static_cast<std::size_t>(value) : 0;
        if (slot() == std::string_view("stmt_location")) statement_.location = bytes;
        if (slot() == std::string_view("stmt_len")) statement_.length = bytes;
      }
    }
    for (Capture& capture : captures_) capture.dom.primitive(json(value));
    const std::size_t before = captures_.size();
    begin_value(false, false);
    if (captures_.size() > before) captures_.back().dom.primitive(json(value));
    finish_captures();
    return true;
  }

  bool end() {
    for (Capture& capture : captures_) capture.dom.end();
    finish_captures();
    const Role role = frames_.back().role;
    frames_.pop_back();
    if (role == Role::kFuncCall) {
      judge_call(calls_.back());
      calls_.pop_back();
    } else if (role == Role::kRawStmt && statement_.refusal) {
      refusal_ = std::move(statement_.refusal);
      refusal_->location = statement_.location;
      refusal_->length = statement_.length;
      return false;  // the first refused statement decides: stop reading
    }
    return true;
  }

  // Judges the captures that are complete (the innermost ones, at the back).
  void finish_captures() {
    while (!captures_.empty() && captures_.back().dom.done()) {
      Capture capture = std::move(captures_.back());
      captures_.pop_back();
      const json& node = capture.dom.value();
      switch (capture.kind) {
        case Kind::kVariableSet:
          judge_set(node, capture.top_level);
          break;
        case Kind::kTransaction:
          judge_transaction(node);
          break;
        case Kind::kDiscard:
          if (text(node, "target") == "DISCARD_ALL") {
            refuse("DISCARD ALL", kResetsDetail);
          }
          break;
        case Kind::kFuncName:
          if (node.is_array() && !node.empty()) {
            calls_.back().name = lower(text(field(node.back(), "String"), "sval"));
          }
          calls_.back().name_read = true;
          break;
        case Kind::kFuncArgs:
          calls_.back().args = std::move(capture.dom.value());
          break;
      }
    }
  }

  // What encloses a SET or RESET that is part of another statement, for messages.
  std::string enclosing() const {
    const std::string& kind = statement_.kind;
    if (kind == "AlterRoleSetStmt") return "ALTER ROLE ... ";
    if (kind == "AlterDatabaseSetStmt") return "ALTER DATABASE ... ";
    if (kind == "AlterSystemStmt") return "ALTER SYSTEM ";
    if (kind == "CreateFunctionStmt") return "CREATE FUNCTION ... ";
    if (kind == "AlterFunctionStmt") return "ALTER FUNCTION ... ";
    return kind + " ... ";
  }

  // SET, SET LOCAL, RESET, SET TRANSACTION, SET SESSION CHARACTERISTICS: the statement itself
  // (`top_level`) or part of another one (ALTER ROLE ... SET, CREATE FUNCTION ... SET).
  // SET ROLE and SET SESSION AUTHORIZATION are VariableSetStmts of other names: allowed, since
  // neither touches the read-only settings (a role's own settings apply only at login).
  void judge_set(const json& set, bool top_level) {
    const std::string kind = text(set, "kind");
    const std::string name = lower(text(set, "name"));
    const bool read_only = is_read_only_setting(name);
    const std::string set_word = flag(set, "is_local") ? "SET LOCAL " : "SET ";
    if (!top_level) {
      // A write the server refuses anyway, except ALTER SYSTEM: refused whatever the value.
      if (kind == "VAR_RESET_ALL") {
        refuse(enclosing() + "RESET ALL", kLiftsDetail);
      } else if (read_only) {
        refuse(enclosing() + (kind == "VAR_RESET" ? "RESET " : "SET ") + name,
               "It changes a read-only setting; refused whatever the value.");
      }
      return;
    }
    if (kind == "VAR_RESET_ALL") {
      refuse("RESET ALL", kResetsDetail);
    } else if (kind == "VAR_SET_MULTI") {  // SET TRANSACTION, SET SESSION CHARACTERISTICS
      const json& args = field(set, "args");
      if (!args.is_array()) return;
      for (const json& arg : args) {
        const json& option = field(arg, "DefElem");
        if (text(option, "defname") == "transaction_read_only" && !is_true(field(option, "arg"))) {
          const std::string what = name == "session characteristics"
                                       ? "SESSION CHARACTERISTICS AS TRANSACTION"
                                       : "TRANSACTION";
          refuse(set_word + what + " READ WRITE", kLiftsDetail);
        }
      }
    } else if (!read_only) {
      return;
    } else if (kind == "VAR_SET_VALUE") {
      const json& args = field(set, "args");
      if (args.is_array() && args.size() == 1 && is_true(args.front())) return;
      refuse(set_word + name + " = " + value_text(args), kLiftsDetail);
    } else if (kind == "VAR_SET_DEFAULT") {
      refuse(set_word + name + " TO DEFAULT", kLiftsDetail);
    } else if (kind == "VAR_SET_CURRENT") {
      refuse(set_word + name + " FROM CURRENT", kLiftsDetail);
    } else if (kind == "VAR_RESET") {
      refuse("RESET " + name, kLiftsDetail);
    } else {
      refuse(set_word + name, kLiftsDetail);
    }
  }

  // BEGIN / START TRANSACTION READ WRITE. COMMIT AND CHAIN and ROLLBACK AND CHAIN are allowed:
  // the transaction they start keeps the ended one's read-only-ness; not in a read-write
  // transaction begun before the mode, which they would carry on.
  void judge_transaction(const json& transaction) {
    const std::string kind = text(transaction, "kind");
    const char* ends = kind == "TRANS_STMT_COMMIT"     ? "COMMIT"
                       : kind == "TRANS_STMT_ROLLBACK" ? "ROLLBACK"
                       : kind == "TRANS_STMT_PREPARE"  ? "PREPARE TRANSACTION"
                                                       : nullptr;
    if (ends != nullptr) {
      ended_by_ = ends;
      if (in_read_write_transaction_ && flag(transaction, "chain")) {
        refuse(ended_by_ + " AND CHAIN", kChainDetail);
      }
    }
    const json& options = field(transaction, "options");
    if (!options.is_array()) return;
    for (const json& item : options) {
      const json& option = field(item, "DefElem");
      if (text(option, "defname") != "transaction_read_only" || is_true(field(option, "arg"))) {
        continue;
      }
      refuse(kind == "TRANS_STMT_START" ? "START TRANSACTION READ WRITE" : "BEGIN READ WRITE",
             kLiftsDetail);
    }
  }

  void judge_call(const Call& call) {
    if (call.name == "set_config") {
      const json& setting = argument(call.args, 0, "setting_name");
      const Constant constant = constant_of(&setting);
      if (!constant.constant) {
        refuse("set_config() with a setting name known only when it runs",
               "The setting it changes might be default_transaction_read_only.");
      } else if (constant.string && is_read_only_setting(*constant.string)) {
        refuse("set_config('" + lower(*constant.string) + "', ...)", kLiftsDetail);
      }
      return;
    }
    const TextRunner* runner = text_runner(call.name);
    if (runner == nullptr) return;
    if (runner->arguments != 0 &&
        (!call.args.is_array() || call.args.size() != runner->arguments)) {
      return;
    }
    const Constant constant =
        constant_of(&argument(call.args, runner->position, runner->parameter));
    if (!constant.constant) {
      refuse(call.name + "() with SQL text known only when it runs", kRunsTextDetail);
      return;
    }
    if (!constant.string) return;  // NULL, or no text: the server refuses or runs nothing
    if (depth_ >= kMaxTextDepth) {
      refuse(call.name + "() nested too deeply to check", kRunsTextDetail);
      return;
    }
    const GuardVerdict inner = judge(*constant.string, depth_ + 1, false);
    if (inner.outcome == GuardOutcome::kSyntaxError) {
      refuse(call.name + "() with SQL text that does not parse",
             "Its SQL text does not parse: " + inner.reason + ".");
    } else if (inner.outcome == GuardOutcome::kRefused) {
      refuse(call.name + "() running " + inner.reason, inner.detail);
    }
  }

  int depth_;
  bool in_read_write_transaction_;
  std::string ended_by_;  // what ended the transaction: "COMMIT", "ROLLBACK", ...; "" if nothing
  std::vector<Frame> frames_;
  std::vector<Capture> captures_;  // nested: an inner one completes before an outer one
  std::vector<Call> calls_;        // the calls being read, innermost last
  Statement statement_;
  std::optional<Refusal> refusal_;
};

// `sql` without the whitespace around it, and where that starts.
std::pair<std::string, std::size_t> trimmed(std::string_view sql) {
  std::size_t start = 0;
  while (start < sql.size() && std::isspace(static_cast<unsigned char>(sql[start])) != 0) ++start;
  return {trim(sql.substr(start)), start};
}

GuardVerdict refused(std::string_view sql, std::string reason, std::string detail) {
  GuardVerdict verdict;
  verdict.outcome = GuardOutcome::kRefused;
  std::tie(verdict.statement, verdict.statement_offset) = trimmed(sql);
  verdict.reason = std::move(reason);
  verdict.detail = std::move(detail);
  return verdict;
}

// Parses `sql` with libpg_query on this thread's stack and judges it; `depth` counts the SQL
// texts it is nested in (query_to_xml('...')). Throws only what allocation throws.
GuardVerdict judge(std::string_view sql, int depth, bool in_read_write_transaction) {
  const std::string input(sql);
  PgQueryParseResult result = pg_query_parse(input.c_str());
  const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
      &result, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
  if (result.error != nullptr) {
    GuardVerdict verdict;
    verdict.outcome = GuardOutcome::kSyntaxError;
    std::tie(verdict.statement, verdict.statement_offset) = trimmed(sql);
    verdict.reason = result.error->message != nullptr ? result.error->message : "syntax error";
    verdict.cursor = result.error->cursorpos;
    return verdict;
  }
  TreeScanner scanner(depth, in_read_write_transaction);
  const bool read = json::sax_parse(result.parse_tree, &scanner);
  const std::optional<TreeScanner::Refusal>& refusal = scanner.refusal();
  if (!read && !scanner.stopped()) {
    return refused(sql, "a statement the proxy could not check",
                   "libpg_query returned an unreadable parse tree.");
  }
  if (!refusal) {
    GuardVerdict allowed;
    allowed.ends_transaction = scanner.ends_transaction();
    return allowed;
  }
  const std::size_t location = std::min(refusal->location, sql.size());
  const std::size_t rest = sql.size() - location;
  GuardVerdict verdict =
      refused(sql.substr(location, refusal->length == 0 ? rest : std::min(refusal->length, rest)),
              refusal->reason, refusal->detail);
  verdict.statement_offset += location;
  verdict.ends_transaction = scanner.ends_transaction();
  return verdict;
}

// A refusal made without allocating, for when allocating failed.
GuardVerdict uncheckable() noexcept {
  GuardVerdict verdict;
  verdict.outcome = GuardOutcome::kRefused;
  try {
    verdict.reason = "a statement the proxy could not check";
    verdict.detail = "Checking it ran out of memory.";
  } catch (...) {
  }
  return verdict;
}

}  // namespace

GuardVerdict check_read_only(std::string_view sql, bool in_read_write_transaction) noexcept {
  try {
    if (sql.find('\0') != std::string_view::npos) {
      return refused(sql, "a text holding a zero byte",
                     "A protocol string ends at a zero byte, so this text was cut short.");
    }
    if (sql.size() <= kInlineLimit) return judge(sql, 0, in_read_write_transaction);
    GuardVerdict verdict = uncheckable();
    const bool ran = run_with_stack(kHelperStackBase + kStackPerByte * sql.size(), [&] {
      try {
        verdict = judge(sql, 0, in_read_write_transaction);
      } catch (...) {
        verdict = uncheckable();
      }
    });
    if (!ran) {
      return refused(sql, "a statement too long to check",
                     "No memory was left for the stack its parse needs.");
    }
    return verdict;
  } catch (...) {
    return uncheckable();
  }
}

}  // namespace cutover::proxy
