// Verifying a move: every table's row count and an order-independent checksum of its rows,
// computed on both servers, and every sequence's value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

struct TableSum {
  std::int64_t rows = 0;
  std::string checksum;  // the sum of a 64-bit hash of each row's text, as a decimal number

  bool operator==(const TableSum&) const = default;
  nlohmann::json to_json() const { return {{"rows", rows}, {"checksum", checksum}}; }
  static TableSum from_json(const nlohmann::json& j) {
    return {j.at("rows").get<std::int64_t>(), j.at("checksum").get<std::string>()};
  }
};

// Sets what a row's text depends on (time zone, date and interval styles, float digits, bytea
// and money output) to the same values on every session that writes or reads rows as text.
void prepare_row_text_session(db::Connection& database);

// The same, and names of types, relations and functions in values (regclass, ...) written
// qualified (search_path pg_catalog): for every session that computes checksums or reads rows
// for them, not for one that runs the user's code (a check constraint's function that relies on
// the search path).
void prepare_checksum_session(db::Connection& database);

// The count and checksum of `table` (quoted schema.name) on a session prepared as above.
TableSum table_sum(db::Connection& database, const std::string& table);

// Every sequence of the database with its state, as "schema.name" -> "last_value,is_called".
std::vector<std::pair<std::string, std::string>> sequence_states(db::Connection& database);

// Sets each sequence of `states` on the target to the source's state.
void set_sequences(db::Connection& target,
                   const std::vector<std::pair<std::string, std::string>>& states);

// Refreshes every materialized view that is populated on the source, those that read others
// after them. Throws Error naming the view when one cannot be refreshed.
void refresh_materialized_views(db::Connection& source, db::Connection& target);

}  // namespace cutover::move
