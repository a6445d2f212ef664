// What of the source's grants a MariaDB move gives on the target: only what the target lacks.
#include "move/mariadb_database_grants.h"

#include <gtest/gtest.h>

namespace cutover::move {
namespace {

MariadbGrant grant(std::set<std::string> privileges, bool option = false,
                   bool from_wildcard = false) {
  return {"'app'@'%'", "`crm`.*", std::move(privileges), option, true, from_wildcard};
}

using Statements = std::vector<std::string>;

TEST(GrantsToGive, AllWhenTheTargetHasNone) {
  EXPECT_EQ(grants_to_give({grant({"SELECT", "INSERT"}, true)}, {}),
            Statements{"GRANT INSERT, SELECT ON `crm`.* TO 'app'@'%' WITH GRANT OPTION"});
}

TEST(GrantsToGive, OnlyWhatTheTargetsOwnGrantLacks) {
  EXPECT_EQ(grants_to_give({grant({"SELECT", "INSERT"})}, {grant({"SELECT"})}),
            Statements{"GRANT INSERT ON `crm`.* TO 'app'@'%'"});
  EXPECT_EQ(grants_to_give({grant({"SELECT"})}, {grant({"SELECT", "DELETE"})}), Statements{});
  // The grant option alone.
  EXPECT_EQ(grants_to_give({grant({"SELECT"}, true)}, {grant({"SELECT"})}),
            Statements{"GRANT USAGE ON `crm`.* TO 'app'@'%' WITH GRANT OPTION"});
}

TEST(GrantsToGive, AGrantOnTheNameCarriesWhatTheTargetsWildcardGrantsGave) {
  // The target's `cr%`.* gives SELECT; a grant on `crm`.* alone would hide it.
  EXPECT_EQ(grants_to_give({grant({"SELECT", "INSERT"})}, {grant({"SELECT"}, false, true)}),
            Statements{"GRANT INSERT, SELECT ON `crm`.* TO 'app'@'%'"});
  EXPECT_EQ(grants_to_give({grant({"SELECT"})}, {grant({"SELECT", "DELETE"}, false, true)}),
            Statements{});
}

TEST(GrantsToGive, OtherAccountsAndObjectsAreTheirOwn) {
  MariadbGrant table = grant({"SELECT"});
  table.object = "`crm`.`contacts`";
  table.database_wide = false;
  MariadbGrant other = grant({"SELECT"});
  other.grantee = "'bi'@'%'";
  EXPECT_EQ(grants_to_give({table, other}, {grant({"SELECT"})}),
            (Statements{"GRANT SELECT ON `crm`.`contacts` TO 'app'@'%'",
                        "GRANT SELECT ON `crm`.* TO 'bi'@'%'"}));
}

TEST(GrantsToGive, GranteesAreNamedOnceInOrder) {
  MariadbGrant other = grant({"SELECT"});
  other.grantee = "'bi'@'%'";
  EXPECT_EQ(grantees_of({grant({"SELECT"}), other, grant({"INSERT"})}),
            (Statements{"'app'@'%'", "'bi'@'%'"}));
}

}  // namespace
}  // namespace cutover::move
