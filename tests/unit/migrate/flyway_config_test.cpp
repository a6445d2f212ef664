// Flyway's configuration files: properties, the TOML subset, script configs (.sql.conf) and a
// project's flyway.conf / flyway.toml, and files with a byte-order mark.
#include "migrate/flyway_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "migrate/checksum.h"
#include "migrate/migration_source.h"

namespace cutover::migrate {
namespace {

namespace fs = std::filesystem;

template <typename Call>
Error bad_input(Call call) {
  try {
    call();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_FALSE(e.hint().empty());
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorCode::kOperationFailed, "", "");
}

TEST(FlywayProperties, ReadsTheFormsFlywayConfFilesUse) {
  const auto settings = parse_properties(
      "# comment\n! also\n\nflyway.url=jdbc:postgresql://h/db\n  flyway.table : hist \n"
      "flyway.schemas app,public\nflyway.placeholders.owner=a\\\n  b\nempty=\n");
  ASSERT_EQ(settings.size(), 5u);
  EXPECT_EQ(settings[0].key, "flyway.url");
  EXPECT_EQ(settings[0].value, "jdbc:postgresql://h/db");
  EXPECT_EQ(settings[0].line, 4);
  EXPECT_EQ(settings[1].key, "flyway.table");
  EXPECT_EQ(settings[1].value, "hist");
  EXPECT_EQ(settings[2].value, "app,public");
  EXPECT_EQ(settings[3].key, "flyway.placeholders.owner");
  EXPECT_EQ(settings[3].value, "ab");
  EXPECT_EQ(settings[4].key, "empty");
  EXPECT_EQ(settings[4].value, "");
}

TEST(FlywayToml, ReadsTablesStringsBooleansAndArrays) {
  const auto settings = parse_flyway_toml("flyway.toml",
                                          "# project\n[environments.default]\n"
                                          "url = \"jdbc:postgresql://h/db\" # inline\n"
                                          "[flyway]\nlocations = [\"filesystem:sql\"]\n"
                                          "outOfOrder = true\nplaceholders.owner = 'ops'\n"
                                          "[flyway.placeholders]\nregion = \"eu\"\n");
  ASSERT_EQ(settings.size(), 5u);
  EXPECT_EQ(settings[0].key, "environments.default.url");
  EXPECT_EQ(settings[0].value, "jdbc:postgresql://h/db");
  EXPECT_EQ(settings[1].key, "flyway.locations");
  EXPECT_EQ(settings[1].value, "filesystem:sql");
  EXPECT_EQ(settings[2].value, "true");
  EXPECT_EQ(settings[3].key, "flyway.placeholders.owner");
  EXPECT_EQ(settings[3].value, "ops");
  EXPECT_EQ(settings[4].key, "flyway.placeholders.region");
}

TEST(FlywayToml, RefusesWhatItCannotReadNamingTheLine) {
  for (const char* text : {"[flyway]\nurl = \"\"\"x\n\"\"\"\n", "[flyway]\nx = { a = 1 }\n",
                           "[flyway]\nlocations = [\n", "[[flyway]]\n", "[flyway]\nnot a pair\n",
                           "[flyway]\nx = 1979-05-27T07:32:00Z\n"}) {
    const Error e = bad_input([&] { parse_flyway_toml("flyway.toml", text); });
    EXPECT_NE(e.message().find("flyway.toml:"), std::string::npos) << text << e.message();
  }
}

TEST(FlywayProjectConfig, MapsTheSettingsCutoverHonours) {
  const FlywayProjectConfig config = parse_flyway_project_config(
      "flyway.conf",
      "flyway.url=jdbc:postgresql://db:5432/shop?sslmode=require\nflyway.user=app\n"
      "flyway.locations=filesystem:sql/migrations\nflyway.table=my_history\n"
      "flyway.schemas=app,public\nflyway.placeholders.owner=ops\nflyway.outOfOrder=true\n"
      "flyway.target=5\nflyway.executeInTransaction=false\nflyway.cleanDisabled=true\n"
      "flyway.connectRetries=3\n",
      "/project");
  EXPECT_EQ(config.url, "postgres://app@db:5432/shop");
  EXPECT_EQ(config.dir, "/project/sql/migrations");
  EXPECT_EQ(config.table, "my_history");
  EXPECT_EQ(config.schema, "app");
  EXPECT_EQ(config.placeholders.at("owner"), "ops");
  EXPECT_EQ(config.out_of_order, true);
  EXPECT_EQ(config.target, "5");
  EXPECT_EQ(config.execute_in_transaction, false);
  EXPECT_EQ(config.ignored_keys,
            (std::vector<std::string>{"flyway.cleanDisabled", "flyway.connectRetries"}));
}

// The JDBC URL's currentSchema was dropped with the rest of its query, without a word, and the
// tables went to public.
TEST(FlywayProjectConfig, TheJdbcUrlsCurrentSchemaIsTheSchemaUnlessTheSettingsNameOne) {
  const char* url = "flyway.url=jdbc:postgresql://db/shop?currentSchema=app&sslmode=disable\n";
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", url).schema, "app");
  EXPECT_EQ(
      parse_flyway_project_config("flyway.conf", std::string(url) + "flyway.schemas=b\n").schema,
      "b");
  EXPECT_EQ(
      parse_flyway_project_config("flyway.conf", "flyway.url=jdbc:postgresql://db/shop\n").schema,
      std::nullopt);
}

TEST(FlywayProjectConfig, ConvertsMariaDbMySqlAndSqliteUrls) {
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", "flyway.url=jdbc:mariadb://h:3306/shop").url,
            "mariadb://h:3306/shop");
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", "flyway.url=jdbc:mysql://h/shop?user=u").url,
            "mariadb://u@h/shop");
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", "flyway.url=jdbc:sqlite:/var/app.db").url,
            "sqlite:///var/app.db");
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", "flyway.url=jdbc:sqlite:app.db").url,
            "sqlite:app.db");
}

TEST(FlywayProjectConfig, ReadsTheTomlEnvironmentAndDefaultSchema) {
  const FlywayProjectConfig config = parse_flyway_project_config(
      "flyway.toml",
      "[environments.prod]\nurl = \"jdbc:postgresql://prod/shop\"\n"
      "[environments.default]\nurl = \"jdbc:postgresql://localhost/shop\"\nuser = \"dev\"\n"
      "[flyway]\nenvironment = \"prod\"\ndefaultSchema = \"sales\"\nschemas = [\"a\", \"b\"]\n"
      "locations = [\"filesystem:/abs/sql\"]\n");
  EXPECT_EQ(config.url, "postgres://prod/shop");
  EXPECT_EQ(config.schema, "sales");
  EXPECT_EQ(config.dir, "/abs/sql");
  EXPECT_TRUE(config.ignored_keys.empty());
}

// What Flyway would do differently with the project than cutover is refused, not ignored with
// a warning: baselineOnMigrate let cutover apply every file to a database built without it.
// flyway.target=current was taken for a version, and refused as "--target: bad migration
// version", naming a flag that was not given.
TEST(FlywayProjectConfig, ATargetThatIsNoVersionIsRefusedNamingTheFile) {
  Error e =
      bad_input([] { parse_flyway_project_config("flyway.conf", "flyway.target=current\n"); });
  EXPECT_NE(e.message().find("flyway.conf:1: flyway.target = current"), std::string::npos)
      << e.message();
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", "flyway.target=latest\n").target,
            std::nullopt);
  EXPECT_EQ(parse_flyway_project_config("flyway.conf", "flyway.target=2.1\n").target, "2.1");
}

// baselineOnMigrate is done as Flyway does it (it was refused, and so was the `migrate
// baseline` its hint named, from the same folder).
TEST(FlywayProjectConfig, ReadsBaselineOnMigrate) {
  FlywayProjectConfig config = parse_flyway_project_config(
      "flyway.conf",
      "flyway.url=jdbc:postgresql://h/db\nflyway.baselineOnMigrate=true\n"
      "flyway.baselineVersion=7\nflyway.baselineDescription=adopted\n");
  EXPECT_TRUE(config.baseline_on_migrate);
  EXPECT_EQ(config.baseline_version, "7");
  EXPECT_EQ(config.baseline_description, "adopted");
  EXPECT_TRUE(config.ignored_keys.empty());
  EXPECT_FALSE(parse_flyway_project_config("flyway.toml", "[flyway]\nbaselineOnMigrate = false\n")
                   .baseline_on_migrate);
}

TEST(FlywayProjectConfig, RefusesSettingsThatChangeWhatIsApplied) {
  Error e = bad_input(
      [] { parse_flyway_project_config("flyway.toml", "[flyway]\nsqlMigrationPrefix = \"M\"\n"); });
  EXPECT_NE(e.message().find("flyway.sqlMigrationPrefix = M"), std::string::npos) << e.message();
  e = bad_input(
      [] { parse_flyway_project_config("flyway.conf", "flyway.skipDefaultCallbacks=true\n"); });
  EXPECT_NE(e.message().find("callback"), std::string::npos) << e.message();
  e = bad_input([] { parse_flyway_project_config("flyway.conf", "flyway.encoding=ISO-8859-1\n"); });
  EXPECT_NE(e.message().find("UTF-8 only"), std::string::npos) << e.message();
  // Another placeholder syntax, none at all, and SQL on each connection (a stranger's project
  // stored `#[owner]` as text, and its tables went to the wrong owner, each after a warning).
  e = bad_input([] {
    parse_flyway_project_config("flyway.conf",
                                "flyway.placeholderPrefix=#[\nflyway.placeholderSuffix=]\n");
  });
  EXPECT_NE(e.message().find("flyway.conf:1: flyway.placeholderPrefix = #["), std::string::npos)
      << e.message();
  EXPECT_NE(e.hint().find("${name}"), std::string::npos) << e.hint();
  e = bad_input(
      [] { parse_flyway_project_config("flyway.conf", "flyway.placeholderReplacement=false\n"); });
  EXPECT_NE(e.message().find("flyway.placeholderReplacement = false"), std::string::npos)
      << e.message();
  e = bad_input(
      [] { parse_flyway_project_config("flyway.conf", "flyway.initSql=SET ROLE shop_owner\n"); });
  EXPECT_NE(e.message().find("flyway.initSql = SET ROLE shop_owner"), std::string::npos)
      << e.message();
  EXPECT_NE(e.hint().find("beforeMigrate.sql"), std::string::npos) << e.hint();
  // Flyway's defaults written out, and false, are accepted.
  FlywayProjectConfig config = parse_flyway_project_config(
      "flyway.conf",
      "flyway.sqlMigrationPrefix=V\nflyway.encoding=UTF-8\n"
      "flyway.sqlMigrationSuffixes=.sql\nflyway.skipDefaultCallbacks=false\n"
      "flyway.placeholderPrefix=${\nflyway.placeholderSuffix=}\n"
      "flyway.placeholderReplacement=true\nflyway.initSql=\n");
  EXPECT_EQ(config.ignored_keys.size(), 8u);
}

// flyway.toml's ${env.NAME} and flyway.conf's ${NAME} / ${NAME:default} were kept as text
// (a URL with "${env.DB_HOST}" in it).
TEST(FlywayProjectConfig, ExpandsEnvironmentVariablesAndRefusesOtherResolvers) {
  ASSERT_EQ(setenv("CUTOVER_TEST_DB_HOST", "db.internal", 1), 0);
  unsetenv("CUTOVER_TEST_UNSET");
  FlywayProjectConfig toml = parse_flyway_project_config(
      "flyway.toml",
      "[environments.default]\nurl = \"jdbc:postgresql://${env.CUTOVER_TEST_DB_HOST}:5432/shop\"\n"
      "[flyway]\nplaceholders.owner = \"${flyway:user}\"\n");
  EXPECT_EQ(toml.url, "postgres://db.internal:5432/shop");
  EXPECT_EQ(toml.placeholders.at("owner"), "${flyway:user}");
  FlywayProjectConfig conf =
      parse_flyway_project_config("flyway.conf",
                                  "flyway.url=jdbc:postgresql://${CUTOVER_TEST_DB_HOST}/shop\n"
                                  "flyway.table=${CUTOVER_TEST_UNSET:my_history}\n");
  EXPECT_EQ(conf.url, "postgres://db.internal/shop");
  EXPECT_EQ(conf.table, "my_history");
  Error e = bad_input(
      [] { parse_flyway_project_config("flyway.conf", "flyway.table=${CUTOVER_TEST_UNSET}\n"); });
  EXPECT_NE(e.message().find("flyway.conf:1: flyway.table names the environment variable "
                             "CUTOVER_TEST_UNSET, which is not set"),
            std::string::npos)
      << e.message();
  e = bad_input([] {
    parse_flyway_project_config("flyway.toml", "[flyway]\ntable = \"${localSecret.t}\"\n");
  });
  EXPECT_NE(e.message().find("resolver ${localSecret.t}"), std::string::npos) << e.message();
}

TEST(FlywayProjectConfig, RefusesPasswordsClasspathAndSeveralLocations) {
  Error e = bad_input([] {
    parse_flyway_project_config("flyway.conf",
                                "flyway.url=jdbc:postgresql://h/db\n"
                                "flyway.password=s3cret\n");
  });
  EXPECT_NE(e.message().find("flyway.conf:2: flyway.password"), std::string::npos) << e.message();
  EXPECT_EQ(e.message().find("s3cret"), std::string::npos);
  EXPECT_NE(e.hint().find("PGPASSWORD"), std::string::npos);
  e = bad_input([] {
    parse_flyway_project_config("flyway.conf",
                                "flyway.url=jdbc:postgresql://h/db?user=u&password=s3cret\n");
  });
  EXPECT_EQ(e.message().find("s3cret"), std::string::npos) << e.message();
  EXPECT_NE(e.hint().find("--password-file"), std::string::npos);
  e = bad_input([] {
    parse_flyway_project_config("flyway.toml", "[environments.default]\npassword = \"x\"\n");
  });
  EXPECT_NE(e.message().find("password"), std::string::npos);
  e = bad_input([] {
    parse_flyway_project_config("flyway.conf", "flyway.locations=classpath:db/migration");
  });
  EXPECT_NE(e.message().find("classpath:db/migration"), std::string::npos) << e.message();
  e = bad_input([] {
    parse_flyway_project_config("flyway.conf", "flyway.locations=filesystem:a,filesystem:b");
  });
  EXPECT_NE(e.message().find("2 locations"), std::string::npos) << e.message();
  e = bad_input(
      [] { parse_flyway_project_config("flyway.conf", "flyway.url=jdbc:oracle:thin:@h"); });
  EXPECT_NE(e.message().find("jdbc:oracle"), std::string::npos) << e.message();
  e = bad_input([] { parse_flyway_project_config("flyway.conf", "flyway.outOfOrder=yes"); });
  EXPECT_NE(e.message().find("flyway.outOfOrder"), std::string::npos) << e.message();
}

// A folder of scripts, for what load_migrations reads beside them.
class FlywayScriptFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-flyway-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(folder_ / name, std::ios::binary) << text;
  }
  fs::path folder_;
};

TEST_F(FlywayScriptFiles, DropsAByteOrderMarkKeepingFlywaysChecksum) {
  write("V1__bom.sql",
        "\xEF\xBB\xBF"
        "CREATE TABLE t (id int);\n");
  const auto scripts = load_migrations(folder_);
  ASSERT_EQ(scripts.size(), 1u);
  EXPECT_EQ(scripts[0].text.view(), "CREATE TABLE t (id int);\n");
  // Flyway's checksum skips the mark: the same as the file without it.
  EXPECT_EQ(scripts[0].checksum, flyway_checksum("CREATE TABLE t (id int);\n"));
}

TEST_F(FlywayScriptFiles, ReadsAScriptConfigFileBesideItsScript) {
  write("V1__index.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\n");
  write("V1__index.sql.conf", "# Flyway script config\nexecuteInTransaction=false\nfoo=bar\n");
  write("V2__plain.sql", "SELECT 1;\n");
  const auto scripts = load_migrations(folder_);
  ASSERT_EQ(scripts.size(), 2u);  // the .conf file is no migration, and no bad name either
  EXPECT_TRUE(scripts[0].options.no_transaction);
  ASSERT_EQ(scripts[0].options.warnings.size(), 1u);
  EXPECT_NE(scripts[0].options.warnings[0].find("V1__index.sql.conf: Flyway script setting 'foo'"),
            std::string::npos)
      << scripts[0].options.warnings[0];
  EXPECT_FALSE(scripts[1].options.no_transaction);
}

TEST_F(FlywayScriptFiles, RefusesABadScriptConfigValueNamingTheFile) {
  write("V1__index.sql", "SELECT 1;\n");
  write("V1__index.sql.conf", "executeInTransaction=maybe\n");
  const Error e = bad_input([&] { load_migrations(folder_); });
  EXPECT_NE(e.message().find("V1__index.sql.conf:1"), std::string::npos) << e.message();
}

}  // namespace
}  // namespace cutover::migrate
