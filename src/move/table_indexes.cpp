// Which post-data entries of a schema dump belong to one table and need only its rows.
#include "move/table_indexes.h"

#include <optional>
#include <sstream>

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

}  // namespace

TableIndexPlan::TableIndexPlan(const std::string& listing, db::Connection& source) {
  // The indexes and the key and exclusion constraints of plain tables and partitions (not of
  // partitioned tables: theirs need every partition's), by catalog and oid.
  std::map<std::string, std::string> owner_table;
  for (const auto& row : source
                             .query(R"(
      SELECT 'pg_class', i.indexrelid, quote_ident(n.nspname) || '.' || quote_ident(t.relname)
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.relkind = 'r'
      UNION ALL
      SELECT 'pg_constraint', c.oid, quote_ident(n.nspname) || '.' || quote_ident(t.relname)
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE t.relkind = 'r' AND c.contype IN ('p', 'u', 'x'))")
                             .rows) {
    std::string catalog = row[0].text() == "pg_class" ? "1259" : "2606";
    owner_table[catalog + " " + row[1].text()] = row[2].text();
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
    }
  }
}

std::string TableIndexPlan::listing_of(const std::string& table) const {
  std::string out;
  for (const auto& [line, owner] : table_of_line_) {
    if (owner == table) out += lines_[line] + "\n";
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
