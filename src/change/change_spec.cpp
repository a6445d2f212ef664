// Reads change files (YAML or JSON) into ChangeSpec, and stores a ChangeSpec as JSON.
#include "change/change_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.h"

namespace cutover::change {
namespace {

constexpr std::size_t kMaxNameLength = 40;
constexpr const char* kNameRule =
    "a change name is lower-case letters, digits and _, starts with a letter and has at most "
    "40 characters (it names the new version's schema); public, cutover, information_schema and "
    "pg_... are taken";
constexpr const char* kOperationForm =
    "write each operation as `- kind: {field: value, ...}`, e.g. `- drop_table: {name: t}`, "
    "with the fields indented under the kind";

// 1-based line of a node, 0 when yaml-cpp does not know it.
int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

[[noreturn]] void fail_at(const std::string& file, int line, const std::string& problem,
                          const std::string& hint) {
  if (line > 0) throw_bad_input(fmt::format("{}:{}: {}", file, line, problem), hint);
  throw_bad_input(fmt::format("{}: {}", file, problem), hint);
}

const char* describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "empty";
    default:
      return "a single value";
  }
}

// The rules of change_spec.h: plain true/false are bools, null is null, every other scalar is
// the text written. Mapping keys must be distinct text.
nlohmann::json to_json_value(const YAML::Node& node, const std::string& file) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "?") {  // plain: not quoted, no explicit tag
        if (text == "true" || text == "True" || text == "TRUE") return true;
        if (text == "false" || text == "False" || text == "FALSE") return false;
      }
      return text;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const YAML::Node& item : node) array.push_back(to_json_value(item, file));
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          fail_at(file, line_of(entry.first), "a mapping key must be a name",
                  "write keys as plain names: `table: users`");
        }
        const std::string& key = entry.first.Scalar();
        if (object.contains(key)) {
          fail_at(file, line_of(entry.first), fmt::format("`{}` is given twice", key),
                  "keep one of them");
        }
        object[key] = to_json_value(entry.second, file);
      }
      return object;
    }
    default:
      return nullptr;
  }
}

bool is_reserved_name(const std::string& name) {
  return name == "public" || name == "cutover" || name == "information_schema" ||
         name.rfind("pg_", 0) == 0;
}

bool is_valid_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return !is_reserved_name(name);
}

// The nearest valid name to a file's stem ("Add-Email" -> "add_email"), or "" when none.
std::string suggest_name(const std::string& stem) {
  std::string name;
  for (char c : stem) {
    const auto u = static_cast<unsigned char>(c);
    name += std::isalnum(u) && u < 0x80 ? static_cast<char>(std::tolower(u)) : '_';
  }
  if (name.size() > kMaxNameLength) name.resize(kMaxNameLength);
  return is_valid_name(name) ? name : std::string();
}

std::string checked_name(const YAML::Node& node, int line, const std::string& file) {
  if (!node.IsScalar()) {
    fail_at(file, line, fmt::format("`name` is {}", describe(node)), kNameRule);
  }
  const std::string& name = node.Scalar();
  if (!is_valid_name(name)) {
    fail_at(file, line, fmt::format("change name '{}' is not valid", name), kNameRule);
  }
  return name;
}

std::string default_name(const std::string& file) {
  const std::string stem = std::filesystem::path(file).stem().string();
  if (is_valid_name(stem)) return stem;
  const std::string suggestion = suggest_name(stem);
  fail_at(file, 0,
          fmt::format("the file's name '{}' is not a valid change name, and the file gives no "
                      "`name`",
                      stem),
          fmt::format("add `name: {}` at the top of the file; {}",
                      suggestion.empty() ? "..." : suggestion, kNameRule));
}

OperationSpec read_operation(const YAML::Node& item, int index, const std::string& file) {
  const int line = line_of(item);
  const std::string number = fmt::format("operation {}", index + 1);
  if (!item.IsMap() || item.size() != 1) {
    std::string shape = describe(item);
    if (item.IsMap() && item.size() == 0) shape = "an empty mapping";
    if (item.IsMap() && item.size() > 1) {
      std::vector<std::string> keys;
      for (const auto& entry : item) {
        keys.push_back(entry.first.IsScalar() ? entry.first.Scalar() : "?");
      }
      shape = fmt::format("a mapping with {} keys ({})", keys.size(), fmt::join(keys, ", "));
    }
    fail_at(file, line,
            fmt::format("{} is {}, not a mapping with one key (its kind)", number, shape),
            kOperationForm);
  }
  const auto entry = *item.begin();
  if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
    fail_at(file, line, fmt::format("{}: its kind must be a name", number), kOperationForm);
  }
  OperationSpec spec;
  spec.kind = entry.first.Scalar();
  spec.index = index;
  spec.line = line;
  if (!entry.second.IsMap()) {
    fail_at(file, line,
            fmt::format("{} ({}): its fields are {}, not a mapping", number, spec.kind,
                        describe(entry.second)),
            kOperationForm);
  }
  spec.args = to_json_value(entry.second, file);
  return spec;
}

ChangeSpec read_change(const YAML::Node& root, const std::string& file) {
  if (!root.IsMap()) {
    fail_at(file, line_of(root), fmt::format("the top level is {}, not a mapping", describe(root)),
            "a change file starts with `name: ...` (optional) and `operations:`");
  }
  ChangeSpec spec;
  spec.file = file;
  // std::optional: a YAML::Node has reference semantics, so assigning one would write through.
  std::optional<YAML::Node> name;
  std::optional<YAML::Node> operations;
  // Lines of the keys: an empty value's own mark is on the next line.
  int name_line = 0;
  int operations_line = 0;
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    std::optional<YAML::Node>* slot = key == "name"         ? &name
                                      : key == "operations" ? &operations
                                                            : nullptr;
    if (slot == nullptr) {
      fail_at(file, line_of(entry.first), fmt::format("unknown top-level key '{}'", key),
              "the top level takes only `name` and `operations`");
    }
    if (slot->has_value()) {
      fail_at(file, line_of(entry.first), fmt::format("`{}` is given twice", key),
              "keep one of them");
    }
    slot->emplace(entry.second);
    (slot == &name ? name_line : operations_line) = line_of(entry.first);
  }
  spec.name = name ? checked_name(*name, name_line, file) : default_name(file);

  const std::string example = "e.g. `operations: [{drop_column: {table: t, column: c}}]`";
  if (!operations) {
    fail_at(file, line_of(root), "the file has no `operations`",
            "add `operations:` with a list of operations, " + example);
  }
  if (!operations->IsSequence() || operations->size() == 0) {
    fail_at(file, operations_line,
            fmt::format("`operations` is {}",
                        operations->IsSequence() ? "an empty list" : describe(*operations)),
            "give `operations` a list of one or more operations, " + example);
  }
  for (const YAML::Node& item : *operations) {
    spec.operations.push_back(read_operation(item, static_cast<int>(spec.operations.size()), file));
  }
  return spec;
}

[[noreturn]] void bad_stored(const std::string& problem) {
  throw Error(ErrorCode::kOperationFailed,
              fmt::format("the stored change is malformed: {}", problem),
              "the state table was edited or written by another version of cutover; use the "
              "cutover version that started the change");
}

}  // namespace

std::string OperationSpec::where() const {
  if (line > 0) return fmt::format("operation {} ({}, line {})", index + 1, kind, line);
  return fmt::format("operation {} ({})", index + 1, kind);
}

nlohmann::json ChangeSpec::to_json() const {
  nlohmann::json ops = nlohmann::json::array();
  for (const OperationSpec& op : operations) {
    ops.push_back({{"kind", op.kind}, {"line", op.line}, {"args", op.args}});
  }
  return {{"name", name}, {"file", file}, {"operations", ops}};
}

ChangeSpec ChangeSpec::from_json(const nlohmann::json& stored) {
  const auto string_at = [](const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) bad_stored(fmt::format("no text `{}`", key));
    return it->get<std::string>();
  };
  if (!stored.is_object()) bad_stored("not an object");
  ChangeSpec spec;
  spec.name = string_at(stored, "name");
  spec.file = string_at(stored, "file");
  const auto ops = stored.find("operations");
  if (ops == stored.end() || !ops->is_array()) bad_stored("no list `operations`");
  for (const nlohmann::json& stored_op : *ops) {
    if (!stored_op.is_object()) bad_stored("an operation is not an object");
    OperationSpec op;
    op.kind = string_at(stored_op, "kind");
    op.index = static_cast<int>(spec.operations.size());
    const auto line = stored_op.find("line");
    if (line == stored_op.end() || !line->is_number_integer()) bad_stored("no integer `line`");
    op.line = line->get<int>();
    const auto args = stored_op.find("args");
    if (args == stored_op.end() || !args->is_object()) bad_stored("no object `args`");
    op.args = *args;
    spec.operations.push_back(std::move(op));
  }
  return spec;
}

ChangeSpec parse_change_text(std::string_view text, const std::string& file_name) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    const std::string where =
        e.mark.is_null() ? file_name
                         : fmt::format("{}:{}:{}", file_name, e.mark.line + 1, e.mark.column + 1);
    throw_bad_input(fmt::format("{}: not valid YAML or JSON: {}", where, e.msg),
                    "fix the syntax there: indent with spaces, close every bracket and quote, "
                    "and quote values that contain `: ` or ` #`");
  }
  if (documents.empty()) {
    fail_at(file_name, 0, "the file is empty",
            "write `operations:` with a list of operations (see docs/change.md)");
  }
  if (documents.size() > 1) {
    fail_at(file_name, line_of(documents[1]), "the file holds more than one YAML document",
            "a change file is one document: remove the `---` line(s) between them");
  }
  return read_change(documents[0], file_name);
}

ChangeSpec parse_change_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    fail_at(file, 0, "cannot read the change file: it is a directory",
            "give the path of a .yaml or .json file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail_at(file, 0, fmt::format("cannot read the change file: {}", std::strerror(errno)),
            "check the path and its permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    fail_at(file, 0, fmt::format("cannot read the change file: {}", std::strerror(errno)),
            "check the path and its permissions");
  }
  return parse_change_text(text.str(), file);
}

}  // namespace cutover::change
