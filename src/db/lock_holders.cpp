#include "db/lock_holders.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "core/error.h"

namespace cutover::db {
namespace {

constexpr int kMostSessions = 3;

// Statements are cut after this many characters, their string literals replaced by '...' (a
// literal may be a secret, such as a password in ALTER ROLE).
constexpr const char* kPostgresQuery = R"sql(
select a.pid, coalesce(a.usename, ''), coalesce(a.state, ''),
       extract(epoch from clock_timestamp() - a.xact_start)::float8,
       left(regexp_replace(regexp_replace(coalesce(a.query, ''), '''([^'']|'''')*''', '''...''',
                                          'g'), '\s+', ' ', 'g'), 80)
from pg_stat_activity a
where a.datname = current_database() and a.pid <> pg_backend_pid()
  and a.backend_type = 'client backend'
  and a.xact_start < clock_timestamp() - make_interval(secs => $1)
  and exists (select 1 from pg_locks l
              where l.pid = a.pid and l.granted and l.locktype = 'relation')
order by a.xact_start
limit $2)sql";

constexpr const char* kMariaDbQuery = R"sql(
select p.ID, coalesce(p.USER, ''), coalesce(p.COMMAND, ''),
       timestampdiff(microsecond, t.trx_started, now(6)) / 1000000.0,
       left(regexp_replace(regexp_replace(coalesce(t.trx_query, p.INFO, ''),
                                          '''([^'']|'''')*''', '''...'''), '\\s+', ' '), 80)
from information_schema.INNODB_TRX t
join information_schema.PROCESSLIST p on p.ID = t.trx_mysql_thread_id
where p.ID <> connection_id()
  and t.trx_started < now(6) - interval $1 microsecond  -- trx_started is in whole seconds
order by t.trx_started
limit $2)sql";

}  // namespace

std::string long_transactions(Connection& connection, std::chrono::milliseconds lock_timeout) {
  const Flavor flavor = connection.server().flavor;
  if (flavor == Flavor::kSqlite) return {};
  Result result;
  try {
    result =
        flavor == Flavor::kPostgres
            ? connection.query(kPostgresQuery, {static_cast<double>(lock_timeout.count()) / 1000.0,
                                                std::int64_t{kMostSessions}})
            : connection.query(kMariaDbQuery, {std::int64_t{lock_timeout.count() * 1000},
                                               std::int64_t{kMostSessions}});
  } catch (const Error& e) {
    if (e.db_failure() == DbFailure::kConnectionLost) throw;
    return {};
  }
  if (result.empty()) return {};
  std::vector<std::string> sessions;
  for (const auto& row : result.rows) {
    std::string statement = row[4].text();
    sessions.push_back(fmt::format("{} {} (user {}, {}, transaction open for {:.1f} s{})",
                                   flavor == Flavor::kPostgres ? "pid" : "connection",
                                   row[0].text(), row[1].text(), row[2].text(), row[3].as_double(),
                                   statement.empty() ? "" : ": " + statement));
  }
  return fmt::format("sessions in a transaction for longer than the lock timeout: {}",
                     fmt::join(sessions, "; "));
}

}  // namespace cutover::db
