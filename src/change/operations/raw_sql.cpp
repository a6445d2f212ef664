// sql (raw SQL): statements of the user's own, run at start, on rollback and on complete, for
// what the other operations do not cover (functions, types, extensions, data fixes).
//
//   - sql:
//       up: "CREATE TABLE IF NOT EXISTS audit (id bigserial PRIMARY KEY, note text)"
//       down: "DROP TABLE IF EXISTS audit"
//       complete: "COMMENT ON TABLE audit IS 'kept'"      # optional
//
// `up` runs at start (before the backfill), `down` on rollback, `complete` (optional) on
// complete. Each is a script of one or more statements separated by `;`, split with
// PostgreSQL's own parser; each statement is one step, run on its own (autocommit, never
// grouped with other steps, so CREATE INDEX CONCURRENTLY works), with the change's lock
// timeout and retries, as the old version (cutover.version unset). `down` is required: rollback
// must leave the schema as it was; it must undo whatever part of `up` ran.
//
// The statements run again when an interrupted start, rollback or complete is resumed, from
// the first statement: write them so that running them twice is harmless (IF [NOT] EXISTS,
// CREATE OR REPLACE, ...). cutover cannot see what they do: the old version must keep working
// after `up`, and whatever `up` makes in the base schema is seen by both versions. PostgreSQL
// only.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "core/error.h"
#include "db/statement.h"

namespace cutover::change {
namespace {

class RawSql : public Operation {
 public:
  explicit RawSql(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    up_ = split("up", args.string("up"));
    down_ = split("down", args.string("down"));
    if (auto complete = args.optional_string("complete")) complete_ = split("complete", *complete);
    args.reject_unknown();
  }

  void validate(const ChangeContext&) const override {}

  std::vector<Step> expand(const ChangeContext&) const override { return steps("up", up_); }

  std::vector<Step> contract(const ChangeContext&) const override {
    return steps("complete", complete_);
  }

  std::vector<Step> rollback(const ChangeContext&) const override { return steps("down", down_); }

 private:
  // The statements of one field; Error(kBadInput) naming the field for a script that cannot be
  // split (an unterminated quote or comment) or that holds no statement.
  std::vector<db::Statement> split(const std::string& field, const std::string& script) const {
    std::vector<db::Statement> statements;
    try {
      statements = db::split_statements(db::Flavor::kPostgres, script);
    } catch (const Error& e) {
      throw_bad_input(fmt::format("{}: {}: {}", where(), field, e.message()), e.hint());
    }
    if (statements.empty()) {
      throw_bad_input(fmt::format("{}: {} holds no SQL statement", where(), field),
                      fmt::format("write the SQL to run in `{}`", field));
    }
    return statements;
  }

  std::vector<Step> steps(const std::string& field,
                          const std::vector<db::Statement>& statements) const {
    std::vector<Step> out;
    for (std::size_t i = 0; i < statements.size(); ++i) {
      std::string what = statements.size() == 1
                             ? fmt::format("sql {}", field)
                             : fmt::format("sql {}, statement {} (line {} of {})", field, i + 1,
                                           statements[i].line, field);
      out.push_back(
          {.what = std::move(what), .sql = statements[i].text, .outside_transaction = true});
    }
    return out;
  }

  std::vector<db::Statement> up_;
  std::vector<db::Statement> down_;
  std::vector<db::Statement> complete_;
};

}  // namespace

std::unique_ptr<Operation> make_raw_sql(const OperationSpec& spec) {
  return std::make_unique<RawSql>(spec);
}

}  // namespace cutover::change
