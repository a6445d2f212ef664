// The write freeze of a PostgreSQL source database by privileges: revoke, record, restore.
#include "move/privilege_freeze.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "db/transaction.h"

namespace cutover::move {
namespace {

// Every write privilege of the user's relations: tables (and views, foreign tables) and
// sequences from their ACL or its default, columns from theirs; but a superuser's, which a
// revoke does not stop (create names superusers as unfrozen) and which, revoked from the owner
// of a relation with the default ACL, would leave an explicit ACL behind after the restore.
constexpr const char* kWriteGrants = R"(
  WITH rel AS (
    SELECT c.oid, c.relkind, c.relowner, c.relacl,
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'f', 'S')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp_)'),
  grants AS (
    SELECT r.object, CASE WHEN r.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
           '' AS column_name, r.relowner, a.grantor, a.grantee, a.privilege_type, a.is_grantable
    FROM rel r, aclexplode(coalesce(r.relacl, acldefault(
        CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END::"char", r.relowner))) a
    WHERE (r.relkind <> 'S' AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'))
       OR (r.relkind = 'S' AND a.privilege_type IN ('USAGE', 'UPDATE'))
    UNION ALL
    SELECT r.object, 'TABLE', quote_ident(att.attname), r.relowner, a.grantor, a.grantee,
           a.privilege_type, a.is_grantable
    FROM rel r JOIN pg_attribute att ON att.attrelid = r.oid
      AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL,
      aclexplode(att.attacl) a
    WHERE a.privilege_type IN ('INSERT', 'UPDATE'))
  SELECT object, kind, column_name, quote_ident(pg_get_userbyid(relowner)),
         quote_ident(pg_get_userbyid(grantor)),
         CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END,
         privilege_type, is_grantable
  FROM grants
  WHERE grantee = 0 OR NOT (SELECT rolsuper FROM pg_roles WHERE oid = grantee))";

std::string target_of(const WriteGrant& g) {
  std::string column = g.column.empty() ? "" : " (" + g.column + ")";
  return fmt::format("{}{} ON {} {}", g.privilege, column, g.kind, g.object);
}

// Runs `statement` as the grant's grantor when it is not the owner: a superuser's GRANT and
// REVOKE act as the owner, so only the grantor can touch what it granted.
void run_as_grantor(db::Connection& database, const WriteGrant& g, const std::string& statement) {
  bool other = g.grantor != g.owner;
  if (other) database.execute("SET LOCAL ROLE " + g.grantor);
  database.execute(statement);
  if (other) database.execute("RESET ROLE");
}

std::string describe(const WriteGrant& g) {
  return fmt::format("{} to {} (granted by {})", target_of(g), g.grantee, g.grantor);
}

}  // namespace

nlohmann::json FreezeRecord::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : grants) {
    out.push_back({{"object", g.object},
                   {"kind", g.kind},
                   {"column", g.column},
                   {"owner", g.owner},
                   {"grantor", g.grantor},
                   {"grantee", g.grantee},
                   {"privilege", g.privilege},
                   {"grantable", g.grantable}});
  }
  return out;
}

FreezeRecord FreezeRecord::from_json(const nlohmann::json& json) {
  FreezeRecord record;
  try {
    for (const auto& j : json) {
      record.grants.push_back({j.at("object"), j.at("kind"), j.at("column"), j.at("owner"),
                               j.at("grantor"), j.at("grantee"), j.at("privilege"),
                               j.at("grantable")});
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kOperationFailed,
                std::string("the recorded freeze in the state store is malformed: ") + e.what());
  }
  return record;
}

std::vector<WriteGrant> read_write_grants(db::Connection& database) {
  std::vector<WriteGrant> grants;
  for (const auto& row : database.query(kWriteGrants).rows) {
    grants.push_back({row[0].text(), row[1].text(), row[2].text(), row[3].text(), row[4].text(),
                      row[5].text(), row[6].text(),
                      row[7].text() == "t" || row[7].text() == "true"});
  }
  std::sort(grants.begin(), grants.end());
  return grants;
}

void revoke_writes(db::Connection& database, const FreezeRecord& record) {
  db::Transaction transaction(database);
  // Dependent grants (made with a grant option) first, so no REVOKE needs CASCADE.
  std::vector<WriteGrant> order = record.grants;
  std::stable_partition(order.begin(), order.end(),
                        [](const WriteGrant& g) { return g.grantor != g.owner; });
  for (const auto& g : order) {
    run_as_grantor(database, g, fmt::format("REVOKE {} FROM {} CASCADE", target_of(g), g.grantee));
  }
  transaction.commit();
}

int restore_writes(db::Connection& database, const FreezeRecord& record) {
  std::set<WriteGrant> wanted(record.grants.begin(), record.grants.end());
  std::vector<WriteGrant> now = read_write_grants(database);
  std::set<WriteGrant> present(now.begin(), now.end());
  int granted = 0;
  db::Transaction transaction(database);
  // The owner's grants first: a grantor's own grant option comes from one of them.
  std::vector<WriteGrant> order(wanted.begin(), wanted.end());
  std::stable_partition(order.begin(), order.end(),
                        [](const WriteGrant& g) { return g.grantor == g.owner; });
  for (const auto& g : order) {
    if (present.count(g)) continue;
    run_as_grantor(database, g,
                   fmt::format("GRANT {} TO {}{}", target_of(g), g.grantee,
                               g.grantable ? " WITH GRANT OPTION" : ""));
    ++granted;
  }
  transaction.commit();
  std::vector<WriteGrant> after = read_write_grants(database);
  std::set<WriteGrant> result(after.begin(), after.end());
  for (const auto& g : wanted) {
    if (!result.count(g)) {
      throw Error(ErrorCode::kOperationFailed,
                  "the write privileges could not be restored exactly: missing " + describe(g),
                  "grant it by hand; cutover move status shows the recorded freeze");
    }
  }
  for (const auto& g : result) {
    if (!wanted.count(g)) {
      throw Error(ErrorCode::kOperationFailed,
                  "the write privileges were restored, and one more exists that the freeze did "
                  "not record (granted during the move?): " +
                      describe(g),
                  "revoke it by hand if it should not be there");
    }
  }
  return granted;
}

std::vector<std::string> remaining_writers(db::Connection& database, int limit) {
  std::vector<std::string> out;
  auto rows = database.query(
      R"(SELECT quote_ident(r.rolname) || ' on ' || quote_ident(n.nspname) || '.' ||
                quote_ident(c.relname)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN pg_roles r
         WHERE c.relkind IN ('r', 'p', 'v', 'f', 'S')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname !~ '^pg_(toast|temp_)'
           AND NOT r.rolsuper AND r.rolname !~ '^pg_'
           AND CASE WHEN c.relkind = 'S'
                    THEN has_sequence_privilege(r.oid, c.oid, 'USAGE, UPDATE')
                    ELSE has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
                      OR has_any_column_privilege(r.oid, c.oid, 'INSERT, UPDATE') END
         ORDER BY 1 LIMIT $1)",
      {db::Value(static_cast<std::int64_t>(limit))});
  for (const auto& row : rows.rows) out.push_back(row[0].text());
  return out;
}

std::vector<std::string> unfreezable_roles(db::Connection& database,
                                           const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  for (const auto& row :
       database.query("SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolsuper ORDER BY 1")
           .rows) {
    if (std::find(allowed.begin(), allowed.end(), row[0].text()) == allowed.end()) {
      out.push_back(row[0].text());
    }
  }
  return out;
}

std::vector<std::string> superuser_definer_functions(db::Connection& database) {
  std::vector<std::string> out;
  for (const auto& row : database
                             .query(R"(
      SELECT p.oid::regprocedure::text || ' (' || r.rolname || ')'
      FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
      JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prosecdef AND r.rolsuper
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                        AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1)")
                             .rows) {
    out.push_back(row[0].text());
  }
  return out;
}

}  // namespace cutover::move
