// Tests for reading SHOW GRANTS lines: which ones let the user create tables in a database.
#include "db/mariadb/mariadb_grants.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cutover::db::mariadb {
namespace {

struct GrantCase {
  const char* name;
  std::string grant_line;
  std::string database;  // "" when no database is selected
  bool allows_create;
};
void PrintTo(const GrantCase& c, std::ostream* os) { *os << c.name; }

const GrantCase kGrantCases[] = {
    // Global grants count for every database, and with none selected.
    {"AllPrivilegesGlobal",
     "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA unix_socket WITH GRANT "
     "OPTION",
     "app", true},
    {"AllPrivilegesGlobalNoDatabase", "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`", "",
     true},
    {"CreateGlobal", "GRANT CREATE ON *.* TO `u`@`%`", "app", true},
    {"CreateGlobalNoDatabase", "GRANT CREATE ON *.* TO `u`@`%`", "", true},
    {"CreateAmongManyGlobal", "GRANT SELECT, INSERT, CREATE, DROP ON *.* TO `u`@`%`", "app", true},
    {"SelectInsertGlobal", "GRANT SELECT, INSERT ON *.* TO `u`@`%`", "app", false},
    {"UsageOnly",
     "GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD "
     "'*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'",
     "app", false},
    {"UsageOnlyNoDatabase", "GRANT USAGE ON *.* TO `u`@`%`", "", false},

    // Database grants.
    {"CreateOnDatabase", "GRANT SELECT, CREATE ON `app`.* TO `u`@`%`", "app", true},
    {"AllPrivilegesOnDatabase", "GRANT ALL PRIVILEGES ON `app`.* TO `u`@`%` WITH GRANT OPTION",
     "app", true},
    {"CreateOnOtherDatabase", "GRANT CREATE ON `other`.* TO `u`@`%`", "app", false},
    {"CreateOnDatabaseIsNoPrefixMatch", "GRANT CREATE ON `app`.* TO `u`@`%`", "apps", false},
    {"CreateOnDatabaseIsNoSuffixMatch", "GRANT CREATE ON `app`.* TO `u`@`%`", "ap", false},
    {"DatabaseNamesAreCaseSensitive", "GRANT CREATE ON `App`.* TO `u`@`%`", "app", false},
    {"SelectOnlyOnDatabase", "GRANT SELECT, INSERT, UPDATE ON `app`.* TO `u`@`%`", "app", false},
    {"OtherCreatePrivilegesDoNotCount",
     "GRANT CREATE ROUTINE, CREATE VIEW, CREATE TEMPORARY TABLES ON `app`.* TO `u`@`%`", "app",
     false},
    {"TableLevelCreateDoesNotCount", "GRANT CREATE ON `app`.`t` TO `u`@`%`", "app", false},
    {"ProcedureGrant", "GRANT EXECUTE ON PROCEDURE `app`.`p` TO `u`@`%`", "app", false},
    {"ProxyGrant", "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION", "app", false},
    {"SurroundingWhitespace", "  GRANT CREATE ON `app`.* TO `u`@`%`\n", "app", true},

    // With no database selected only *.* counts, whatever the pattern.
    {"DatabaseGrantNoDatabase", "GRANT CREATE ON `app`.* TO `u`@`%`", "", false},
    {"PercentPatternNoDatabase", "GRANT ALL PRIVILEGES ON `%`.* TO `u`@`%`", "", false},

    // Patterns: % and _ are wildcards, \ escapes them.
    {"PercentMatchesAnything", "GRANT ALL PRIVILEGES ON `%`.* TO `u`@`%`", "anything", true},
    {"PercentSuffixMatchesExact", "GRANT CREATE ON `app%`.* TO `u`@`%`", "app", true},
    {"PercentSuffixMatchesLonger", "GRANT CREATE ON `app%`.* TO `u`@`%`", "app_test", true},
    {"PercentSuffixNeedsPrefix", "GRANT CREATE ON `app%`.* TO `u`@`%`", "myapp", false},
    {"PercentInMiddle", "GRANT CREATE ON `a%z`.* TO `u`@`%`", "abcz", true},
    {"PercentInMiddleNeedsEnd", "GRANT CREATE ON `a%z`.* TO `u`@`%`", "abcza", false},
    {"UnderscoreMatchesOneChar", "GRANT CREATE ON `app_`.* TO `u`@`%`", "app1", true},
    {"UnderscoreMatchesUnderscore", "GRANT CREATE ON `app_`.* TO `u`@`%`", "app_", true},
    {"UnderscoreNeedsAChar", "GRANT CREATE ON `app_`.* TO `u`@`%`", "app", false},
    {"UnderscoreMatchesOnlyOne", "GRANT CREATE ON `app_`.* TO `u`@`%`", "app12", false},
    {"EscapedUnderscoreMatchesUnderscore", "GRANT CREATE ON `app\\_%`.* TO `u`@`%`", "app_x", true},
    {"EscapedUnderscoreIsLiteral", "GRANT CREATE ON `app\\_%`.* TO `u`@`%`", "appx", false},
    {"EscapedPercentIsLiteral", "GRANT CREATE ON `100\\%`.* TO `u`@`%`", "100%", true},
    {"EscapedPercentMatchesNoMore", "GRANT CREATE ON `100\\%`.* TO `u`@`%`", "1000", false},

    // Column-level privileges: commas inside the column list separate no privileges.
    {"ColumnPrivilegesOnTable", "GRANT SELECT (a, b), INSERT (c) ON `app`.`t` TO `u`@`%`", "app",
     false},
    {"ColumnNamedCreateIsNoPrivilege", "GRANT SELECT (id, CREATE , x) ON `app`.* TO `u`@`%`", "app",
     false},
    {"CreateAfterColumnList", "GRANT SELECT (`a`, `b`), CREATE ON `app`.* TO `u`@`%`", "app", true},

    // Role grants give no privilege by themselves; a role's own grants do.
    {"RoleGrant", "GRANT `app_admin` TO `u`@`%`", "app", false},
    {"RoleGrantWithAdminOption", "GRANT `app_admin` TO `u`@`%` WITH ADMIN OPTION", "app", false},
    {"RoleGrantNoDatabase", "GRANT `app_admin` TO `u`@`%`", "", false},
    {"GrantToRole", "GRANT CREATE ON `app`.* TO `app_admin`", "app", true},
    {"SetDefaultRoleLine", "SET DEFAULT ROLE `app_admin` FOR `u`@`%`", "app", false},

    // Names with doubled backticks, spaces and keywords.
    {"DoubledBacktickInName", "GRANT CREATE ON `we``ird`.* TO `u`@`%`", "we`ird", true},
    {"DoubledBacktickIsOneBacktick", "GRANT CREATE ON `we``ird`.* TO `u`@`%`", "we``ird", false},
    {"NameEndingInBacktick", "GRANT CREATE ON `ab```.* TO `u`@`%`", "ab`", true},
    {"NameWithOn", "GRANT CREATE ON `x ON y`.* TO `u`@`%`", "x ON y", true},
    {"NameWithTo", "GRANT CREATE ON `x TO y`.* TO `u`@`%`", "x TO y", true},
};

class MariaDbGrantsTest : public testing::TestWithParam<GrantCase> {};

TEST_P(MariaDbGrantsTest, DecidesCreate) {
  const GrantCase& c = GetParam();
  EXPECT_EQ(grant_allows_create(c.grant_line, c.database), c.allows_create)
      << c.grant_line << " / database '" << c.database << "'";
}

INSTANTIATE_TEST_SUITE_P(Cases, MariaDbGrantsTest, testing::ValuesIn(kGrantCases),
                         [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace cutover::db::mariadb
