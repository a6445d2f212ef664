// Rewrites of statement text for MariaDB: cutover's $1..$n parameters into positional ?
// markers, and identifiers quoted the ANSI way into backticks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::db::mariadb {

struct PositionalSql {
  std::string sql;                      // the statement with every $n replaced by ?
  std::vector<std::size_t> bind_order;  // for each ?, in order, the 0-based index of its $n
  std::size_t highest = 0;              // the largest n used; 0 when the statement has none
};

// Replaces each $n outside quoted strings ('..', "..", `..`) and comments (-- , #, /* */) by ?,
// so that $2 may come before $1 and a parameter may repeat. A $ inside an identifier (col$1)
// is left alone. Throws Error(kOperationFailed, DbFailure::kStatement) for $0 and for a bare ?
// (MariaDB would read it as a marker of its own). Assumes backslash escapes in strings, the
// default sql_mode (NO_BACKSLASH_ESCAPES is not detected).
PositionalSql rewrite_placeholders(std::string_view sql);

// `sql`, written for sql_mode ANSI_QUOTES, with each "identifier" written `identifier`, so that
// it means the same under any sql_mode. For the bodies of triggers: MariaDB parses a body again
// whenever it loads the table's triggers, with the sql_mode saved with the trigger; yet on
// Galera (10.11.19), now and then, a client's write failed with "has an error in its body" at
// the first "identifier" of a body, as if parsed without ANSI_QUOTES (docs/change.md). Strings,
// backticked names and comments are kept as they are.
std::string backquote_identifiers(std::string_view sql);

}  // namespace cutover::db::mariadb
