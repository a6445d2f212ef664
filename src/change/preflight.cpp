// What `change start` checks on the server before its first step (PostgreSQL; on MariaDB the
// probes and the objects that depend on a dropped column).
#include "change/preflight.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "change/operations/column_copy.h"
#include "core/error.h"
#include "db/transaction.h"

namespace cutover::change {
namespace {

// The objects that depend on one column, as pg_describe_object() names them, that would stop
// complete from dropping it or vanish with it: views and materialized views (their rewrite
// rule stands for them), SQL-standard function bodies, triggers (column lists, WHEN), rules,
// policies, generated columns, extended statistics; with $4 false also the indexes and
// constraints that include other columns too. cutover's own triggers and functions do not
// count, nor an index or constraint of the column alone, which goes with it.
constexpr const char* kDependentsSql = R"sql(
SELECT DISTINCT CASE WHEN r.rulename = '_RETURN'
                     THEN pg_describe_object('pg_class'::regclass, r.ev_class, 0)
                     ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END AS dependent
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid
JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
                AND d.refobjsubid = a.attnum AND d.deptype IN ('n', 'a')
LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_index i ON d.classid = 'pg_class'::regclass AND i.indexrelid = d.objid
LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
LEFT JOIN pg_trigger g ON d.classid = 'pg_trigger'::regclass AND g.oid = d.objid
LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3
  AND NOT (d.classid = 'pg_class'::regclass AND d.objid = c.oid)
  AND d.classid NOT IN ('pg_type'::regclass, 'pg_attrdef'::regclass)
  AND NOT (d.classid = 'pg_class'::regclass
           AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S')
  AND coalesce(g.tgname, '') NOT LIKE '\_cutover%'
  AND coalesce(p.proname, '') NOT LIKE '\_cutover%'
  AND NOT (i.indexrelid IS NOT NULL
           AND ($4::boolean OR (i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL)))
  AND NOT (k.oid IS NOT NULL AND k.conrelid = c.oid
           AND ($4::boolean OR cardinality(k.conkey) = 1))
ORDER BY 1
)sql";

// The table's kind and, for a partition, its partitioned table.
constexpr const char* kPartitionSql = R"sql(
SELECT c.relkind::text, coalesce((SELECT p.relname FROM pg_inherits h
                                  JOIN pg_class p ON p.oid = h.inhparent
                                  WHERE h.inhrelid = c.oid AND c.relispartition), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2
)sql";

void check_not_partition(db::Connection& connection, const ChangeContext& context,
                         const std::string& where, const std::string& table) {
  const db::Result found = connection.query(kPartitionSql, {context.base_schema, table});
  if (found.empty() || found.rows[0][1].text().empty()) return;
  const std::string parent = found.rows[0][1].text();
  throw_bad_input(
      fmt::format("{}: {} is a partition of {}; PostgreSQL changes a partition's columns only "
                  "through its partitioned table",
                  where, table, parent),
      fmt::format("name the partitioned table {} instead: the change then applies to every "
                  "partition",
                  parent));
}

void check_not_partitioned(db::Connection& connection, const ChangeContext& context,
                           const std::string& where, const std::string& table) {
  const db::Result found = connection.query(kPartitionSql, {context.base_schema, table});
  if (found.empty() || found.rows[0][0].text() != "p") return;
  throw_bad_input(
      fmt::format("{}: {} is a partitioned table, where PostgreSQL cannot build an index "
                  "concurrently nor add a NOT VALID foreign key: the step would lock every "
                  "partition while it scans them",
                  where, table),
      "do it on each partition (create_index per partition), or with a migration in a "
      "maintenance window (cutover migrate)");
}

[[noreturn]] void refuse_dependents(const std::string& where, const DroppedColumn& dropped,
                                    const std::vector<std::string>& dependents) {
  throw_bad_input(
      fmt::format("{}: complete would drop {}.{}, which {} depend{} on: {}", where, dropped.table,
                  dropped.column, dependents.size() == 1 ? "this object" : "these objects",
                  dependents.size() == 1 ? "s" : "", fmt::join(dependents, ", ")),
      "drop or change them first so that they no longer use the column (with a migration, "
      "cutover migrate), then start the change; nothing has been changed");
}

void check_no_dependents(db::Connection& connection, const ChangeContext& context,
                         const std::string& where, const DroppedColumn& dropped) {
  const db::Result found =
      connection.query(kDependentsSql, {context.base_schema, dropped.table, dropped.column,
                                        dropped.rebuilds_indexes_and_constraints ? "true" : "false"});
  if (found.empty()) return;
  std::vector<std::string> dependents;
  for (const db::Row& row : found.rows) dependents.push_back(row[0].text());
  refuse_dependents(where, dropped, dependents);
}

// MariaDB has no pg_depend: the triggers (the application's), generated columns and checks
// whose text names the column, found by the names in that text.
void check_no_mariadb_dependents(db::Connection& connection, const ChangeContext& context,
                                 const std::string& where, const DroppedColumn& dropped) {
  const auto names = [&](std::string text, const std::string& name) {
    std::replace(text.begin(), text.end(), '`', '"');
    return mentions_column(text, name);
  };
  std::vector<std::string> dependents;
  const db::Result triggers = connection.query(
      "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT FROM information_schema.TRIGGERS "
      "WHERE EVENT_OBJECT_SCHEMA = $1 AND TRIGGER_NAME NOT LIKE '\\_cutover\\_%' "
      "ORDER BY TRIGGER_NAME",
      {context.base_schema});
  for (const db::Row& row : triggers.rows) {
    const std::string body = row[2].text();
    const bool own_table = row[1].text() == dropped.table;
    if (names(body, dropped.column) && (own_table || names(body, dropped.table))) {
      dependents.push_back(fmt::format("trigger {} on {}", row[0].text(), row[1].text()));
    }
  }
  const db::Result generated = connection.query(
      "SELECT COLUMN_NAME, GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE "
      "TABLE_SCHEMA = $1 AND TABLE_NAME = $2 AND GENERATION_EXPRESSION IS NOT NULL "
      "ORDER BY COLUMN_NAME",
      {context.base_schema, dropped.table});
  for (const db::Row& row : generated.rows) {
    if (names(row[1].text(), dropped.column)) {
      dependents.push_back(fmt::format("generated column {}.{}", dropped.table, row[0].text()));
    }
  }
  if (const db::TableInfo* table = context.catalog->find_table(dropped.table)) {
    for (const auto& check : table->checks) {
      if (names(check.expression, dropped.column)) {
        dependents.push_back(fmt::format("check {} of {}", check.name, dropped.table));
      }
    }
  }
  if (!dependents.empty()) refuse_dependents(where, dropped, dependents);
}

// Whether the server refused the probe for what it says (a syntax error, an unknown type,
// column or function, a type mismatch), not for a failure of its own.
// SQLSTATE read_only_sql_transaction.
constexpr const char* kReadOnlyTransaction = "25006";

bool refuses_input(const Error& error) {
  const std::string& state = error.sqlstate();
  return state.starts_with("42") || state.starts_with("22") || state.starts_with("0A");
}

// The server's own refusal of a probe, as bad input naming the operation, with the server's
// hint when it gave one (a sandbox check gives cutover's own).
Error refused(const Error& e, const std::string& where, const char* server) {
  return e.restated(ErrorCode::kBadInput, fmt::format("{}: {}", where, e.message()),
                    e.hint().empty()
                        ? fmt::format("fix the operation: {} refuses it as written; nothing has "
                                      "been changed",
                                      server)
                        : e.hint() + "; nothing has been changed");
}

// MariaDB: each probe on its own (no transaction: the type probes create temporary tables,
// which neither commit nor reach the other nodes of a Galera cluster).
void run_mariadb_probes(db::Connection& connection, const std::string& where,
                        const std::vector<std::string>& probes, const db::LockRetryPolicy& retry) {
  for (const std::string& probe : probes) {
    db::retry_lock_conflicts(connection.server().flavor, retry, [&] {
      try {
        connection.execute(probe);
      } catch (const Error& e) {
        if (!refuses_input(e)) throw;
        throw refused(e, where, "MariaDB");
      }
      if (probe.starts_with("CREATE TEMPORARY TABLE")) {
        connection.execute("DROP TEMPORARY TABLE IF EXISTS \"_cutover_probe\"");
      }
    });
  }
}

void run_probes(db::Connection& connection, const std::string& where,
                const std::vector<std::string>& probes, const db::LockRetryPolicy& retry) {
  if (probes.empty()) return;
  if (connection.server().flavor == db::Flavor::kMariaDb) {
    run_mariadb_probes(connection, where, probes, retry);
    return;
  }
  db::retry_lock_conflicts(connection.server().flavor, retry, [&] {
    db::Transaction transaction(connection);
    connection.execute("SET TRANSACTION READ ONLY");
    connection.query("SELECT set_config('lock_timeout', $1, true)",
                     {fmt::format("{}ms", retry.lock_timeout.count())});
    for (const std::string& probe : probes) {
      connection.execute("SAVEPOINT _cutover_probe");
      try {
        connection.query(probe);
      } catch (const Error& e) {
        // An expression that writes (nextval()) cannot be tried in a read-only transaction:
        // left for its step to run.
        if (e.sqlstate() == kReadOnlyTransaction) {
          connection.execute("ROLLBACK TO SAVEPOINT _cutover_probe");
          continue;
        }
        if (!refuses_input(e)) throw;
        throw refused(e, where, "PostgreSQL");
      }
    }
  });
}

// The sandbox statements in a transaction rolled back whatever happens: the temporary table
// and anything made on it are gone with it. Returns false when they could not run.
bool run_sandbox(db::Connection& connection, const ChangeContext& context, const std::string& where,
                 const Preflight& preflight, const db::LockRetryPolicy& retry) {
  if (preflight.sandbox.empty()) return true;
  // A user who may not create temporary tables (REVOKE TEMP ... FROM PUBLIC) goes without these
  // checks: the step itself then says what the server refuses.
  if (connection
          .query("SELECT CASE WHEN has_database_privilege(current_database(), 'TEMP') THEN 1 "
                 "ELSE 0 END")
          .scalar()
          .as_int() == 0) {
    return false;
  }
  db::retry_lock_conflicts(connection.server().flavor, retry, [&] {
    db::Transaction transaction(connection);
    connection.query("SELECT set_config('lock_timeout', $1, true)",
                     {fmt::format("{}ms", retry.lock_timeout.count())});
    connection.execute(fmt::format("CREATE TEMP TABLE {} (LIKE {})", kSandboxTable,
                                   context.table(preflight.sandbox_table)));
    for (const std::string& statement : preflight.sandbox) {
      try {
        connection.execute(statement);
      } catch (const Error& e) {
        if (!refuses_input(e)) throw;
        throw refused(e, where, "PostgreSQL");
      }
    }
  });
  return true;
}

}  // namespace

std::vector<std::string> run_preflight(db::Connection& connection, const ChangeContext& context,
                                       const std::vector<std::pair<std::string, Preflight>>& checks,
                                       const db::LockRetryPolicy& retry) {
  std::vector<std::string> skipped;
  if (context.flavor == db::Flavor::kMariaDb) {
    for (const auto& [where, preflight] : checks) {
      for (const auto& dropped : preflight.dropped_columns) {
        check_no_mariadb_dependents(connection, context, where, dropped);
      }
      run_probes(connection, where, preflight.probes, retry);
    }
  }
  if (context.flavor != db::Flavor::kPostgres) return skipped;
  for (const auto& [where, preflight] : checks) {
    for (const auto& table : preflight.column_tables) {
      check_not_partition(connection, context, where, table);
    }
    for (const auto& table : preflight.whole_tables) {
      check_not_partitioned(connection, context, where, table);
    }
    for (const auto& dropped : preflight.dropped_columns) {
      check_no_dependents(connection, context, where, dropped);
    }
    run_probes(connection, where, preflight.probes, retry);
    if (!run_sandbox(connection, context, where, preflight, retry)) skipped.push_back(where);
  }
  return skipped;
}

std::string castable_type(std::string_view type) {
  // serial and its kin are shorthands of CREATE TABLE and ADD COLUMN, not types.
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "serial" || lower == "serial4") return "integer";
  if (lower == "bigserial" || lower == "serial8") return "bigint";
  if (lower == "smallserial" || lower == "serial2") return "smallint";
  return std::string(type);
}

std::string probe_type(std::string_view type) {
  return fmt::format("SELECT CAST(NULL AS {})", castable_type(type));
}

std::string probe_mariadb_type(std::string_view type) {
  return fmt::format("CREATE TEMPORARY TABLE \"_cutover_probe\" (c {})", type);
}

std::string probe_expression(const ChangeContext& context, const std::string& table,
                             const std::string& expression) {
  // The row is `new`, as in the trigger and in the backfill's UPDATE.
  return fmt::format("SELECT ({}) FROM {} AS new WHERE false", expression, context.table(table));
}

}  // namespace cutover::change
