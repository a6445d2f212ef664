// --database mappings, duplicate detection, the plan as stored, and the URL rewrites of a move.
#include "move/move_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "move/database_address.h"

namespace cutover::move {
namespace {

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::kOperationFailed;
}

TEST(ParseMapping, KeepsTheSourceNameWithoutRename) {
  auto m = parse_mapping("postgres://app@db1:5432/shop");
  EXPECT_EQ(m.source_name(), "shop");
  EXPECT_EQ(m.target_name, "shop");
  EXPECT_EQ(m.source.host, "db1");
}

TEST(ParseMapping, RenamesAfterTheLastEquals) {
  auto m = parse_mapping("postgres://app@db1/shop=shop_eu");
  EXPECT_EQ(m.source_name(), "shop");
  EXPECT_EQ(m.target_name, "shop_eu");
}

TEST(ParseMapping, AnEqualsInsideTheQueryBelongsToTheUrl) {
  auto plain = parse_mapping("postgres://app@db1/shop?sslmode=require");
  EXPECT_EQ(plain.target_name, "shop");
  EXPECT_EQ(plain.source.options.at("sslmode"), "require");
  auto renamed = parse_mapping("postgres://app@db1/shop?sslmode=require&connect_timeout=5=eu");
  EXPECT_EQ(renamed.target_name, "eu");
  EXPECT_EQ(renamed.source.options.at("connect_timeout"), "5");
}

TEST(ParseMapping, KeywordFormRenamesOnlyAfterACompleteKeyword) {
  auto plain = parse_mapping("host=db1 dbname=shop");
  EXPECT_EQ(plain.source_name(), "shop");
  EXPECT_EQ(plain.target_name, "shop");
  auto renamed = parse_mapping("host=db1 dbname=shop=shop2");
  EXPECT_EQ(renamed.source_name(), "shop");
  EXPECT_EQ(renamed.target_name, "shop2");
}

TEST(ParseMapping, RefusesWhatNamesNoDatabase) {
  EXPECT_EQ(code_of([] { parse_mapping("postgres://app@db1/"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { parse_mapping("mariadb://root@db1/"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { parse_mapping("sqlite::memory:"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { parse_mapping("mariadb://root@db1/shop=a/b"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { parse_mapping("postgres://app@db1/shop="); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { parse_mapping("postgres://app@db1/shop=" + std::string(64, 'x')); }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { parse_mapping("oracle://db1/shop"); }), ErrorCode::kBadInput);
}

TEST(ParseMapping, MariadbAndSqliteDatabasesMapToo) {
  auto shop = parse_mapping("mariadb://root@db1:3307/shop=store");
  EXPECT_EQ(shop.source_name(), "shop");
  EXPECT_EQ(shop.target_name, "store");
  // A SQLite file is made absolute; its new name is a file name, its own by default.
  auto file = parse_mapping("sqlite:data/app.db");
  EXPECT_TRUE(file.source_name().starts_with("/")) << file.source_name();
  EXPECT_TRUE(file.source_name().ends_with("/data/app.db")) << file.source_name();
  EXPECT_EQ(file.target_name, "app.db");
  EXPECT_EQ(parse_mapping("sqlite:/srv/app.db=shop.db").target_name, "shop.db");
}

TEST(ParseMapping, AnErrorNeverShowsThePassword) {
  try {
    parse_mapping("mariadb://root:Sekr1t@db1/=x");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.message().find("Sekr1t"), std::string::npos) << e.message();
  }
}

TEST(DuplicateMappings, NamesTwoSourcesWithOneTargetName) {
  std::vector<DatabaseMapping> ms = {parse_mapping("postgres://a@db1/shop=app"),
                                     parse_mapping("postgres://a@db2/crm=app"),
                                     parse_mapping("postgres://a@db2/billing")};
  auto problems = duplicate_mappings(ms);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("'app'"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("db1/shop"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("db2/crm"), std::string::npos) << problems[0];
}

TEST(DuplicateMappings, NamesASourceGivenTwice) {
  std::vector<DatabaseMapping> ms = {parse_mapping("postgres://a@db1/shop=one"),
                                     parse_mapping("postgres://b@db1:5432/shop=two")};
  auto problems = duplicate_mappings(ms);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("db1:5432/shop is given 2 times"), std::string::npos) << problems[0];
  EXPECT_TRUE(duplicate_mappings({parse_mapping("postgres://a@db1/shop"),
                                  parse_mapping("postgres://a@db2/shop=shop2")})
                  .empty());
}

TEST(MovePlan, StoresUrlsWithoutPasswordsAndReadsThemBack) {
  MovePlan plan;
  plan.target = parse_connection_url("postgres://admin:T0pSecret@new-db:6432/postgres");
  plan.databases.push_back(
      parse_mapping("postgres://app:Sekr1t@old-db/shop?sslmode=require&password=Sekr1t=eu"));
  plan.owner = "app_owner";
  std::string stored = plan.to_json().dump();
  EXPECT_EQ(stored.find("T0pSecret"), std::string::npos) << stored;
  EXPECT_EQ(stored.find("Sekr1t"), std::string::npos) << stored;

  MovePlan back = MovePlan::from_json(nlohmann::json::parse(stored));
  EXPECT_EQ(back.target.host, "new-db");
  EXPECT_EQ(back.target.port, 6432);
  EXPECT_FALSE(back.target.password.has_value());
  ASSERT_EQ(back.databases.size(), 1u);
  EXPECT_EQ(back.databases[0].source_name(), "shop");
  EXPECT_EQ(back.databases[0].target_name, "eu");
  EXPECT_EQ(back.databases[0].source.options.at("sslmode"), "require");
  EXPECT_EQ(back.owner, "app_owner");
  EXPECT_EQ(back.source_keys(), std::vector<std::string>{"old-db:5432/shop"});
  EXPECT_EQ(back.target_keys(), std::vector<std::string>{"new-db:6432/eu"});
}

TEST(MovePlan, AMalformedStoredPlanIsAnOperationFailure) {
  EXPECT_EQ(code_of([] { MovePlan::from_json({{"target", 3}}); }), ErrorCode::kOperationFailed);
  EXPECT_EQ(code_of([] {
              MovePlan::from_json({{"target", "nonsense"}, {"databases", nlohmann::json::array()}});
            }),
            ErrorCode::kOperationFailed);
}

TEST(MoveStep, NamesRoundTripAndOnlyEndedMovesReleaseTheirDatabases) {
  for (auto step : {MoveStep::kCreated, MoveStep::kPrepared, MoveStep::kCopied,
                    MoveStep::kFinalized, MoveStep::kAborted, MoveStep::kCleaned}) {
    EXPECT_EQ(parse_step(step_name(step)), step);
  }
  EXPECT_EQ(code_of([] { parse_step("teleported"); }), ErrorCode::kOperationFailed);
  EXPECT_TRUE(holds_databases(MoveStep::kCreated));
  EXPECT_TRUE(holds_databases(MoveStep::kFinalized));
  EXPECT_FALSE(holds_databases(MoveStep::kAborted));
  EXPECT_FALSE(holds_databases(MoveStep::kCleaned));
}

TEST(DatabaseAddress, RewritesTheDatabaseAndDropsThePassword) {
  auto url = parse_connection_url("postgresql://us%40er:p%40ss@[::1]:5433/shop?sslmode=require");
  EXPECT_EQ(url_without_password(url), "postgres://us%40er@[::1]:5433/shop?sslmode=require");
  auto other = parse_connection_url(url_with_database(url, "new db"));
  EXPECT_EQ(other.database, "new db");
  EXPECT_EQ(other.user, "us@er");
  EXPECT_EQ(other.password, "p@ss");  // kept for this process's own connections
  EXPECT_EQ(other.host, "::1");
  EXPECT_EQ(other.options.at("sslmode"), "require");
}

TEST(DatabaseAddress, KeywordFormKeepsItsKeywords) {
  auto url = parse_connection_url("host=db1 port=5433 dbname=shop password='a b' user=app");
  std::string stored = url_without_password(url);
  EXPECT_EQ(stored.find("a b"), std::string::npos) << stored;
  auto back = parse_connection_url(stored);
  EXPECT_EQ(back.host, "db1");
  EXPECT_EQ(back.port, 5433);
  EXPECT_EQ(back.user, "app");
  EXPECT_EQ(back.database, "shop");
  auto renamed = parse_connection_url(url_with_database(url, "it's"));
  EXPECT_EQ(renamed.database, "it's");
  EXPECT_EQ(renamed.password, "a b");
}

TEST(DatabaseAddress, KeysTellDatabasesApart) {
  auto a = parse_connection_url("postgres://x@DB1/shop");
  auto b = parse_connection_url("postgres://y@db1:5432/other");
  EXPECT_EQ(database_key(a, "shop"), "db1:5432/shop");
  EXPECT_EQ(database_key(b, "shop"), "db1:5432/shop");
  EXPECT_EQ(database_key(parse_connection_url("postgres:///shop"), "shop"), "local:5432/shop");
  EXPECT_EQ(database_key(parse_connection_url("mariadb://root@db1/"), "shop"), "db1:3306/shop");
  // SQLite: a file, or a file of the directory the URL names.
  auto dir = parse_connection_url("sqlite:/mnt/new/");
  EXPECT_EQ(database_key(dir, "app.db"), "sqlite:/mnt/new/app.db");
  EXPECT_EQ(database_key(dir, "/srv/app.db"), "sqlite:/srv/app.db");
  EXPECT_EQ(url_with_database(dir, "app.db"), "sqlite:/mnt/new/app.db");
}

}  // namespace
}  // namespace cutover::move
