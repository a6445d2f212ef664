// Which post-data entries of a schema dump belong to one table and need only its rows.
#include "move/table_indexes.h"

#include <optional>
#include <sstream>

#include "move/pg_facts.h"

namespace cutover::move {
namespace {

// A listing line: "3217; 1259 19528 INDEX public a_w postgres": the entry's id; the catalog
// (pg_class, pg_constraint) and oid of the object it made on the dumped database; its kind.
struct ListingEntry {
  std::string catalog_oid;  // "1259 19528"
  std::string kind_and_rest;
};

std::optional<ListingEntry> parse_entry(const std::string& line) {
  auto semicolon = line.find("; ");
  if (line.empty() || line[0] == ';' || semicolon == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(semicolon + 2));
  std::string catalog, oid;
  rest >> catalog >> oid;
  std::string kind;
  std::getline(rest >> std::ws, kind);
  return ListingEntry{catalog + " " + oid, kind};
}

// The indexes and the key and exclusion constraints of plain tables and partitions (not of
// partitioned tables: theirs need every partition's), by catalog and oid; for a key that
// ADD CONSTRAINT ... USING INDEX accepts (a valid b-tree unique index of plain columns in
// their default order, opclass and collation, without predicate, INCLUDE or NULLS NOT
// DISTINCT, not deferrable, not clustered on, not the replica identity), its index's
// definition and the statement that makes it the constraint; and the statements that give
// each and its index the source's comment, if any.
std::string own_entries_query() {
  return std::string(R"(
  SELECT 'pg_class', i.indexrelid, quote_ident(n.nspname) || '.' || quote_ident(t.relname),
         NULL, NULL, NULL,
         CASE WHEN obj_description(i.indexrelid, 'pg_class') IS NOT NULL
           THEN format('COMMENT ON INDEX %s IS %L', i.indexrelid::regclass,
                       obj_description(i.indexrelid, 'pg_class')) END
  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.relkind = 'r' AND )") +
         kUserNamespace + R"(
  UNION ALL
  SELECT 'pg_constraint', c.oid, quote_ident(n.nspname) || '.' || quote_ident(t.relname),
         k.index_definition, k.add_constraint,
         CASE WHEN obj_description(c.oid, 'pg_constraint') IS NOT NULL
           THEN format('COMMENT ON CONSTRAINT %I ON %s IS %L', c.conname, c.conrelid::regclass,
                       obj_description(c.oid, 'pg_constraint')) END,
         CASE WHEN obj_description(c.conindid, 'pg_class') IS NOT NULL
           THEN format('COMMENT ON INDEX %s IS %L', c.conindid::regclass,
                       obj_description(c.conindid, 'pg_class')) END
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN LATERAL (
    SELECT pg_get_indexdef(i.indexrelid) AS index_definition,
           format('ALTER TABLE ONLY %s ADD CONSTRAINT %I %s USING INDEX %I',
                  c.conrelid::regclass, c.conname,
                  CASE c.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
                  ic.relname) AS add_constraint
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    WHERE i.indexrelid = c.conindid AND c.contype IN ('p', 'u') AND NOT c.condeferrable
      AND am.amname = 'btree' AND i.indisvalid AND i.indexprs IS NULL AND i.indpred IS NULL
      AND i.indnkeyatts = i.indnatts AND NOT i.indisclustered AND NOT i.indisreplident
      AND NOT coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
      AND NOT EXISTS (
        SELECT FROM generate_subscripts(i.indkey, 1) s
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[s]
        JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum = s + 1
        JOIN pg_opclass o ON o.oid = i.indclass[s]
        WHERE i.indoption[s] <> 0 OR NOT o.opcdefault OR i.indcollation[s] <> a.attcollation
              OR ia.attoptions IS NOT NULL)) k ON true
  WHERE t.relkind = 'r' AND c.contype IN ('p', 'u', 'x') AND )" +
         kUserNamespace;
}

}  // namespace

TableIndexPlan::TableIndexPlan(const std::string& listing, db::Connection& source) {
  std::map<std::string, std::string> owner_table;
  std::map<std::string, KeyFromIndex> key_from_index;
  std::map<std::string, std::vector<std::string>> comments;  // by catalog and oid
  // Every name qualified, as pg_dump writes them, whatever the target session's search_path.
  source.begin();
  source.execute("SET LOCAL search_path = pg_catalog");
  auto entries = source.query(own_entries_query());
  source.commit();
  for (const auto& row : entries.rows) {
    std::string catalog = row[0].text() == "pg_class" ? "1259" : "2606";
    std::string key = catalog + " " + row[1].text();
    owner_table[key] = row[2].text();
    if (!row[3].is_null() && !row[4].is_null()) {
      key_from_index[key] = KeyFromIndex{row[3].text(), row[4].text()};
    }
    for (std::size_t i : {std::size_t{5}, std::size_t{6}}) {
      if (!row[i].is_null()) comments[key].push_back(row[i].text());
    }
  }
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    auto entry = parse_entry(line);
    lines_.push_back(line);
    if (!entry) continue;
    bool index = entry->catalog_oid.starts_with("1259 ") && entry->kind_and_rest.starts_with("INDEX ") &&
                 !entry->kind_and_rest.starts_with("INDEX ATTACH ");
    bool key = entry->catalog_oid.starts_with("2606 ") &&
               entry->kind_and_rest.starts_with("CONSTRAINT ");
    if (!index && !key) continue;
    if (auto owner = owner_table.find(entry->catalog_oid); owner != owner_table.end()) {
      table_of_line_[lines_.size() - 1] = owner->second;
      auto& own = comments_[owner->second];
      const auto& these = comments[entry->catalog_oid];
      own.insert(own.end(), these.begin(), these.end());
    }
    if (auto built = key_from_index.find(entry->catalog_oid);
        key && built != key_from_index.end()) {
      key_of_line_[lines_.size() - 1] = built->second;
    }
  }
}

std::string TableIndexPlan::listing_of(const std::string& table) const {
  std::string out;
  for (const auto& [line, owner] : table_of_line_) {
    if (owner == table && !key_of_line_.contains(line)) out += lines_[line] + "\n";
  }
  return out;
}

std::vector<std::string> TableIndexPlan::comments_of(const std::string& table) const {
  auto found = comments_.find(table);
  return found == comments_.end() ? std::vector<std::string>{} : found->second;
}

std::vector<KeyFromIndex> TableIndexPlan::keys_from_index(const std::string& table) const {
  std::vector<KeyFromIndex> out;
  for (const auto& [line, key] : key_of_line_) {
    if (table_of_line_.at(line) == table) out.push_back(key);
  }
  return out;
}

std::string TableIndexPlan::listing_without(const std::set<std::string>& built) const {
  std::string out;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    auto owner = table_of_line_.find(i);
    if (owner != table_of_line_.end() && built.contains(owner->second)) continue;
    out += lines_[i] + "\n";
  }
  return out;
}

}  // namespace cutover::move
