// Reading a PostgreSQL schema from the system catalogs into a db::Catalog.
#include "db/postgres/pg_introspect.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "db/transaction.h"

namespace cutover::db::pg {
namespace {

// One row whatever happens: the schema's name (NULL when there is no current schema), its oid
// (NULL when it does not exist) and the size of the database.
constexpr const char* kSchemaQuery = R"sql(
select s.name, n.oid, pg_database_size(current_database())
from (select coalesce($1, current_schema()) as name) s
left join pg_namespace n on n.nspname = s.name)sql";

// Tables, partitioned tables (their size and row estimate summed over their leaf partitions),
// views, materialized views and sequences. reltuples is -1 until the table is first vacuumed or
// analyzed.
constexpr const char* kRelationsQuery = R"sql(
select c.oid, c.relname, c.relkind,
       case c.relkind when 'r' then pg_total_relation_size(c.oid)
                      when 'p' then coalesce(tree.size_bytes, 0) end,
       case c.relkind when 'r' then case when c.reltuples < 0 then -1 else c.reltuples::bigint end
                      when 'p' then coalesce(tree.row_estimate, 0) end,
       case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end
from pg_class c
left join lateral (
  select sum(pg_total_relation_size(leaf.oid))::bigint as size_bytes,
         case when bool_or(leaf.reltuples < 0) then -1
              else sum(leaf.reltuples)::bigint end as row_estimate
  from pg_partition_tree(case when c.relkind = 'p' then c.oid end) t
  join pg_class leaf on leaf.oid = t.relid
  where t.isleaf) tree on true
where c.relnamespace = $1 and c.relkind in ('r', 'p', 'v', 'm', 'S')
order by c.relname collate "C")sql";

constexpr const char* kColumnsQuery = R"sql(
select a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
       pg_get_expr(d.adbin, d.adrelid), a.attnotnull, a.attnum
from pg_attribute a
join pg_class c on c.oid = a.attrelid
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where c.relnamespace = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum)sql";

// Primary, unique, foreign-key and check constraints, one row per key column (one row for a
// check), columns in key order.
constexpr const char* kConstraintsQuery = R"sql(
select con.conrelid, con.conname, con.contype, col.attname, ref_col.attname,
       ref.relname, ref_ns.nspname, con.confupdtype, con.confdeltype,
       case con.contype when 'c' then pg_get_constraintdef(con.oid, true) end,
       case when original_table.relnamespace = $1 then original_table.relname
            else original_ns.nspname || '.' || original_table.relname end,
       coalesce(original.conname, '')
from pg_constraint con
join pg_class c on c.oid = con.conrelid
left join lateral unnest(case when con.contype <> 'c' then con.conkey end, con.confkey)
    with ordinality as k(attnum, ref_attnum, position) on true
left join pg_attribute col on col.attrelid = con.conrelid and col.attnum = k.attnum
left join pg_attribute ref_col on ref_col.attrelid = con.confrelid and ref_col.attnum = k.ref_attnum
left join pg_class ref on ref.oid = con.confrelid
left join pg_namespace ref_ns on ref_ns.oid = ref.relnamespace
left join lateral (
    select p.conname, p.conrelid from pg_constraint p where p.oid = con.conparentid
    union all  -- an inherited check has no conparentid: its original is its table's parent's
    select con.conname, i.inhparent from pg_inherits i
    where con.conparentid = 0 and con.coninhcount > 0 and i.inhrelid = con.conrelid
    limit 1) original on true
left join pg_class original_table on original_table.oid = original.conrelid
left join pg_namespace original_ns on original_ns.oid = original_table.relnamespace
where c.relnamespace = $1 and c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'f', 'c')
order by con.conrelid, con.conname collate "C", k.position)sql";

// Every index, one row per key column (INCLUDE columns left out); an expression column
// appears as its text.
constexpr const char* kIndexesQuery = R"sql(
select i.indrelid, ic.relname, i.indisunique, i.indisprimary, i.indisvalid,
       case when k.attnum = 0 then pg_get_indexdef(i.indexrelid, k.position::int, true)
            else col.attname end,
       pg_get_indexdef(i.indexrelid),
       (select case when parent.relnamespace = $1 then parent.relname
                    else parent.relnamespace::regnamespace::text || '.' || parent.relname end
        from pg_inherits h join pg_class parent on parent.oid = h.inhparent
        where h.inhrelid = i.indexrelid)
from pg_index i
join pg_class c on c.oid = i.indrelid
join pg_class ic on ic.oid = i.indexrelid
cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, position)
left join pg_attribute col on col.attrelid = i.indrelid and col.attnum = k.attnum
where c.relnamespace = $1 and c.relkind in ('r', 'p') and k.position <= i.indnkeyatts
order by i.indrelid, ic.relname collate "C", k.position)sql";

constexpr const char* kTriggersQuery = R"sql(
select t.tgrelid, t.tgname, t.tgtype
from pg_trigger t
join pg_class c on c.oid = t.tgrelid
where c.relnamespace = $1 and c.relkind in ('r', 'p') and not t.tgisinternal
order by t.tgrelid, t.tgname collate "C")sql";

bool is_true(const Value& value) { return value.text() == "t"; }

std::string action_name(const std::string& code) {
  switch (code.empty() ? 'a' : code.front()) {
    case 'r':
      return "RESTRICT";
    case 'c':
      return "CASCADE";
    case 'n':
      return "SET NULL";
    case 'd':
      return "SET DEFAULT";
    default:
      return "NO ACTION";
  }
}

// pg_trigger.tgtype bits, from PostgreSQL's catalog/pg_trigger.h.
constexpr std::int64_t kTriggerBefore = 1 << 1;
constexpr std::int64_t kTriggerInsert = 1 << 2;
constexpr std::int64_t kTriggerDelete = 1 << 3;
constexpr std::int64_t kTriggerUpdate = 1 << 4;
constexpr std::int64_t kTriggerTruncate = 1 << 5;
constexpr std::int64_t kTriggerInstead = 1 << 6;

TriggerInfo trigger_info(std::string name, std::int64_t type) {
  TriggerInfo trigger;
  trigger.name = std::move(name);
  trigger.timing = (type & kTriggerInstead)  ? "INSTEAD OF"
                   : (type & kTriggerBefore) ? "BEFORE"
                                             : "AFTER";
  for (auto [bit, event] :
       {std::pair{kTriggerInsert, "INSERT"}, std::pair{kTriggerUpdate, "UPDATE"},
        std::pair{kTriggerDelete, "DELETE"}, std::pair{kTriggerTruncate, "TRUNCATE"}}) {
    if (!(type & bit)) continue;
    if (!trigger.events.empty()) trigger.events += " OR ";
    trigger.events += event;
  }
  return trigger;
}

// Collects the rows of the per-table queries into the tables they belong to (by oid).
class CatalogBuilder {
 public:
  CatalogBuilder(Connection& session, std::string schema_name, std::string schema_oid)
      : session_(session),
        schema_name_(std::move(schema_name)),
        schema_oid_(std::move(schema_oid)) {}

  void add_relations() {
    for (const Row& row : query(kRelationsQuery)) {
      std::string name = row[1].text();
      switch (row[2].text().front()) {
        case 'r':
        case 'p': {
          tables_by_oid_[row[0].text()] = catalog_.tables.size();
          TableInfo& table = catalog_.tables.emplace_back();
          table.schema = schema_name_;
          table.name = std::move(name);
          table.size_bytes = row[3].as_int();
          table.row_estimate = row[4].as_int();
          break;
        }
        case 'v':
        case 'm':
          catalog_.views.push_back(
              {schema_name_, std::move(name), row[5].text(), row[2].text() == "m"});
          break;
        case 'S':
          catalog_.sequences.push_back({schema_name_, std::move(name)});
          break;
      }
    }
  }

  void add_columns() {
    for (const Row& row : query(kColumnsQuery)) {
      ColumnInfo column;
      column.name = row[1].text();
      column.type = row[2].text();
      column.default_expr = row[3].as_optional_text();
      column.nullable = !is_true(row[4]);
      column.ordinal = static_cast<int>(row[5].as_int());
      table(row[0]).columns.push_back(std::move(column));
    }
  }

  void add_constraints() {
    std::string last_key;
    for (const Row& row : query(kConstraintsQuery)) {
      std::string key = row[0].text() + '\0' + row[1].text();
      bool first_row = key != last_key;
      last_key = std::move(key);
      TableInfo& owner = table(row[0]);
      switch (row[2].text().front()) {
        case 'p':
          if (first_row) owner.primary_key = KeyInfo{row[1].text(), {}, origin(row)};
          owner.primary_key->columns.push_back(row[3].text());
          break;
        case 'u':
          if (first_row) owner.unique_keys.push_back({row[1].text(), {}, origin(row)});
          owner.unique_keys.back().columns.push_back(row[3].text());
          break;
        case 'f':
          if (first_row) owner.foreign_keys.push_back(foreign_key(row));
          owner.foreign_keys.back().columns.push_back(row[3].text());
          owner.foreign_keys.back().ref_columns.push_back(row[4].text());
          break;
        case 'c':
          owner.checks.push_back({row[1].text(), row[9].text(), origin(row)});
          break;
      }
    }
  }

  void add_indexes() {
    std::string last_key;
    for (const Row& row : query(kIndexesQuery)) {
      std::string key = row[0].text() + '\0' + row[1].text();
      TableInfo& owner = table(row[0]);
      if (key != last_key) {
        IndexInfo index;
        index.name = row[1].text();
        index.unique = is_true(row[2]);
        index.primary = is_true(row[3]);
        index.valid = is_true(row[4]);
        index.definition = row[6].text();
        if (!row[7].is_null()) index.copy_of = row[7].text();
        owner.indexes.push_back(std::move(index));
        last_key = std::move(key);
      }
      owner.indexes.back().columns.push_back(row[5].text());
    }
  }

  void add_triggers() {
    for (const Row& row : query(kTriggersQuery)) {
      table(row[0]).triggers.push_back(trigger_info(row[1].text(), row[2].as_int()));
    }
  }

  Catalog take() { return std::move(catalog_); }

 private:
  std::vector<Row> query(const char* sql) { return session_.query(sql, {schema_oid_}).rows; }

  TableInfo& table(const Value& oid) { return catalog_.tables.at(tables_by_oid_.at(oid.text())); }

  ForeignKeyInfo foreign_key(const Row& row) const {
    ForeignKeyInfo key;
    key.name = row[1].text();
    std::string ref_schema = row[6].text();
    key.ref_table = ref_schema == schema_name_ ? row[5].text() : ref_schema + "." + row[5].text();
    key.on_update = action_name(row[7].text());
    key.on_delete = action_name(row[8].text());
    key.copy_of = origin(row);
    return key;
  }

  // (row[10] is NULL for a constraint that is no copy.)
  static ConstraintOrigin origin(const Row& row) {
    return {row[10].is_null() ? std::string() : row[10].text(), row[11].text()};
  }

  Connection& session_;
  std::string schema_name_;
  std::string schema_oid_;
  Catalog catalog_;
  std::unordered_map<std::string, size_t> tables_by_oid_;
};

}  // namespace

Catalog introspect_schema(Connection& session, std::string_view schema) {
  // One snapshot for all the queries below: a table created between two of them (another
  // instance creating its tables) gave rows of a table the first had not listed, and an
  // internal error. Within the caller's transaction, the caller's isolation holds.
  std::optional<Transaction> snapshot;
  if (!session.in_transaction()) {
    snapshot.emplace(session);
    session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  }
  Value requested = schema.empty() ? Value() : Value(std::string(schema));
  Result found = session.query(kSchemaQuery, {requested});
  const Row& row = found.rows.at(0);
  if (row[0].is_null()) {
    throw Error(ErrorCode::kBadInput,
                "no current schema: the search_path of " + session.redacted_url() +
                    " names no existing schema",
                "name the schema to read, or fix search_path");
  }
  if (row[1].is_null()) {
    throw Error(ErrorCode::kBadInput,
                "schema \"" + row[0].text() + "\" does not exist in database \"" +
                    session.server().database + "\"",
                "check the schema name (psql: \\dn lists the schemas)");
  }

  CatalogBuilder builder(session, row[0].text(), row[1].text());
  builder.add_relations();
  builder.add_columns();
  builder.add_constraints();
  builder.add_indexes();
  builder.add_triggers();
  Catalog catalog = builder.take();
  catalog.size_bytes = row[2].as_int();
  if (snapshot) snapshot->commit();
  return catalog;
}

}  // namespace cutover::db::pg
