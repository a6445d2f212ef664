// The write freeze of a PostgreSQL source database by privileges: every write privilege on its
// tables, views and sequences is revoked (the owners' too) and recorded, so that abort can
// grant back exactly what was revoked, and nobody but a superuser can lift it by a SET.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::move {

// One write privilege as an ACL holds it: `grantee` may `privilege` on `object` (or on its
// `column`), granted by `grantor`. Role names are SQL-quoted; "PUBLIC" is everyone.
struct WriteGrant {
  std::string object;  // schema.name, quoted
  std::string kind;    // "TABLE" or "SEQUENCE" (the GRANT's object type)
  std::string column;  // quoted column name; empty for the whole object
  std::string owner;   // the object's owner, quoted
  std::string grantor;
  std::string grantee;
  std::string privilege;  // INSERT, UPDATE, DELETE, TRUNCATE (tables), USAGE, UPDATE (sequences)
  bool grantable = false;

  bool operator==(const WriteGrant&) const = default;
  auto operator<=>(const WriteGrant&) const = default;
};

// Every write privilege of a database before its freeze: what abort grants back.
struct FreezeRecord {
  std::vector<WriteGrant> grants;
  nlohmann::json to_json() const;
  static FreezeRecord from_json(const nlohmann::json& json);
};

// The write privileges that the database's tables, views and sequences grant now, sorted
// (default ACLs included: an owner's implicit privileges are listed as granted by itself).
std::vector<WriteGrant> read_write_grants(db::Connection& database);

// Revokes every grant of `record` in one transaction. A grant whose grantor is not the owner
// is revoked as that grantor (SET ROLE), since only it can. Throws Error as the statements do;
// then nothing was revoked.
void revoke_writes(db::Connection& database, const FreezeRecord& record);

// Grants back every grant of `record` that is missing now, grantors' own grant options first,
// in one transaction; afterwards the write privileges are exactly `record`'s again. Returns
// how many grants it made. Throws Error(kOperationFailed) naming the first difference when the
// result is not `record` (a privilege granted by someone else in the meantime stays: it is
// named, not revoked).
int restore_writes(db::Connection& database, const FreezeRecord& record);

// Roles other than superusers that may still write some table, view or sequence of the
// database (through any grant, membership or predefined role such as pg_write_all_data), as
// "role on object"; at most `limit`. Empty once a freeze holds.
std::vector<std::string> remaining_writers(db::Connection& database, int limit = 10);

// Login roles that are superusers, which a privilege freeze cannot stop, other than those
// `allowed` names (--allow-unfrozen). Sorted names, unquoted.
std::vector<std::string> unfreezable_roles(db::Connection& database,
                                           const std::vector<std::string>& allowed);

// The SECURITY DEFINER functions of the database owned by superusers, as "schema.name(args)
// (owner)": they run as their owner, so whoever may call them writes through a privilege
// freeze.
std::vector<std::string> superuser_definer_functions(db::Connection& database);

}  // namespace cutover::move
