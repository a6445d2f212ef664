// Catalog queries of a move's preflight on PostgreSQL (sources and target).
#include "move/pg_facts.h"

#include <string>

namespace cutover::move {
namespace {

std::string q(const char* text) {
  std::string out = text;
  for (size_t at = out.find("$USER_NS"); at != std::string::npos; at = out.find("$USER_NS")) {
    out.replace(at, 8, kUserNamespace);
  }
  return out;
}

std::vector<std::string> column(db::Connection& c, const std::string& sql,
                                const db::Params& params = {}) {
  std::vector<std::string> values;
  for (const auto& row : c.query(sql, params).rows) {
    if (!row.at(0).is_null()) values.push_back(row.at(0).text());
  }
  return values;
}

std::set<std::string> column_set(db::Connection& c, const std::string& sql) {
  auto values = column(c, sql);
  return {values.begin(), values.end()};
}

}  // namespace

SourceFacts read_source_facts(db::Connection& source) {
  SourceFacts f;
  f.version_number = source.server().version_number;
  f.version = source.server().version;
  f.size_bytes = source.query("SELECT pg_database_size(current_database())").scalar().as_int();
  f.unreadable = column(source, q(R"(
      SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'S', 'm') AND $USER_NS
        AND (NOT has_schema_privilege(n.oid, 'USAGE') OR NOT has_table_privilege(c.oid, 'SELECT'))
      ORDER BY 1)"));
  f.extensions = column(source, "SELECT extname FROM pg_extension ORDER BY 1");
  f.collations = column(source, q(R"(
      WITH used AS (
        SELECT a.attcollation AS coll
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attnum > 0 AND NOT a.attisdropped AND $USER_NS
        UNION
        SELECT u.coll FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(i.indcollation::oid[]) AS u(coll)
        WHERE $USER_NS
        UNION
        SELECT t.typcollation FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE $USER_NS)
      SELECT DISTINCT co.collname FROM used JOIN pg_collation co ON co.oid = used.coll
      WHERE co.collnamespace = 'pg_catalog'::regnamespace AND co.collname <> 'default'
      ORDER BY 1)"));
  f.locales = column(source, R"(
      SELECT DISTINCT l FROM pg_database d, LATERAL (VALUES (d.datcollate), (d.datctype)) v(l)
      WHERE d.datname = current_database() ORDER BY 1)");
  f.owners = column(source, q(R"(
      WITH owners AS (
        SELECT datdba AS r FROM pg_database WHERE datname = current_database()
        UNION SELECT nspowner FROM pg_namespace n WHERE $USER_NS
        UNION SELECT relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE $USER_NS
        UNION SELECT proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE $USER_NS
        UNION SELECT typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE $USER_NS
        UNION SELECT evtowner FROM pg_event_trigger)
      SELECT DISTINCT r.rolname FROM owners o JOIN pg_roles r ON r.oid = o.r ORDER BY 1)"));
  f.named_roles = roles_the_schema_names(source);
  // A usable key: the primary key, or a unique index on plain NOT NULL columns without a
  // predicate. Tables that belong to an extension are its own business.
  f.tables_without_key = column(source, q(R"(
      SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND $USER_NS
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
        AND NOT EXISTS (
          SELECT 1 FROM pg_index i
          WHERE i.indrelid = c.oid AND i.indisvalid
            AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                 AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k
                                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k
                                 WHERE NOT a.attnotnull))))
      ORDER BY 1)"));
  return f;
}

std::vector<std::string> roles_the_schema_names(db::Connection& source) {
  // Grantees of privileges (PUBLIC is 0 and joins no role), policies' roles, the roles of
  // default privileges and their grantees.
  return column(source, q(R"(
      WITH named AS (
        SELECT a.grantee AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
              aclexplode(c.relacl) a WHERE $USER_NS
        UNION SELECT a.grantee FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(t.attacl) a
              WHERE $USER_NS
        UNION SELECT a.grantee FROM pg_namespace n, aclexplode(n.nspacl) a WHERE $USER_NS
        UNION SELECT a.grantee FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
              aclexplode(p.proacl) a WHERE $USER_NS
        UNION SELECT a.grantee FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace,
              aclexplode(t.typacl) a WHERE $USER_NS
        UNION SELECT a.grantee FROM pg_database d, aclexplode(d.datacl) a
              WHERE d.datname = current_database()
        UNION SELECT unnest(p.polroles) FROM pg_policy p
        UNION SELECT defaclrole FROM pg_default_acl
        UNION SELECT a.grantee FROM pg_default_acl d, aclexplode(d.defaclacl) a)
      SELECT DISTINCT r.rolname FROM named o JOIN pg_roles r ON r.oid = o.r ORDER BY 1)"));
}

std::int64_t large_object_count(db::Connection& source) {
  return source.query("SELECT count(*) FROM pg_largeobject_metadata").scalar().as_int();
}

TargetFacts read_target_facts(db::Connection& target) {
  TargetFacts f;
  f.version_number = target.server().version_number;
  f.version = target.server().version;
  auto can =
      target.query("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user");
  f.can_create_databases = !can.empty() && can.scalar().text() == "t";
  f.available_extensions = column_set(target, "SELECT name FROM pg_available_extensions");
  f.collations = column_set(
      target, "SELECT collname FROM pg_collation WHERE collnamespace = 'pg_catalog'::regnamespace");
  f.locales = column_set(target, R"(
      SELECT collcollate FROM pg_collation WHERE collcollate IS NOT NULL
      UNION SELECT datcollate FROM pg_database UNION SELECT datctype FROM pg_database
      UNION VALUES ('C'), ('POSIX'))");
  f.roles = column_set(target, "SELECT rolname FROM pg_roles");
  return f;
}

bool target_database_exists(db::Connection& target, const std::string& name) {
  return !target.query("SELECT 1 FROM pg_database WHERE datname = $1", {name}).empty();
}

DatabaseContents read_database_contents(db::Connection& database, int limit) {
  auto rows = database.query(q(R"(
      SELECT 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND $USER_NS
      UNION ALL
      SELECT 'function ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE $USER_NS
      UNION ALL
      SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE $USER_NS AND t.typtype IN ('e', 'd', 'r', 'm', 'b')
        AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
      UNION ALL
      SELECT 'schema ' || quote_ident(n.nspname) FROM pg_namespace n
      WHERE $USER_NS AND n.nspname <> 'public'
      UNION ALL
      SELECT 'extension ' || quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql')"));
  DatabaseContents contents;
  contents.count = static_cast<std::int64_t>(rows.rows.size());
  for (const auto& row : rows.rows) {
    if (static_cast<int>(contents.sample.size()) >= limit) break;
    contents.sample.push_back(row.at(0).text());
  }
  return contents;
}

}  // namespace cutover::move
