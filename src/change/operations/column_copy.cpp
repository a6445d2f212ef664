// Shadow columns on PostgreSQL: built with every property at start, renamed into place on
// complete.
#include "change/operations/column_copy.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <regex>

#include "change/preflight.h"
#include "core/error.h"
#include "core/stable_hash.h"

namespace cutover::change {
namespace {

constexpr std::string_view kPrefix = "_cutover_";
// "_cutover_c_": what a temporary name adds before the final name.
constexpr std::size_t kCopyPrefixBytes = kPrefix.size() + 2;
constexpr std::size_t kMaxIdentifierBytes = 63;
constexpr std::size_t kMaxFinalBytes = kMaxIdentifierBytes - kCopyPrefixBytes;  // 52

// One token as PostgreSQL's lexer read it; offsets are bytes into the text.
struct Token {
  int kind = 0;       // a PgQuery__Token value: a character code below 256, else a named token
  bool name = false;  // an identifier or a non-reserved keyword: may name a column
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The tokens of `text`, comments left out; empty when the lexer rejects the text.
std::vector<Token> scan(std::string_view text) {
  const std::string input(text);
  PgQueryScanResult result = pg_query_scan(input.c_str());
  const std::unique_ptr<PgQueryScanResult, void (*)(PgQueryScanResult*)> result_guard(
      &result, [](PgQueryScanResult* r) { pg_query_free_scan_result(*r); });
  if (result.error != nullptr) return {};
  PgQuery__ScanResult* unpacked = pg_query__scan_result__unpack(
      nullptr, result.pbuf.len, reinterpret_cast<const std::uint8_t*>(result.pbuf.data));
  if (unpacked == nullptr) return {};
  const std::unique_ptr<PgQuery__ScanResult, void (*)(PgQuery__ScanResult*)> unpacked_guard(
      unpacked, [](PgQuery__ScanResult* r) { pg_query__scan_result__free_unpacked(r, nullptr); });
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < unpacked->n_tokens; ++i) {
    const PgQuery__ScanToken& raw = *unpacked->tokens[i];
    if (raw.token == PG_QUERY__TOKEN__SQL_COMMENT || raw.token == PG_QUERY__TOKEN__C_COMMENT) {
      continue;
    }
    Token token;
    token.kind = raw.token;
    token.name = raw.token == PG_QUERY__TOKEN__IDENT ||
                 (raw.keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD &&
                  raw.keyword_kind != PG_QUERY__KEYWORD_KIND__RESERVED_KEYWORD);
    token.begin = static_cast<std::size_t>(raw.start);
    token.end = static_cast<std::size_t>(raw.end);
    tokens.push_back(token);
  }
  return tokens;
}

// A name as PostgreSQL's lexer read it, and where it is in the text.
struct NameToken {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string name;  // unquoted names folded to lower case; quoted ones as written
};

// The names of `expression` that may be column references: identifiers and non-reserved
// keywords, except function names (followed by `(`) and type names (after `::`).
std::vector<NameToken> column_names(std::string_view expression) {
  const std::vector<Token> tokens = scan(expression);
  std::vector<NameToken> names;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    if (!token.name) continue;
    if (i > 0 && tokens[i - 1].kind == PG_QUERY__TOKEN__TYPECAST) continue;
    if (i + 1 < tokens.size() && tokens[i + 1].kind == '(') continue;
    NameToken name;
    name.begin = token.begin;
    name.end = token.end;
    std::string_view text = expression.substr(name.begin, name.end - name.begin);
    if (text.size() >= 2 && text.front() == '"') {
      for (std::size_t at = 1; at + 1 < text.size(); ++at) {
        name.name += text[at];
        if (text[at] == '"') ++at;  // "" stands for one "
      }
    } else {
      for (char c : text) {
        name.name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    names.push_back(std::move(name));
  }
  return names;
}

bool is_temporary(std::string_view name) { return name.starts_with(kPrefix); }

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Whether an index key (a column name or an expression) uses `column`.
bool key_uses(const db::TableInfo& table, const std::string& key, std::string_view column) {
  if (table.find_column(key)) return key == column;
  return mentions_column(key, column);
}

bool index_uses(const db::TableInfo& table, const db::IndexInfo& index, std::string_view column) {
  return std::any_of(index.columns.begin(), index.columns.end(),
                     [&](const std::string& key) { return key_uses(table, key, column); });
}

// "public.users" (as the catalog names a table of another schema) or "users" -> quoted and
// qualified with the base schema.
std::string qualified_table(const ChangeContext& context, const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos) return context.table(name);
  return ChangeContext::quote(name.substr(0, dot)) + "." +
         ChangeContext::quote(name.substr(dot + 1));
}

std::string quoted_names(const std::vector<std::string>& names, std::string_view from,
                         std::string_view to) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += ChangeContext::quote(name == from ? to : name);
  }
  return out;
}

// The sequence a `nextval('users_id_seq'::regclass)` default draws from, as SQL text.
std::optional<std::string> nextval_sequence(const std::optional<std::string>& default_expr) {
  if (!default_expr) return std::nullopt;
  constexpr std::string_view kStart = "nextval('";
  constexpr std::string_view kEnd = "'::regclass)";
  const std::string& text = *default_expr;
  if (!text.starts_with(kStart) || !text.ends_with(kEnd)) return std::nullopt;
  std::string name;
  const std::string_view inner(text.data() + kStart.size(),
                               text.size() - kStart.size() - kEnd.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    name += inner[i];
    if (inner[i] == '\'') ++i;  // '' stands for one '
  }
  return name;
}

std::string strip_suffix(std::string text, std::string_view suffix, bool& stripped) {
  stripped = text.ends_with(suffix);
  if (stripped) text.resize(text.size() - suffix.size());
  return text;
}

// What follows `ON <table>` in the copy of `index` on the shadow `to` of column `from`: from
// its full definition, so that its access method, operator classes, order, INCLUDE columns and
// predicate are kept; from its key columns where the catalog has no definition.
std::string copy_keys(const db::TableInfo& table, const db::IndexInfo& index, std::string_view from,
                      std::string_view to) {
  if (auto tail = index_definition_tail(index.definition, from, to)) return *tail;
  return index_keys(table, index.columns, from, to);
}

}  // namespace

VersionTable* version_table(VersionShape& shape, std::string_view table) {
  if (VersionTable* view = shape.find(table)) return view;
  for (auto& view : shape.tables) {
    if (view.table == table) return &view;
  }
  return nullptr;
}

std::string sqlite_same_row(const ChangeContext& context, std::string_view table_name) {
  const db::TableInfo* table = context.catalog->find_table(std::string(table_name));
  if (table == nullptr || !table->primary_key) return "rowid = NEW.rowid";
  std::string out;
  for (const auto& key : table->primary_key->columns) {
    if (!out.empty()) out += " AND ";
    out += fmt::format("{0} = NEW.{0}", ChangeContext::quote(key));
  }
  return out;
}

void refuse_dependent_views(const ChangeContext& context, std::string_view table,
                            std::string_view column, const std::string& where) {
  for (const auto& view : context.catalog->views) {
    // MariaDB prints names in backquotes, which PostgreSQL's lexer does not read as names.
    std::string definition = view.definition;
    if (context.flavor == db::Flavor::kMariaDb) {
      std::replace(definition.begin(), definition.end(), '`', '"');
    }
    if (mentions_column(definition, table) && mentions_column(definition, column)) {
      throw_bad_input(
          fmt::format("{}: view {} uses {}.{}, so complete could not drop the column", where,
                      view.name, table, column),
          "drop the view first, or change it so that it no longer uses the column (the new "
          "version's views are made by cutover; views of your own move with a migration)");
    }
  }
}

void refuse_mariadb_column_dependents(const db::TableInfo& table, std::string_view column,
                                      const std::string& where) {
  const auto has = [&](const std::vector<std::string>& columns) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  for (const auto& key : table.foreign_keys) {
    if (has(key.columns)) {
      throw_bad_input(
          fmt::format("{}: {}.{} has the foreign key {}", where, table.name, column, key.name),
          "drop that foreign key first (with a migration, cutover migrate)");
    }
  }
  for (const auto& index : table.indexes) {
    if (index.columns.size() > 1 && has(index.columns)) {
      throw_bad_input(fmt::format("{}: {}.{} is one of the columns of index {}: dropping it "
                                  "would narrow the index to the others",
                                  where, table.name, column, index.name),
                      "drop the index first (drop_index, in an earlier change)");
    }
  }
}

std::string rename_column_reference(std::string_view expression, std::string_view from,
                                    std::string_view to) {
  std::string out;
  std::size_t copied = 0;
  for (const NameToken& token : column_names(expression)) {
    if (token.name != from) continue;
    out.append(expression.substr(copied, token.begin - copied));
    out += ChangeContext::quote(to);
    copied = token.end;
  }
  out.append(expression.substr(copied));
  return out;
}

bool mentions_column(std::string_view expression, std::string_view name) {
  const auto names = column_names(expression);
  return std::any_of(names.begin(), names.end(),
                     [&](const NameToken& token) { return token.name == name; });
}

std::string column_exists_query(const ChangeContext& context, std::string_view table,
                                std::string_view column) {
  if (context.flavor == db::Flavor::kMariaDb) {
    return fmt::format("SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} AND "
                       "TABLE_NAME = {} AND COLUMN_NAME = {}",
                       sql_literal(context.base_schema), sql_literal(table), sql_literal(column));
  }
  return fmt::format(
      "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND "
      "attnum > 0 AND NOT attisdropped",
      sql_literal(context.table(table)), sql_literal(column));
}

std::string column_missing_query(const ChangeContext& context, std::string_view table,
                                 std::string_view column) {
  return fmt::format("SELECT 1 WHERE NOT EXISTS ({})", column_exists_query(context, table, column));
}

std::string constraint_exists_query(const ChangeContext& context, std::string_view table,
                                    std::string_view name) {
  return fmt::format(
      "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({}) AND conname = {}",
      sql_literal(context.table(table)), sql_literal(name));
}

std::string constraint_missing_query(const ChangeContext& context, std::string_view table,
                                     std::string_view name) {
  return fmt::format("SELECT 1 WHERE NOT EXISTS ({})",
                     constraint_exists_query(context, table, name));
}

std::string index_missing_query(const ChangeContext& context, std::string_view index) {
  return fmt::format("SELECT 1 WHERE to_regclass({}) IS NULL", sql_literal(context.table(index)));
}

std::string copy_name(CopyKind kind, std::string_view final_name) {
  if (final_name.size() <= kMaxFinalBytes) {
    return fmt::format("{}{}_{}", kPrefix, static_cast<char>(kind), final_name);
  }
  // _cutover_h<kind>_<start of the name>_<hash>: 63 bytes.
  const std::size_t keep = kMaxIdentifierBytes - kCopyPrefixBytes - 1 - 1 - 8;
  return fmt::format("{}h{}_{}_{}", kPrefix, static_cast<char>(kind), final_name.substr(0, keep),
                     stable_short_hash(final_name));
}

std::optional<DecodedCopy> decode_copy_name(std::string_view name) {
  if (!name.starts_with(kPrefix) || name.size() <= kCopyPrefixBytes) return std::nullopt;
  const char kind = name[kPrefix.size()];
  if (name[kPrefix.size() + 1] != '_') return std::nullopt;
  if (kind != 'c' && kind != 'i' && kind != 'u' && kind != 'p') return std::nullopt;
  return DecodedCopy{static_cast<CopyKind>(kind), std::string(name.substr(kCopyPrefixBytes))};
}

std::string shadow_value(const std::string& expression, const std::string& type) {
  // "(200)", "(10, 2)": the modifiers of varchar(200), numeric(10, 2), timestamp(3) ...
  static const std::regex modifiers(R"(\s*\(\s*-?\d+\s*(,\s*-?\d+\s*)?\))");
  std::string base = std::regex_replace(castable_type(type), modifiers, "");
  std::string::size_type array = base.find('[');
  std::string element = base.substr(0, array);
  std::string lower = element;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Without a length these mean a length of 1; text and bit varying carry any length.
  if (lower == "char" || lower == "character" || lower == "bpchar") element = "text";
  if (lower == "bit") element = "bit varying";
  return fmt::format("CAST(({}) AS {}{})", expression, element,
                     array == std::string::npos ? "" : base.substr(array));
}

std::string choose_name(std::string_view table, std::string_view column, std::string_view label,
                        const std::vector<std::string>& taken) {
  for (int pass = 0;; ++pass) {
    const std::string modified = pass == 0 ? std::string(label) : fmt::format("{}{}", label, pass);
    // PostgreSQL's makeObjectName: shorten the longer part until the whole fits.
    const std::size_t available = kMaxFinalBytes - modified.size() - 2;
    std::size_t table_bytes = table.size();
    std::size_t column_bytes = column.size();
    while (table_bytes + column_bytes > available) {
      if (table_bytes > column_bytes) {
        --table_bytes;
      } else {
        --column_bytes;
      }
    }
    std::string name = fmt::format("{}_{}_{}", table.substr(0, table_bytes),
                                   column.substr(0, column_bytes), modified);
    if (!contains(taken, name)) return name;
  }
}

std::vector<std::string> names_in_use(const db::Catalog& catalog) {
  std::vector<std::string> names;
  for (const auto& view : catalog.views) names.push_back(view.name);
  for (const auto& sequence : catalog.sequences) names.push_back(sequence.name);
  for (const auto& table : catalog.tables) {
    names.push_back(table.name);
    if (table.primary_key) names.push_back(table.primary_key->name);
    for (const auto& key : table.unique_keys) names.push_back(key.name);
    for (const auto& index : table.indexes) names.push_back(index.name);
    for (const auto& key : table.foreign_keys) names.push_back(key.name);
    for (const auto& check : table.checks) names.push_back(check.name);
  }
  return names;
}

std::string index_keys(const db::TableInfo& table, const std::vector<std::string>& columns,
                       std::string_view from, std::string_view to) {
  std::string out;
  for (const auto& key : columns) {
    if (!out.empty()) out += ", ";
    if (table.find_column(key)) {
      out += ChangeContext::quote(key == from ? to : key);
    } else {
      out += "(" + rename_column_reference(key, from, to) + ")";
    }
  }
  return "(" + out + ")";
}

std::optional<std::string> index_definition_tail(std::string_view definition, std::string_view from,
                                                 std::string_view to) {
  if (!definition.starts_with("CREATE ")) return std::nullopt;
  for (const Token& token : scan(definition)) {
    if (token.kind == PG_QUERY__TOKEN__USING) {
      return rename_column_reference(definition.substr(token.begin), from, to);
    }
  }
  return std::nullopt;
}

ShadowColumn copy_column(const ChangeContext& context, const db::TableInfo& table,
                         const db::ColumnInfo& column) {
  const std::string shadow = ChangeContext::shadow(column.name);
  ShadowColumn copy;
  copy.table = table.name;
  copy.column = column.name;
  copy.type = column.type;
  copy.default_expr = column.default_expr;
  copy.not_null = !column.nullable;

  for (const auto& check : table.checks) {
    if (is_temporary(check.name) || !mentions_column(check.expression, column.name)) continue;
    bool not_valid = false;
    std::string definition = strip_suffix(check.expression, " NOT VALID", not_valid);
    copy.constraints.push_back(
        {check.name, rename_column_reference(definition, column.name, shadow), !not_valid});
  }
  for (const auto& key : table.foreign_keys) {
    if (is_temporary(key.name) || !contains(key.columns, column.name)) continue;
    std::string definition = fmt::format(
        "FOREIGN KEY ({}) REFERENCES {} ({})", quoted_names(key.columns, column.name, shadow),
        qualified_table(context, key.ref_table), quoted_names(key.ref_columns, "", ""));
    if (!key.on_update.empty() && key.on_update != "NO ACTION") {
      definition += " ON UPDATE " + key.on_update;
    }
    if (!key.on_delete.empty() && key.on_delete != "NO ACTION") {
      definition += " ON DELETE " + key.on_delete;
    }
    copy.constraints.push_back({key.name, std::move(definition), true});
  }

  for (const auto& index : table.indexes) {
    if (!index.valid || is_temporary(index.name) || !index_uses(table, index, column.name)) {
      continue;
    }
    const bool unique_key =
        std::any_of(table.unique_keys.begin(), table.unique_keys.end(),
                    [&](const db::KeyInfo& key) { return key.name == index.name; });
    const CopyKind kind = index.primary ? CopyKind::kPrimaryKey
                          : unique_key  ? CopyKind::kUnique
                                        : CopyKind::kIndex;
    copy.indexes.push_back({index.name, kind, index.unique || index.primary,
                            copy_keys(table, index, column.name, shadow)});
  }
  return copy;
}

std::vector<Step> add_shadow_column(const ChangeContext& context, const ShadowColumn& shadow) {
  const std::string table = context.table(shadow.table);
  const std::string column = ChangeContext::shadow(shadow.column);
  std::string add = fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", table,
                                ChangeContext::quote(column), shadow.type);
  if (shadow.default_expr && shadow.default_fills_existing) {
    add += " DEFAULT " + *shadow.default_expr;
  }
  std::vector<Step> steps = {
      {.what = fmt::format("add shadow column {}.{}", shadow.table, column), .sql = add}};
  if (shadow.default_expr && !shadow.default_fills_existing) {
    steps.push_back({.what = fmt::format("set the default of {}.{}", shadow.table, column),
                     .sql = fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", table,
                                        ChangeContext::quote(column), *shadow.default_expr)});
  }
  return steps;
}

std::vector<Step> constrain_shadow_column(const ChangeContext& context,
                                          const ShadowColumn& shadow) {
  const std::string table = context.table(shadow.table);
  const std::string column = ChangeContext::shadow(shadow.column);
  std::vector<Step> steps;
  auto add = [&](const std::string& name, const std::string& definition, std::string what) {
    steps.push_back({.what = std::move(what),
                     .sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID", table,
                                        ChangeContext::quote(name), definition),
                     .done_if = constraint_exists_query(context, shadow.table, name)});
  };
  if (shadow.not_null) {
    add(copy_name(CopyKind::kNotNull, shadow.column),
        fmt::format("CHECK ({} IS NOT NULL)", ChangeContext::quote(column)),
        fmt::format("add NOT NULL check on {}.{} (not valid yet)", shadow.table, column));
  }
  for (const auto& constraint : shadow.constraints) {
    add(copy_name(CopyKind::kConstraint, constraint.name), constraint.definition,
        fmt::format("add {} on {}.{} (not valid yet)", constraint.name, shadow.table, column));
  }
  return steps;
}

std::vector<Step> validate_shadow_column(const ChangeContext& context, const ShadowColumn& shadow) {
  const std::string table = context.table(shadow.table);
  const std::string column = ChangeContext::shadow(shadow.column);
  std::vector<Step> steps;
  auto validate = [&](const std::string& name, std::string what) {
    steps.push_back({.what = std::move(what),
                     .sql = fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", table,
                                        ChangeContext::quote(name)),
                     .long_running = true});
  };
  if (shadow.not_null) {
    validate(copy_name(CopyKind::kNotNull, shadow.column),
             fmt::format("validate NOT NULL of {}.{}", shadow.table, column));
  }
  for (const auto& constraint : shadow.constraints) {
    if (!constraint.validate) continue;
    validate(copy_name(CopyKind::kConstraint, constraint.name),
             fmt::format("validate {} on {}.{}", constraint.name, shadow.table, column));
  }
  for (const auto& index : shadow.indexes) {
    const std::string name = copy_name(index.kind, index.name);
    steps.push_back(
        {.what = fmt::format("build index {} on {}.{}", index.name, shadow.table, column),
         .sql = fmt::format("CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {} {}",
                            index.unique ? "UNIQUE " : "", ChangeContext::quote(name), table,
                            index.keys),
         .outside_transaction = true,
         .builds_index = name});
  }
  return steps;
}

std::string disable_change_triggers(const ChangeContext& context, const std::string& table_name,
                                    int own_index) {
  const db::TableInfo* table = context.catalog->find_table(table_name);
  if (table == nullptr) return "";
  // Trigger names are _cutover_<change>_<index>_<table> (shortened with a hash when long,
  // which keeps the index).
  const std::string prefix = fmt::format("{}{}_", kPrefix, context.change);
  std::string out;
  for (const auto& trigger : table->triggers) {
    if (!trigger.name.starts_with(prefix)) continue;
    const std::string_view rest = std::string_view(trigger.name).substr(prefix.size());
    std::size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    if (digits > 0 && digits < 10 && std::stoi(std::string(rest.substr(0, digits))) < own_index) {
      continue;
    }
    if (!out.empty()) out += ", ";
    out += "DISABLE TRIGGER " + ChangeContext::quote(trigger.name);
  }
  return out;
}

std::vector<Step> swap_shadow_column(const ChangeContext& context, const std::string& table_name,
                                     const std::string& column, bool replaces_original,
                                     int own_index, std::vector<Step> trigger_drop) {
  const db::TableInfo* table = context.catalog->find_table(table_name);
  if (table == nullptr) return trigger_drop;
  const std::string shadow = ChangeContext::shadow(column);
  const std::string table_sql = context.table(table_name);
  const bool has_shadow = table->find_column(shadow) != nullptr;
  const db::ColumnInfo* original = table->find_column(column);
  const std::string shadow_gone = column_missing_query(context, table_name, shadow);
  std::vector<Step> steps;

  const std::string not_null = copy_name(CopyKind::kNotNull, column);
  const bool has_not_null_check =
      std::any_of(table->checks.begin(), table->checks.end(),
                  [&](const db::CheckInfo& check) { return check.name == not_null; });
  if (has_not_null_check) {
    steps.push_back({.what = fmt::format("set {}.{} NOT NULL", table_name, shadow),
                     .sql = fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", table_sql,
                                        ChangeContext::quote(shadow)),
                     .done_if = constraint_missing_query(context, table_name, not_null)});
    steps.push_back({.what = fmt::format("drop NOT NULL check of {}.{}", table_name, shadow),
                     .sql = fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", table_sql,
                                        ChangeContext::quote(not_null))});
  }

  // The final name of each temporary object whose name was shortened, from the originals.
  std::map<std::string, DecodedCopy> shortened;
  const bool drop_original = replaces_original && has_shadow && original != nullptr;
  if (drop_original) {
    if (auto sequence = nextval_sequence(original->default_expr)) {
      // A serial column's sequence goes with the column: it must not be dropped with it.
      steps.push_back(
          {.what = fmt::format("hand sequence {} to {}.{}", *sequence, table_name, shadow),
           .sql = fmt::format("ALTER SEQUENCE {} OWNED BY {}.{}", *sequence, table_sql,
                              ChangeContext::quote(shadow)),
           .done_if = fmt::format(
               "SELECT 1 WHERE NOT EXISTS ({}) OR NOT EXISTS (SELECT 1 FROM pg_depend d JOIN "
               "pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE "
               "d.classid = 'pg_class'::regclass AND d.objid = to_regclass({}) AND d.refobjid "
               "= to_regclass({}) AND a.attname = {} AND d.deptype = 'a')",
               column_exists_query(context, table_name, shadow), sql_literal(*sequence),
               sql_literal(table_sql), sql_literal(column))});
    }
  }
  if (drop_original) {
    std::string disable = disable_change_triggers(context, table_name, own_index);
    if (!disable.empty()) disable += ", ";
    steps.push_back({.what = fmt::format("drop the original column {}.{}", table_name, column),
                     .sql = fmt::format("ALTER TABLE {} {}DROP COLUMN IF EXISTS {}", table_sql,
                                        disable, ChangeContext::quote(column)),
                     .done_if = shadow_gone});
    auto remember = [&](CopyKind kind, const std::string& name) {
      shortened.emplace(copy_name(kind, name), DecodedCopy{kind, name});
    };
    for (const auto& check : table->checks) remember(CopyKind::kConstraint, check.name);
    for (const auto& key : table->foreign_keys) remember(CopyKind::kConstraint, key.name);
    if (table->primary_key) remember(CopyKind::kPrimaryKey, table->primary_key->name);
    for (const auto& key : table->unique_keys) remember(CopyKind::kUnique, key.name);
    for (const auto& index : table->indexes) remember(CopyKind::kIndex, index.name);
  }
  for (auto& step : trigger_drop) steps.push_back(std::move(step));
  if (has_shadow) {
    steps.push_back({.what = fmt::format("rename {}.{} to {}", table_name, shadow, column),
                     .sql = fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", table_sql,
                                        ChangeContext::quote(shadow), ChangeContext::quote(column)),
                     .done_if = shadow_gone});
  }

  auto final_of = [&](const std::string& name) -> std::optional<DecodedCopy> {
    if (auto decoded = decode_copy_name(name)) return decoded;
    auto it = shortened.find(name);
    if (it == shortened.end()) return std::nullopt;
    return it->second;
  };
  auto rename_constraint = [&](const std::string& name) {
    auto target = final_of(name);
    if (!target || target->kind != CopyKind::kConstraint) return;
    steps.push_back(
        {.what =
             fmt::format("rename constraint {} of {} to {}", name, table_name, target->final_name),
         .sql = fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", table_sql,
                            ChangeContext::quote(name), ChangeContext::quote(target->final_name)),
         .done_if = constraint_missing_query(context, table_name, name)});
  };
  for (const auto& check : table->checks) {
    if (check.name == not_null || !is_temporary(check.name)) continue;
    if (mentions_column(check.expression, shadow) || mentions_column(check.expression, column)) {
      rename_constraint(check.name);
    }
  }
  for (const auto& key : table->foreign_keys) {
    if (!is_temporary(key.name)) continue;
    if (contains(key.columns, shadow) || contains(key.columns, column)) rename_constraint(key.name);
  }
  for (const auto& index : table->indexes) {
    if (!is_temporary(index.name)) continue;
    if (!index_uses(*table, index, shadow) && !index_uses(*table, index, column)) continue;
    auto target = final_of(index.name);
    if (!target) continue;
    const std::string quoted = ChangeContext::quote(index.name);
    const std::string final_name = ChangeContext::quote(target->final_name);
    Step step{.done_if = index_missing_query(context, index.name)};
    switch (target->kind) {
      case CopyKind::kIndex:
        step.what = fmt::format("rename index {} to {}", index.name, target->final_name);
        step.sql =
            fmt::format("ALTER INDEX {} RENAME TO {}", context.table(index.name), final_name);
        break;
      case CopyKind::kUnique:
        step.what = fmt::format("attach index {} to {} as unique key {}", index.name, table_name,
                                target->final_name);
        step.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", table_sql,
                               final_name, quoted);
        break;
      case CopyKind::kPrimaryKey:
        step.what = fmt::format("attach index {} to {} as primary key {}", index.name, table_name,
                                target->final_name);
        step.sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}",
                               table_sql, final_name, quoted);
        break;
      default:
        continue;
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

std::vector<Step> drop_shadow_column(const ChangeContext& context, const std::string& table,
                                     const std::string& column) {
  const std::string shadow = ChangeContext::shadow(column);
  return {{.what = fmt::format("drop shadow column {}.{}", table, shadow),
           .sql = fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", context.table(table),
                              ChangeContext::quote(shadow))}};
}

}  // namespace cutover::change
