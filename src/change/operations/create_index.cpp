// create_index: an index the new version needs, built at start without blocking writes.
//
//   - create_index: {name: users_email_idx, table: users, columns: [email], unique: true}
//
// Optional fields: unique (default false); method (an access method: btree, hash, gin, gist,
// brin, ...; PostgreSQL only); where (an SQL condition: a partial index).
//
// PostgreSQL: CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS at start, outside a transaction;
// the step runner first drops an INVALID index of that name left by an interrupted build, since
// IF NOT EXISTS would keep it. Rollback: DROP INDEX CONCURRENTLY IF EXISTS. Complete has nothing
// to do: the index stays. A unique index holds for both versions as soon as it is built: the
// old version's writes that would duplicate a key fail from then on, and a table that holds
// duplicates already makes the start fail (roll back, fix the data, start again).
// SQLite: CREATE [UNIQUE] INDEX IF NOT EXISTS (SQLite builds indexes in one transaction).
// MariaDB: ALTER TABLE ADD [UNIQUE] INDEX IF NOT EXISTS ..., ALGORITHM=INPLACE, LOCK=NONE (the
// application reads and writes meanwhile; an interrupted build leaves nothing); rollback drops
// it the same way. MariaDB has neither partial indexes nor these methods: where and method are
// refused there.
//
// The index's name must be free when the change starts: an index of that name is the user's,
// and rollback would drop it.
#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/mariadb_constraints.h"
#include "change/operations/operations.h"
#include "core/error.h"

namespace cutover::change {
namespace {

// Whether `name` names any relation of the catalog's schema: table, view, sequence or index.
bool relation_exists(const db::Catalog& catalog, const std::string& name) {
  if (catalog.find_table(name)) return true;
  for (const auto& view : catalog.views) {
    if (view.name == name) return true;
  }
  for (const auto& sequence : catalog.sequences) {
    if (sequence.name == name) return true;
  }
  for (const auto& table : catalog.tables) {
    for (const auto& index : table.indexes) {
      if (index.name == name) return true;
    }
  }
  return false;
}

class CreateIndex : public Operation {
 public:
  explicit CreateIndex(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    name_ = args.identifier("name");
    table_ = args.identifier("table");
    columns_ = args.identifier_list("columns");
    unique_ = args.optional_bool("unique").value_or(false);
    method_ = args.optional_string("method");
    where_ = args.optional_string("where");
    args.reject_unknown();
    if (method_) {
      for (char c : *method_) {
        if (!std::islower(static_cast<unsigned char>(c)) && c != '_') {
          throw_bad_input(
              fmt::format("{}: method '{}' is not an access method's name", where(), *method_),
              "use btree, hash, gin, gist, spgist, brin, or another installed one");
        }
      }
    }
  }

  bool supports(db::Flavor) const override { return true; }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    for (const auto& column : columns_) context.require_column(table, column, where());
    if (relation_exists(*context.catalog, name_)) {
      throw_bad_input(fmt::format("{}: {} already names a table, view, sequence or index of {}",
                                  where(), name_, context.base_schema),
                      "choose another name for the index");
    }
    if (method_ && context.flavor != db::Flavor::kPostgres) {
      throw_bad_input(fmt::format("{}: {} has no index methods", where(),
                                  context.flavor == db::Flavor::kSqlite ? "SQLite" : "MariaDB"),
                      "remove `method` from the operation");
    }
    if (where_ && context.flavor == db::Flavor::kMariaDb) {
      throw_bad_input(fmt::format("{}: MariaDB has no partial indexes", where()),
                      "remove `where` from the operation");
    }
    if (context.flavor == db::Flavor::kMariaDb) {
      mariadb_index_algorithm(context, where(), column_types(context, table_, columns_), unique_);
    }
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    preflight.whole_tables = {table_};  // CREATE INDEX CONCURRENTLY
    if (where_) preflight.probes.push_back(probe_expression(context, table_, *where_));
    if (context.flavor == db::Flavor::kPostgres) {
      // The method, and the index's WHERE as an index takes it (IMMUTABLE functions only).
      std::vector<std::string> quoted;
      for (const auto& column : columns_) quoted.push_back(context.quote(column));
      preflight.sandbox_table = table_;
      preflight.sandbox.push_back(fmt::format(
          "CREATE INDEX ON {}{} ({}){}", kSandboxTable, method_ ? " USING " + *method_ : "",
          fmt::join(quoted, ", "), where_ ? " WHERE " + *where_ : ""));
    }
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    bool sqlite = context.flavor == db::Flavor::kSqlite;
    std::vector<std::string> quoted;
    for (const auto& column : columns_) quoted.push_back(context.quote(column));
    if (context.flavor == db::Flavor::kMariaDb) {
      return {{.what = fmt::format("create {}index {} on {}", unique_ ? "unique " : "", name_,
                                   table_),
               .sql = fmt::format("ALTER TABLE {} ADD {}INDEX IF NOT EXISTS {} ({}), {}",
                                  context.table(table_), unique_ ? "UNIQUE " : "",
                                  context.quote(name_), fmt::join(quoted, ", "),
                                  mariadb_index_algorithm(context, where(), column_types(context, table_, columns_),
                                                          unique_)),
               .long_running = true}};
    }
    std::string sql =
        fmt::format("CREATE {}INDEX {}IF NOT EXISTS {} ON {}{} ({})", unique_ ? "UNIQUE " : "",
                    sqlite ? "" : "CONCURRENTLY ", context.quote(name_), context.table(table_),
                    method_ ? " USING " + *method_ : "", fmt::join(quoted, ", "));
    if (where_) sql += " WHERE " + *where_;
    return {
        {.what = fmt::format("create {}index {} on {}", unique_ ? "unique " : "", name_, table_),
         .sql = std::move(sql),
         .outside_transaction = !sqlite,
         .builds_index = sqlite ? "" : name_}};
  }

  std::vector<Step> contract(const ChangeContext&) const override { return {}; }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) {
      return {{.what = fmt::format("drop index {}", name_),
               .sql = fmt::format("ALTER TABLE {} DROP INDEX IF EXISTS {}, LOCK=NONE",
                                  context.table(table_), context.quote(name_))}};
    }
    bool sqlite = context.flavor == db::Flavor::kSqlite;
    return {{.what = fmt::format("drop index {}", name_),
             .sql = fmt::format("DROP INDEX {}IF EXISTS {}", sqlite ? "" : "CONCURRENTLY ",
                                context.table(name_)),
             .outside_transaction = !sqlite}};
  }

 private:
  std::string name_;
  std::string table_;
  std::vector<std::string> columns_;
  bool unique_ = false;
  std::optional<std::string> method_;
  std::optional<std::string> where_;
};

}  // namespace

std::unique_ptr<Operation> make_create_index(const OperationSpec& spec) {
  return std::make_unique<CreateIndex>(spec);
}

}  // namespace cutover::change
