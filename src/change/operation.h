// The interface every kind of change operation implements (operations/<kind>.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "change/change_context.h"
#include "change/change_spec.h"
#include "change/preflight.h"
#include "change/step.h"
#include "change/version_shape.h"

namespace cutover::change {

// Rows a backfill must touch so that the sync triggers fill the new shape.
struct BackfillTarget {
  std::string table;
  // Columns the backfill's UPDATE sets to themselves (SQLite's UPDATE OF triggers fire only for
  // columns in the SET list); empty: the primary key.
  std::vector<std::string> touch;
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
