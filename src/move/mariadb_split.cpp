// Cutting a big MariaDB table into key ranges of about equal row counts.
#include "move/mariadb_split.h"

#include <fmt/format.h>

#include <optional>
#include <regex>

#include "core/error.h"

namespace cutover::move {
namespace {

struct SplitKey {
  std::string index;
  std::string column;
};

// The primary key, else a unique key of NOT NULL columns (InnoDB clusters the table by the
// first such), whose first column is an integer: a range on it reads one stretch of the
// index, and its values are literals that compare exactly (a string's order depends on a
// collation). A long UNIQUE (a hash) cannot read a range.
std::optional<SplitKey> split_key(db::Connection& source, const std::string& table) {
  auto rows = source.query(
      "SELECT s.index_name, s.column_name FROM information_schema.statistics s "
      "JOIN information_schema.columns c ON c.table_schema = s.table_schema "
      "AND c.table_name = s.table_name AND c.column_name = s.column_name "
      "WHERE s.table_schema = database() AND s.table_name = $1 AND s.non_unique = 0 "
      "AND s.seq_in_index = 1 AND s.index_type = 'BTREE' AND c.is_nullable = 'NO' "
      "AND c.data_type IN ('tinyint', 'smallint', 'mediumint', 'int', 'bigint') "
      "AND NOT EXISTS (SELECT 1 FROM information_schema.statistics n "
      "WHERE n.table_schema = s.table_schema AND n.table_name = s.table_name "
      "AND n.index_name = s.index_name AND n.nullable = 'YES') "
      "ORDER BY s.index_name <> 'PRIMARY', s.index_name LIMIT 1",
      {table});
  if (rows.rows.empty()) return std::nullopt;
  return SplitKey{rows.rows[0][0].text(), rows.rows[0][1].text()};
}

// A key value as a literal of the statements that read the parts.
std::string integer_literal(const db::Value& value) {
  static const std::regex kInteger("-?[0-9]+");
  if (value.is_null() || !std::regex_match(value.text(), kInteger)) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("a key value read back as {}, not an integer",
                            value.is_null() ? "NULL" : value.text()));
  }
  return value.text();
}

}  // namespace

MariadbKeyRanges mariadb_key_ranges(db::Connection& source, const MariadbTable& table,
                                    std::int64_t split_bytes) {
  MariadbKeyRanges ranges;
  if (split_bytes <= 0 || table.bytes <= split_bytes) return ranges;
  std::int64_t count = (table.bytes + split_bytes - 1) / split_bytes;
  std::int64_t rows_each = table.estimated_rows / count;
  if (rows_each < 1) return ranges;
  auto key = split_key(source, table.name);
  if (!key) return ranges;
  ranges.index = key->index;
  ranges.column = key->column;
  std::string column = source.quote_identifier(key->column);
  std::string from = fmt::format("{} FORCE INDEX ({})", source.quote_identifier(table.name),
                                 source.quote_identifier(key->index));
  // Boundaries at every rows_each-th key value, not at even steps between min and max: keys
  // are often skewed (a composite key led by a tenant, ids from several generators, gaps left
  // by deletes), and even steps would leave most rows to one part. The walk reads the index
  // once, each boundary's OFFSET starting at the last one (the copy that follows finds those
  // pages in the buffer pool); the estimated row count only makes the last part larger or
  // the parts fewer: together they still cover every row.
  std::vector<std::string> bounds;
  for (std::int64_t i = 1; i < count; ++i) {
    std::string after = bounds.empty() ? "" : fmt::format(" WHERE {} >= {}", column, bounds.back());
    auto next = source.query(fmt::format("SELECT {0} FROM {1}{2} ORDER BY {0} LIMIT 1 OFFSET {3}",
                                         column, from, after, rows_each));
    if (next.rows.empty()) break;
    std::string bound = integer_literal(next.rows[0][0]);
    if (!bounds.empty() && bound == bounds.back()) {
      // More than a part's rows share this value (a key of several columns): the next part
      // starts past it.
      next = source.query(
          fmt::format("SELECT MIN({0}) FROM {1} WHERE {0} > {2}", column, from, bound));
      if (next.rows.at(0)[0].is_null()) break;
      bound = integer_literal(next.rows[0][0]);
    }
    bounds.push_back(bound);
  }
  if (bounds.empty()) return ranges;
  ranges.where.push_back(fmt::format("{} < {}", column, bounds.front()));
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
    ranges.where.push_back(
        fmt::format("{0} >= {1} AND {0} < {2}", column, bounds[i], bounds[i + 1]));
  }
  ranges.where.push_back(fmt::format("{} >= {}", column, bounds.back()));
  return ranges;
}

}  // namespace cutover::move
