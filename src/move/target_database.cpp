// A moved database on the target server: created like the source's, closed until finalize.
#include "move/target_database.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "core/error.h"

namespace cutover::move {
namespace {

std::string quote_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// Settings whose value is a list of quoted names (PostgreSQL's GUC_LIST_QUOTE): each element
// becomes a literal of its own, as pg_dump writes them.
bool is_list_setting(const std::string& name) {
  return name == "search_path" || name == "temp_tablespaces" ||
         name == "session_preload_libraries" || name == "local_preload_libraries" ||
         name == "shared_preload_libraries" || name == "unix_socket_directories";
}

// "name=value" from pg_db_role_setting as "SET name = value".
std::string set_clause(const std::string& entry) {
  auto eq = entry.find('=');
  std::string name = entry.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
  if (!is_list_setting(name)) return fmt::format("SET {} = {}", name, quote_literal(value));
  std::vector<std::string> elements;
  std::string current;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '"') {
      if (quoted && i + 1 < value.size() && value[i + 1] == '"') {
        current += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      elements.push_back(current);
      current.clear();
    } else if (!(c == ' ' && !quoted && current.empty())) {
      current += c;
    }
  }
  elements.push_back(current);
  std::string list;
  for (const auto& e : elements) list += (list.empty() ? "" : ", ") + quote_literal(e);
  return fmt::format("SET {} = {}", name, list);
}

}  // namespace

nlohmann::json DatabaseProperties::to_json() const {
  return {{"encoding", encoding}, {"collate", collate},
          {"ctype", ctype},       {"icu_locale", icu_locale},
          {"owner", owner},       {"access_grants", access_grants},
          {"settings", settings}, {"role_settings", role_settings}};
}

DatabaseProperties DatabaseProperties::from_json(const nlohmann::json& json) {
  try {
    DatabaseProperties p;
    p.encoding = json.at("encoding");
    p.collate = json.at("collate");
    p.ctype = json.at("ctype");
    p.icu_locale = json.at("icu_locale");
    p.owner = json.at("owner");
    p.access_grants = json.at("access_grants").get<std::vector<std::string>>();
    p.settings = json.at("settings").get<std::vector<std::string>>();
    p.role_settings = json.at("role_settings").get<std::vector<std::string>>();
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kOperationFailed,
                std::string("a database's recorded properties in the state store are malformed: ") +
                    e.what());
  }
}

DatabaseProperties read_database_properties(db::Connection& source) {
  DatabaseProperties p;
  bool has_provider = source.server().version_number >= 150000;
  auto row =
      source
          .query(fmt::format(
              "SELECT pg_encoding_to_char(encoding), datcollate, datctype, {}, "
              "pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()",
              has_provider ? "CASE WHEN datlocprovider = 'i' THEN daticulocale ELSE '' END" : "''"))
          .rows.at(0);
  p.encoding = row[0].text();
  p.collate = row[1].text();
  p.ctype = row[2].text();
  p.icu_locale = row[3].is_null() ? "" : row[3].text();
  p.owner = row[4].text();
  for (const auto& grant : source
                               .query(R"(
      SELECT a.privilege_type || ' TO ' ||
             CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END ||
             CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
      FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
      WHERE d.datname = current_database() AND a.grantee <> d.datdba
      ORDER BY 1)")
                               .rows) {
    p.access_grants.push_back(grant[0].text());
  }
  for (const auto& setting : source
                                 .query(R"(
      SELECT coalesce(r.rolname, ''), unnest(s.setconfig)
      FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
      LEFT JOIN pg_roles r ON r.oid = s.setrole
      WHERE d.datname = current_database() ORDER BY 1, 2)")
                                 .rows) {
    std::string role = setting[0].text();
    std::string clause = set_clause(setting[1].text());
    if (role.empty()) {
      p.settings.push_back(clause);
    } else {
      p.role_settings.push_back(role + "|" + clause);
    }
  }
  return p;
}

void create_target_database(db::Connection& server, const std::string& name,
                            const DatabaseProperties& source,
                            const std::optional<std::string>& owner) {
  std::string db = quote_ident(name);
  std::string locale =
      source.icu_locale.empty()
          ? fmt::format("LC_COLLATE {} LC_CTYPE {}", quote_literal(source.collate),
                        quote_literal(source.ctype))
          : fmt::format("LOCALE_PROVIDER icu ICU_LOCALE {} LC_COLLATE {} LC_CTYPE {}",
                        quote_literal(source.icu_locale), quote_literal(source.collate),
                        quote_literal(source.ctype));
  server.execute(fmt::format("CREATE DATABASE {} TEMPLATE template0 ENCODING {} {} OWNER {}", db,
                             quote_literal(source.encoding), locale,
                             quote_ident(owner ? *owner : source.owner)));
  server.execute(fmt::format("REVOKE ALL ON DATABASE {} FROM PUBLIC", db));
  for (const auto& clause : source.settings) {
    server.execute(fmt::format("ALTER DATABASE {} {}", db, clause));
  }
  for (const auto& entry : source.role_settings) {
    auto bar = entry.find('|');
    server.execute(fmt::format("ALTER ROLE {} IN DATABASE {} {}", quote_ident(entry.substr(0, bar)),
                               db, entry.substr(bar + 1)));
  }
}

void open_target_database(db::Connection& server, const std::string& name,
                          const DatabaseProperties& source) {
  for (const auto& grant : source.access_grants) {
    auto to = grant.find(" TO ");
    server.execute(fmt::format("GRANT {} ON DATABASE {} {}", grant.substr(0, to), quote_ident(name),
                               grant.substr(to + 1)));
  }
}

void drop_database(db::Connection& server, const std::string& name) {
  server.execute(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)));
}

int end_orphaned_sessions(db::Connection& database, const std::string& application_name) {
  constexpr const char* kOrphans =
      "SELECT pid, coalesce(left(query, 60), '') FROM pg_stat_activity "
      "WHERE datname = current_database() AND application_name = $1 "
      "AND pid <> pg_backend_pid()";
  auto orphans = database.query(kOrphans, {application_name}).rows;
  for (const auto& row : orphans) {
    database.execute("SELECT pg_terminate_backend($1::int)", {row[0]});
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!orphans.empty()) {
    auto left = database.query(kOrphans, {application_name}).rows;
    if (left.empty()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::string names;
      for (const auto& row : left) {
        names += fmt::format("{}pid {} ({})", names.empty() ? "" : ", ", row[0].text(),
                             row[1].text());
      }
      throw Error(ErrorCode::kOperationFailed,
                  "sessions that an earlier cutover left on the target did not end: " + names,
                  "end them (pg_terminate_backend), then run the step again");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return static_cast<int>(orphans.size());
}

void empty_database(db::Connection& database) {
  for (const auto& row :
       database
           .query("SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname NOT IN "
                  "('pg_catalog', 'information_schema', 'public') AND nspname !~ '^pg_'")
           .rows) {
    database.execute("DROP SCHEMA " + row[0].text() + " CASCADE");
  }
  for (const auto& row :
       database.query("SELECT quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'")
           .rows) {
    database.execute("DROP EXTENSION IF EXISTS " + row[0].text() + " CASCADE");
  }
  // What is left in public: one DROP ... CASCADE per kind, each relation only if an earlier
  // CASCADE left it (a view on a dropped table is gone), and no identity column's sequence,
  // which goes with its table and cannot be dropped on its own.
  database.execute(R"(
    DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT c.oid, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                   WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                 AND c.relispartition IS NOT TRUE
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                   AND d.objid = c.oid AND d.deptype = 'i')
      LOOP
        IF EXISTS (SELECT 1 FROM pg_class WHERE oid = r.oid) THEN
          EXECUTE format('DROP %s %s CASCADE', r.kind, r.oid::regclass);
        END IF;
      END LOOP;
      FOR r IN SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure) AS sql
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public'
      LOOP EXECUTE r.sql; END LOOP;
      FOR r IN SELECT format('DROP TYPE IF EXISTS %s CASCADE', t.oid::regtype) AS sql
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = 'public' AND t.typtype IN ('e', 'c', 'd', 'r', 'b')
                 AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
                 AND t.typelem = 0
      LOOP EXECUTE r.sql; END LOOP;
    END $$)");
}

}  // namespace cutover::move
