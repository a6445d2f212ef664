// The grants a MariaDB move carries to the target, wildcard names resolved.
#include "move/mariadb_database_grants.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <tuple>

#include "core/error.h"

namespace cutover::move {
namespace {

using GrantKey = std::pair<std::string, std::string>;  // grantee, object

// A database name as a database-wide grant writes it: _ and % escaped.
std::string escaped(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '_' || c == '%') out += '\\';
    out += c;
  }
  return out;
}

bool has_wildcard(const std::string& pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (pattern[i] == '_' || pattern[i] == '%') {
      return true;
    }
  }
  return false;
}

struct Privileges {
  std::set<std::string> names;
  bool grant_option = false;
};

// One account's database-wide privileges on the database, from the grants on patterns that
// match it: the one without wildcards, else what every wildcard one gives.
MariadbGrant database_wide(const std::map<std::string, Privileges>& by_pattern) {
  MariadbGrant out;
  out.database_wide = true;
  for (const auto& [pattern, privileges] : by_pattern) {
    if (has_wildcard(pattern)) continue;
    out.privileges = privileges.names;
    out.grant_option = privileges.grant_option;
    return out;
  }
  out.from_wildcard = true;
  bool first = true;
  for (const auto& [pattern, privileges] : by_pattern) {
    if (first) {
      out.privileges = privileges.names;
      out.grant_option = privileges.grant_option;
      first = false;
      continue;
    }
    std::set<std::string> common;
    std::set_intersection(out.privileges.begin(), out.privileges.end(), privileges.names.begin(),
                          privileges.names.end(), std::inserter(common, common.end()));
    out.privileges = std::move(common);
    out.grant_option = out.grant_option && privileges.grant_option;
  }
  return out;
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::vector<MariadbGrant> mariadb_database_grants(db::Connection& server,
                                                  const std::string& database,
                                                  const std::string& target_name) {
  std::map<GrantKey, MariadbGrant> grants;
  auto add = [&](const std::string& grantee, const std::string& object,
                 const std::string& privilege, bool grantable) {
    MariadbGrant& g = grants[{grantee, object}];
    g.grantee = grantee;
    g.object = object;
    g.privileges.insert(privilege);
    g.grant_option = g.grant_option || grantable;
  };
  auto quoted = [&](const std::string& name) { return server.quote_identifier(name); };
  const std::string target = quoted(target_name);

  // Database-wide: every grant whose name, as a LIKE pattern (CHAR(92) is `\`, whatever
  // sql_mode says of backslashes), matches the database, case and all.
  std::map<std::string, std::map<std::string, Privileges>> wide;  // grantee -> pattern -> ...
  for (const auto& row : server
                             .query("SELECT grantee, table_schema, privilege_type, is_grantable "
                                    "FROM information_schema.schema_privileges WHERE $1 LIKE "
                                    "BINARY table_schema ESCAPE CHAR(92) ORDER BY 1, 2, 3",
                                    {database})
                             .rows) {
    Privileges& p = wide[row[0].text()][row[1].text()];
    p.names.insert(row[2].text());
    p.grant_option = p.grant_option || row[3].text() == "YES";
  }
  const std::string wide_object = quoted(escaped(target_name)) + ".*";
  for (const auto& [grantee, by_pattern] : wide) {
    MariadbGrant g = database_wide(by_pattern);
    if (g.privileges.empty()) continue;
    g.grantee = grantee;
    g.object = wide_object;
    grants[{grantee, wide_object}] = std::move(g);
  }

  for (const auto& row : server
                             .query("SELECT grantee, table_name, privilege_type, is_grantable FROM "
                                    "information_schema.table_privileges WHERE table_schema = $1 "
                                    "ORDER BY grantee, table_name, privilege_type",
                                    {database})
                             .rows) {
    add(row[0].text(), target + "." + quoted(row[1].text()), row[2].text(), row[3].text() == "YES");
  }
  // Column grants: one privilege per column, UPDATE (`city`).
  for (const auto& row : server
                             .query("SELECT grantee, table_name, privilege_type, column_name, "
                                    "is_grantable FROM information_schema.column_privileges "
                                    "WHERE table_schema = $1 ORDER BY 1, 2, 3, 4",
                                    {database})
                             .rows) {
    add(row[0].text(), target + "." + quoted(row[1].text()),
        fmt::format("{} ({})", row[2].text(), quoted(row[3].text())), row[4].text() == "YES");
  }
  // EXECUTE and ALTER ROUTINE on routines are in mysql.procs_priv only, which not every
  // account may read (create then cannot see them, and says nothing of them).
  try {
    for (const auto& row : server
                               .query("SELECT user, host, routine_type, routine_name, proc_priv "
                                      "FROM mysql.procs_priv WHERE db = $1 ORDER BY 1, 2, 3, 4",
                                      {database})
                               .rows) {
      std::string grantee = fmt::format("'{}'@'{}'", row[0].text(), row[1].text());
      std::string object = fmt::format("{} {}.{}", row[2].text(), target, quoted(row[3].text()));
      std::string privileges = row[4].text();  // a SET: Execute,Alter Routine,Grant
      for (const char* p : {"Execute", "Alter Routine"}) {
        if (privileges.find(p) == std::string::npos) continue;
        add(grantee, object, upper(p), privileges.find("Grant") != std::string::npos);
      }
    }
  } catch (const Error&) {
  }
  std::vector<MariadbGrant> out;
  for (auto& [key, grant] : grants) out.push_back(std::move(grant));
  return out;
}

std::vector<std::string> grantees_of(const std::vector<MariadbGrant>& grants) {
  std::vector<std::string> out;
  for (const auto& g : grants) {
    if (std::find(out.begin(), out.end(), g.grantee) == out.end()) out.push_back(g.grantee);
  }
  return out;
}

std::string grant_statement(const MariadbGrant& grant) {
  std::string privileges;
  for (const auto& p : grant.privileges) privileges += (privileges.empty() ? "" : ", ") + p;
  return fmt::format("GRANT {} ON {} TO {}{}", privileges.empty() ? "USAGE" : privileges,
                     grant.object, grant.grantee, grant.grant_option ? " WITH GRANT OPTION" : "");
}

std::vector<std::string> grants_to_give(const std::vector<MariadbGrant>& wanted,
                                        const std::vector<MariadbGrant>& existing) {
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    auto found = std::find_if(existing.begin(), existing.end(), [&](const MariadbGrant& e) {
      return e.grantee == w.grantee && e.object == w.object;
    });
    if (found == existing.end()) {
      out.push_back(grant_statement(w));
      continue;
    }
    MariadbGrant give = w;
    give.privileges.clear();
    std::set_difference(w.privileges.begin(), w.privileges.end(), found->privileges.begin(),
                        found->privileges.end(),
                        std::inserter(give.privileges, give.privileges.end()));
    give.grant_option = w.grant_option && !found->grant_option;
    if (give.privileges.empty() && !give.grant_option) continue;
    if (found->from_wildcard) {
      give.privileges.insert(found->privileges.begin(), found->privileges.end());
      give.grant_option = w.grant_option || found->grant_option;
    }
    out.push_back(grant_statement(give));
  }
  return out;
}

}  // namespace cutover::move
