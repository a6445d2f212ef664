// The interface every kind of change operation implements (operations/<kind>.cpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "change/change_context.h"
#include "change/change_spec.h"
#include "change/preflight.h"
#include "change/step.h"
#include "change/version_shape.h"

namespace cutover::change {

// A column of the backfilled table that the backfill sets itself: `column` = `expression`
// (SQL over the old version's columns).
struct FillColumn {
  std::string column;
  std::string expression;
};

// The rows a backfill walks, and how it fills the new shape from them.
struct BackfillTarget {
  // Makes one statement that fills the new shape from a batch of the table's rows, given the
  // condition that picks them: the table is aliased `_cutover_row` in it.
  using Copy = std::function<std::string(const std::string& batch_rows)>;

  std::string table;
  // SQLite: the columns the backfill's UPDATE sets to themselves so that the sync triggers fill
  // the new shape (UPDATE OF triggers fire only for columns in the SET list); empty: the key.
  std::vector<std::string> touch;
  // Galera: columns (0 or 1) that the touch flips, so that it changes every row of the batch. A
  // row that an UPDATE leaves as it was is in no writeset, so the batch would certify against no
  // write of it on another node, though its triggers acted on what they read of it.
  std::vector<std::string> flip;
  // PostgreSQL: the backfill writes the new shape itself, a batch at a time, with the change's
  // sync triggers skipped for its session (a trigger call per row costs more than the row's
  // own update): it sets `fill` in one UPDATE of the batch, then runs each of `copies`.
  std::vector<FillColumn> fill;
  std::vector<Copy> copies;

  bool set_based() const { return !fill.empty() || !copies.empty(); }
};

// Phases call these in order: validate, expand, (backfill), after_backfill, shape (the version
// schema), then later contract, or rollback. Every list of steps must be safe to run again
// after a crash part-way through it (IF [NOT] EXISTS, Step::done_if).
class Operation {
 public:
  explicit Operation(OperationSpec spec) : spec_(std::move(spec)) {}
  virtual ~Operation() = default;

  const OperationSpec& spec() const { return spec_; }
  std::string where() const { return spec_.where(); }

  // Whether the operation works on this database (SQLite runs a subset).
  virtual bool supports(db::Flavor flavor) const { return flavor == db::Flavor::kPostgres; }

  // Checks the operation against the database: tables and columns exist (or do not), the
  // expressions' columns exist, ... Throws Error(kBadInput) naming where() and the fix.
  virtual void validate(const ChangeContext& context) const = 0;

  // What start checks on the server before its first step, beyond validate() (PostgreSQL):
  // partitions, the objects depending on a column complete drops, types and expressions.
  virtual Preflight preflight(const ChangeContext&) const { return {}; }

  // Start: additive steps only. The old version must keep working unchanged.
  virtual std::vector<Step> expand(const ChangeContext& context) const = 0;
  // Tables start creates (and the sync triggers fill): start analyzes them as they fill, so
  // that the triggers' lookups in them are planned on their real size.
  virtual std::vector<std::string> created_tables() const { return {}; }
  // Tables whose existing rows the backfill must touch.
  virtual std::vector<BackfillTarget> backfill(const ChangeContext&) const { return {}; }
  // After the backfill: VALIDATE CONSTRAINT, CREATE INDEX CONCURRENTLY, ...
  virtual std::vector<Step> after_backfill(const ChangeContext&) const { return {}; }
  // Changes the new version's view of the schema.
  virtual void shape(VersionShape&, const ChangeContext&) const {}
  // The columns it adds, drops, renames or changes, as {table, column} (a rename: both names).
  // Two operations of one change on the same column are refused before anything changes.
  virtual std::vector<std::pair<std::string, std::string>> changed_columns() const { return {}; }

  // Complete: drop what only the old version needed, rename shadows into place. The version
  // schema's views follow renamed columns; they are dropped after the contract.
  virtual std::vector<Step> contract(const ChangeContext& context) const = 0;
  // Rollback: undo expand and after_backfill. Operations are rolled back in reverse order.
  virtual std::vector<Step> rollback(const ChangeContext& context) const = 0;

 private:
  OperationSpec spec_;
};

// Makes the operation `spec.kind` names, reading (and checking the form of) its fields. Throws
// Error(kBadInput) naming spec.where() for an unknown kind (listing the known ones), a missing
// or unknown field.
std::unique_ptr<Operation> make_operation(const OperationSpec& spec);

// The kinds make_operation knows, in the order docs/change.md lists them.
const std::vector<std::string>& operation_kinds();

}  // namespace cutover::change
