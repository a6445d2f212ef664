// Undoing a post-data restore that stopped midway: each kind of object it creates, found in the
// catalog and dropped, those others depend on last.
#include "move/post_data_reset.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "move/pg_facts.h"

namespace cutover::move {
namespace {

// Queries that return the statements dropping one kind of object each, in the order they run.
// Partitions' triggers (PostgreSQL 13 and later), constraints and attached indexes go with
// their parents'; foreign keys before the keys they reference.
std::vector<std::string> drop_queries(int version_number) {
  // The relations of the database's own schemas that no extension brought.
  const std::string in_user = fmt::format(
      "IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {} "
      "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
      "AND d.objid = c.oid AND d.deptype = 'e'))",
      kUserNamespace);
  const std::string not_cloned_trigger = version_number >= 130000 ? "AND tgparentid = 0" : "";
  return {
      "SELECT format('DROP EVENT TRIGGER IF EXISTS %I', e.evtname) FROM pg_event_trigger e "
      "WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
      "'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e')",
      "SELECT format('ALTER PUBLICATION %I DROP TABLE %s', p.pubname, r.prrelid::regclass) "
      "FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE r.prrelid " +
          in_user,
      "SELECT format('DROP POLICY IF EXISTS %I ON %s', polname, polrelid::regclass) "
      "FROM pg_policy WHERE polrelid " +
          in_user,
      "SELECT format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY', "
      "oid::regclass) FROM pg_class WHERE (relrowsecurity OR relforcerowsecurity) AND oid " +
          in_user,
      "SELECT format('DROP TRIGGER IF EXISTS %I ON %s', tgname, tgrelid::regclass) "
      "FROM pg_trigger WHERE NOT tgisinternal " +
          not_cloned_trigger + " AND tgrelid " + in_user,
      "SELECT format('DROP RULE IF EXISTS %I ON %s', rulename, ev_class::regclass) "
      "FROM pg_rewrite WHERE rulename <> '_RETURN' AND ev_class " +
          in_user,
      "SELECT format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', conrelid::regclass, "
      "conname) FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND conrelid " +
          in_user,
      // Checks created with their tables came with pre-data; a NOT VALID one is post-data's.
      // No CASCADE: a view that needs a primary key (GROUP BY it) makes this fail, named.
      "SELECT format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', conrelid::regclass, "
      "conname) FROM pg_constraint WHERE (contype IN ('p', 'u', 'x') OR (contype = 'c' AND "
      "NOT convalidated)) AND conparentid = 0 AND conislocal AND conrelid " +
          in_user,
      "SELECT format('DROP INDEX IF EXISTS %s', i.indexrelid::regclass) FROM pg_index i "
      "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
      "AND c.contype IN ('p', 'u', 'x')) "
      "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) "
      "AND i.indrelid " +
          in_user,
      "SELECT format('DROP STATISTICS IF EXISTS %I.%I', n.nspname, s.stxname) "
      "FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace "
      "WHERE s.stxrelid " +
          in_user,
  };
}

}  // namespace

int drop_post_data(db::Connection& target) {
  int dropped = 0;
  for (const std::string& query : drop_queries(target.server().version_number)) {
    for (const auto& row : target.query(query).rows) {
      target.execute(row[0].text());
      ++dropped;
    }
  }
  return dropped;
}

}  // namespace cutover::move
