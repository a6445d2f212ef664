// Shadow columns on PostgreSQL: a column `_cutover_<name>` that carries every property the
// new version's column must have (type, default, NOT NULL, checks, unique keys, indexes,
// foreign keys), built without long locks at start and renamed into place on complete. Shared
// by add_column (a shadow for a new column) and alter_column (a shadow that copies the
// original column and changes some of its properties).
//
// Names. Each constraint or index of the shadow is built under a temporary name that says
// what it becomes, so that complete can find and finish it from the catalog alone, even when
// it is run again after a crash in the middle:
//   _cutover_c_<name>  a check or foreign key, renamed to <name>
//   _cutover_i_<name>  an index, renamed to <name>
//   _cutover_u_<name>  a unique index, attached as the unique constraint <name>
//   _cutover_p_<name>  a unique index, attached as the primary key <name>
//   _cutover_n_<column>  CHECK (shadow IS NOT NULL), replaced by SET NOT NULL on complete
// A final name longer than 52 bytes does not fit: its temporary name is then shortened with a
// hash (_cutover_h<kind>_...) and complete learns the final name from the original object,
// which exists until complete drops the original column.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "change/change_context.h"
#include "change/operation_args.h"
#include "change/step.h"
#include "change/operations/sql_parts.h"
#include "change/version_shape.h"
#include "db/catalog.h"

namespace cutover::change {

// `expression` (PostgreSQL SQL) with every reference to the column `from` replaced by the
// quoted name `to`. References are found with PostgreSQL's own lexer: unquoted names
// (case-insensitively), quoted names, also after a table qualifier; string literals, function
// names (a name followed by `(`) and type names (after `::`) are left alone. An expression the
// lexer rejects is returned unchanged (the server reports it when the step runs).
std::string rename_column_reference(std::string_view expression, std::string_view from,
                                    std::string_view to);
// Whether `expression` refers to the column `name` (same rules).
bool mentions_column(std::string_view expression, std::string_view name);

// The new version's view of `table`: the view of that name, else the first view over it;
// nullptr when there is none.
VersionTable* version_table(VersionShape& shape, std::string_view table);

// SQLite: the condition that finds, in a trigger's body, the row the trigger fired for:
// "id" = NEW."id" by the primary key, else rowid = NEW.rowid.
std::string sqlite_same_row(const ChangeContext& context, std::string_view table);

// SQLite: throws Error(kBadInput) naming `where` when a view uses `column` of `table` (its
// definition names both): complete could not drop the column under it. PostgreSQL asks
// pg_depend instead (change/preflight.h).
void refuse_dependent_views(const ChangeContext& context, std::string_view table,
                            std::string_view column, const std::string& where);

// MariaDB: throws Error(kBadInput) naming `where` when `column` of `table` has a foreign key
// (MariaDB refuses to drop it) or is one of the columns of an index with others (dropping it
// would narrow the index, and MariaDB does that only by rebuilding the table): complete could
// not drop it online.
void refuse_mariadb_column_dependents(const db::TableInfo& table, std::string_view column,
                                      const std::string& where);

// Queries for Step::done_if (they return a row when true), on the base schema's `table`.
std::string column_exists_query(const ChangeContext& context, std::string_view table,
                                std::string_view column);
std::string column_missing_query(const ChangeContext& context, std::string_view table,
                                 std::string_view column);
std::string constraint_exists_query(const ChangeContext& context, std::string_view table,
                                    std::string_view name);
std::string constraint_missing_query(const ChangeContext& context, std::string_view table,
                                     std::string_view name);
std::string index_missing_query(const ChangeContext& context, std::string_view index);

// What a temporary object becomes on complete (see the file's comment).
enum class CopyKind : char {
  kConstraint = 'c',  // a check or a foreign key
  kIndex = 'i',
  kUnique = 'u',
  kPrimaryKey = 'p',
  kNotNull = 'n',
};

// The temporary name of an object that becomes `final_name`: at most 63 bytes.
std::string copy_name(CopyKind kind, std::string_view final_name);
// The inverse, for names that were not shortened; nullopt for any other name.
struct DecodedCopy {
  CopyKind kind;
  std::string final_name;
};
std::optional<DecodedCopy> decode_copy_name(std::string_view name);

// The name PostgreSQL would give a constraint or index `<table>_<column>_<label>` ("key",
// "check", "fkey"), parts shortened as PostgreSQL does but to at most 52 bytes (so that its
// temporary name decodes), with a number appended to the label when it is in `taken`.
std::string choose_name(std::string_view table, std::string_view column, std::string_view label,
                        const std::vector<std::string>& taken);
// Every name a new constraint or index of the schema must avoid: relations (tables, views,
// sequences, indexes) and constraints of every table of the catalog.
std::vector<std::string> names_in_use(const db::Catalog& catalog);

// A check or foreign key of the shadow column: added NOT VALID at start, validated after the
// backfill.
struct ShadowConstraint {
  std::string name;        // the final name
  std::string definition;  // "CHECK (...)" / "FOREIGN KEY (...) REFERENCES ...", over the shadow
  bool validate = true;    // false for the copy of a constraint that is NOT VALID itself
};

// An index that includes the shadow column, built CONCURRENTLY after the backfill.
struct ShadowIndex {
  std::string name;                  // the final name
  CopyKind kind = CopyKind::kIndex;  // kIndex, kUnique or kPrimaryKey
  bool unique = false;
  // What follows `ON <table>`: the key list, parentheses included: ("org_id", "_cutover_email"),
  // or all of it from a definition: USING gin ("_cutover_tags") WHERE ("_cutover_tags" <> ...).
  std::string keys;
};

// Everything the shadow of `column` must have.
struct ShadowColumn {
  std::string table;
  std::string column;  // the final name; the shadow is ChangeContext::shadow(column)
  std::string type;
  std::optional<std::string> default_expr;
  // true: ADD COLUMN ... DEFAULT fills the rows that exist (no `up`); false: SET DEFAULT
  // afterwards, for new rows only, and the backfill fills the existing ones.
  bool default_fills_existing = false;
  bool not_null = false;
  std::vector<ShadowConstraint> constraints;
  std::vector<ShadowIndex> indexes;
};

// The shadow of an existing column with all its properties: type, default, NOT NULL, the
// checks that mention it, the foreign keys from it, the primary key, unique keys and indexes
// that include it (other columns of these stay as they are). Objects named _cutover_... (left
// by a crashed start) are not copied. Index definitions are rebuilt from the catalog's key
// columns: see the limits in alter_column.cpp.
ShadowColumn copy_column(const ChangeContext& context, const db::TableInfo& table,
                         const db::ColumnInfo& column);

// The key list of an index over `columns` (as the catalog gives them: names or expressions)
// with `from` replaced by `to`.
std::string index_keys(const db::TableInfo& table, const std::vector<std::string>& columns,
                       std::string_view from, std::string_view to);

// What follows `ON <table>` in an index definition as pg_get_indexdef() prints it ("CREATE
// UNIQUE INDEX i ON public.t USING btree (a, lower(b)) INCLUDE (c) WHERE (a > 0)"), with the
// column `from` replaced by `to`: "USING btree (a, lower("x")) INCLUDE (c) WHERE (a > 0)", so
// that a copy keeps the access method, operator classes, order, INCLUDE columns and predicate.
// nullopt when the text is not such a definition.
std::optional<std::string> index_definition_tail(std::string_view definition, std::string_view from,
                                                 std::string_view to);

// Start, before the sync trigger: ADD COLUMN IF NOT EXISTS the shadow (nullable), SET DEFAULT.
std::vector<Step> add_shadow_column(const ChangeContext& context, const ShadowColumn& shadow);
// Start, once the sync trigger fills the shadow: NOT NULL as a check, the checks and foreign
// keys, all NOT VALID (no scan, a short lock each). Skipped when they exist.
std::vector<Step> constrain_shadow_column(const ChangeContext& context, const ShadowColumn& shadow);
// After the backfill: VALIDATE CONSTRAINT each, then CREATE [UNIQUE] INDEX CONCURRENTLY each
// index (outside a transaction; an INVALID leftover is rebuilt by the step runner).
std::vector<Step> validate_shadow_column(const ChangeContext& context, const ShadowColumn& shadow);

// Complete, PostgreSQL: "DISABLE TRIGGER a, DISABLE TRIGGER b" (empty when none) for the sync
// triggers on `table` of this change's operations from `own_index` on (those before it were
// dropped by their own complete), as the catalog lists them. Every sync trigger function
// declares a variable for each column of the table, so a trigger of another operation fails
// every write once a column is dropped or renamed: put this in the same ALTER TABLE as the
// DROP COLUMN, or just before a RENAME COLUMN. Each operation's complete still drops its own.
std::string disable_change_triggers(const ChangeContext& context, const std::string& table,
                                    int own_index);

// Complete; worked out from the catalog as it is now, so that it finishes what a crashed
// complete left. While the sync triggers still keep both columns right: SET NOT NULL (cheap:
// the validated check proves it) and drop the check; with `replaces_original`, hand the
// original's owned sequence to the shadow and, in one statement, disable the change's sync
// triggers on the table (from `own_index` on) and drop the original column, so that no write
// finds the original column unfilled. Then `trigger_drop` (the operation's own trigger and
// function), rename the shadow to `column`, and give each temporary constraint and index its
// final name (attaching unique and primary keys).
std::vector<Step> swap_shadow_column(const ChangeContext& context, const std::string& table,
                                     const std::string& column, bool replaces_original,
                                     int own_index, std::vector<Step> trigger_drop);

// `expression` as the shadow column of type `type` is set from it, by the sync trigger and by
// the backfill alike: a CAST to the type without its modifiers (so text converts to any type,
// as a PL/pgSQL assignment would convert it), the assignment then checking the length or the
// precision (an explicit cast to varchar(n) would cut a longer text silently).
std::string shadow_value(const std::string& expression, const std::string& type);

// Rollback: DROP COLUMN IF EXISTS the shadow, which drops its indexes and constraints too.
std::vector<Step> drop_shadow_column(const ChangeContext& context, const std::string& table,
                                     const std::string& column);

}  // namespace cutover::change
