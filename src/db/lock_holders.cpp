// Who is likely to hold the locks a statement waited for in vain (db/lock_holders.h).
#include "db/lock_holders.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pg_query.h>

#include <cctype>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "core/error.h"

namespace cutover::db {
namespace {

constexpr int kMostSessions = 5;
// A statement shown is cut after about this many bytes.
constexpr std::size_t kStatementLength = 80;

// Only sessions whose role the connection may see have xact_start and query (others' need
// pg_read_all_stats): they are the ones named.
constexpr const char* kPostgresQuery = R"sql(
select a.pid, coalesce(a.usename, ''), coalesce(a.state, ''),
       extract(epoch from clock_timestamp() - a.xact_start)::float8, coalesce(a.query, ''),
       locked.tables, count(*) over ()
from pg_stat_activity a
join lateral (
    select string_agg(distinct c.relname, ', ' order by c.relname) as tables
    from pg_locks l join pg_class c on c.oid = l.relation
    where l.pid = a.pid and l.granted and l.locktype = 'relation' and c.relkind in ('r', 'p')
      and c.relnamespace <> 'pg_catalog'::regnamespace) locked on locked.tables is not null
where a.datname = current_database() and a.pid <> pg_backend_pid()
  and a.backend_type = 'client backend'
  and a.xact_start < clock_timestamp() - make_interval(secs => $1)
order by a.xact_start
limit $2)sql";

// trx_started is in whole seconds: a transaction up to a second younger than the lock timeout
// may be named too. No statement: MariaDB has no parser at hand here to hide its literals (a
// password in ALTER USER), and an idle session shows none anyway.
constexpr const char* kMariaDbQuery = R"sql(
select p.ID, coalesce(p.USER, ''), coalesce(p.COMMAND, ''), cast(t.trx_started as char),
       count(*) over ()
from information_schema.INNODB_TRX t
join information_schema.PROCESSLIST p on p.ID = t.trx_mysql_thread_id
where p.ID <> connection_id() and p.DB = database()
  and t.trx_started < now(6) - interval $1 microsecond
order by t.trx_started
limit $2)sql";

// `statement` with every constant replaced by $n (PostgreSQL's parser finds them, quoting of
// any kind included), its white space collapsed, cut short; nullopt when it does not parse
// (pg_stat_activity cuts long statements), so that no literal can show.
std::optional<std::string> without_constants(const std::string& statement) {
  PgQueryNormalizeResult result = pg_query_normalize(statement.c_str());
  const std::unique_ptr<PgQueryNormalizeResult, void (*)(PgQueryNormalizeResult*)> guard(
      &result, [](PgQueryNormalizeResult* r) { pg_query_free_normalize_result(*r); });
  if (result.error != nullptr || result.normalized_query == nullptr) return std::nullopt;
  std::string shown;
  for (const char* c = result.normalized_query; *c != '\0'; ++c) {
    const bool space = std::isspace(static_cast<unsigned char>(*c)) != 0;
    if (space && (shown.empty() || shown.back() == ' ')) continue;
    shown += space ? ' ' : *c;
  }
  while (!shown.empty() && shown.back() == ' ') shown.pop_back();
  if (shown.size() > kStatementLength) {
    std::size_t cut = kStatementLength;
    // Not inside a UTF-8 character.
    while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
    shown = shown.substr(0, cut) + "...";
  }
  return shown;
}

std::string describe_postgres(const Row& row) {
  std::optional<std::string> statement = without_constants(row[4].text());
  return fmt::format("pid {} (user {}, {}, transaction open for {:.1f} s, locks on {}{})",
                     row[0].text(), row[1].text(), row[2].text(), row[3].as_double(), row[5].text(),
                     statement && !statement->empty() ? ": " + *statement : "");
}

std::string describe_mariadb(const Row& row) {
  return fmt::format("connection {} (user {}, {}, transaction open since {})", row[0].text(),
                     row[1].text(), row[2].text(), row[3].text());
}

}  // namespace

std::string long_transactions(Connection& connection, std::chrono::milliseconds lock_timeout) {
  try {
    const Flavor flavor = connection.server().flavor;
    if (flavor == Flavor::kSqlite) return {};
    const Result result =
        flavor == Flavor::kPostgres
            ? connection.query(kPostgresQuery, {static_cast<double>(lock_timeout.count()) / 1000.0,
                                                std::int64_t{kMostSessions}})
            : connection.query(kMariaDbQuery, {std::int64_t{lock_timeout.count() * 1000},
                                               std::int64_t{kMostSessions}});
    if (result.empty()) return {};
    std::vector<std::string> sessions;
    for (const auto& row : result.rows) {
      sessions.push_back(flavor == Flavor::kPostgres ? describe_postgres(row)
                                                     : describe_mariadb(row));
    }
    const std::int64_t all = result.rows[0][flavor == Flavor::kPostgres ? 6 : 4].as_int();
    const auto left_out = all - static_cast<std::int64_t>(sessions.size());
    return fmt::format("sessions in a transaction for longer than the lock timeout: {}{}",
                       fmt::join(sessions, "; "),
                       left_out > 0 ? fmt::format(" (and {} more)", left_out) : "");
  } catch (const std::exception&) {
    return {};  // a courtesy: the error it would be added to matters more
  }
}

}  // namespace cutover::db
