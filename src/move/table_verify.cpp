// Verifying a move: row counts, order-independent row checksums, sequences, materialized views.
#include "move/table_verify.h"

#include <fmt/format.h>

#include "core/error.h"

namespace cutover::move {

void prepare_row_text_session(db::Connection& database) {
  for (const char* setting :
       {"SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'",
        "SET extra_float_digits = 1", "SET bytea_output = 'hex'", "SET lc_monetary = 'C'"}) {
    database.execute(setting);
  }
}

void prepare_checksum_session(db::Connection& database) {
  prepare_row_text_session(database);
  database.execute("SET search_path = pg_catalog");
}

TableSum table_sum(db::Connection& database, const std::string& table) {
  // A 64-bit hash of each row's text, summed as numeric: a checksum that no row order changes
  // and that a missing, extra or altered row changes. hashtextextended (the hash of hash
  // partitioning, stable across versions) costs a third of md5's time; it differs between
  // little- and big-endian servers, where a verification fails rather than passes.
  auto row = database
                 .query(fmt::format("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), "
                                    "0)::text FROM ONLY {} AS t",
                                    table))
                 .rows.at(0);
  return {row[0].as_int(), row[1].text()};
}

std::vector<std::pair<std::string, std::string>> sequence_states(db::Connection& database) {
  std::vector<std::pair<std::string, std::string>> out;
  auto names = database.query(R"(
      SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname !~ '^pg_(toast|temp_)'
      ORDER BY 1)");
  for (const auto& row : names.rows) {
    auto state =
        database.query("SELECT last_value::text || ',' || is_called::text FROM " + row[0].text());
    out.emplace_back(row[0].text(), state.scalar().text());
  }
  return out;
}

void set_sequences(db::Connection& target,
                   const std::vector<std::pair<std::string, std::string>>& states) {
  for (const auto& [name, state] : states) {
    auto comma = state.find(',');
    target.execute(fmt::format("SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)"),
                   {name, state.substr(0, comma), state.substr(comma + 1)});
  }
}

void refresh_materialized_views(db::Connection& source, db::Connection& target) {
  std::vector<std::string> pending;
  for (const auto& row : source
                             .query(R"(
      SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'm' AND c.relispopulated ORDER BY c.oid)")
                             .rows) {
    pending.push_back(row[0].text());
  }
  // A view that reads another unpopulated one fails until that one is refreshed: go round
  // until a round refreshes nothing more.
  while (!pending.empty()) {
    std::vector<std::string> failed;
    std::optional<Error> last;
    for (const auto& view : pending) {
      try {
        target.execute("REFRESH MATERIALIZED VIEW " + view);
      } catch (const Error& e) {
        failed.push_back(view);
        last = e.with_context("refreshing materialized view " + view);
      }
    }
    if (failed.size() == pending.size()) throw *last;
    pending = failed;
  }
}

}  // namespace cutover::move
