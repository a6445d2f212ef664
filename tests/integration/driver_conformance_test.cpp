// One driver conformance suite: the same cases run on SQLite, PostgreSQL, MariaDB and on each
// node of the 3-node Galera cluster, against real servers started by scripts/test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <string>
#include <thread>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/error_kind.h"
#include "db/registry.h"
#include "db/transaction.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using db::Connection;
using db::Flavor;
using test::Backend;
using test::ScratchDatabase;

struct Target {
  Backend backend;
  size_t node;  // Galera node index; 0 elsewhere
};

std::string target_name(const testing::TestParamInfo<Target>& info) {
  return info.param.backend == Backend::kGalera ? "node" + std::to_string(info.param.node + 1)
                                                : "single";
}

// The SQL that differs between dialects, kept in one place so the cases read the same.
struct DialectSql {
  std::string text_key;    // a text type usable in a primary or unique key
  std::string long_text;   // a text type for long values
  std::string slow_query;  // runs for far longer than any test waits
  std::string series;      // rows 1..$1 as column n
};

DialectSql dialect_sql(Flavor flavor) {
  switch (flavor) {
    case Flavor::kPostgres:
      return {"text", "text", "SELECT pg_sleep(60)",
              "SELECT g AS n FROM generate_series(1, $1::int) AS g"};
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return {"VARCHAR(200)", "LONGTEXT", "SELECT SLEEP(60)",
              "SELECT seq AS n FROM seq_1_to_100000 WHERE seq <= $1"};
    case Flavor::kSqlite:
      return {"TEXT", "TEXT",
              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
              "SELECT count(*) FROM c",
              "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $1) "
              "SELECT n FROM s"};
  }
  return {};
}

class DriverConformance : public testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<ScratchDatabase>(GetParam().backend);
    conn_ = scratch_->connect(GetParam().node);
    sql_ = dialect_sql(conn_->server().flavor);
  }

  Flavor flavor() const { return conn_->server().flavor; }
  bool is_mariadb() const { return flavor() == Flavor::kMariaDb || flavor() == Flavor::kMySql; }
  std::unique_ptr<Connection> second_connection() { return scratch_->connect(GetParam().node); }

  // A URL to the same server with another user-info, port or database.
  std::string url_with(const std::string& userinfo, int port, const std::string& database) {
    ConnectionUrl url = parse_connection_url(scratch_->urls().at(GetParam().node));
    std::string scheme = url.scheme == Scheme::kPostgres ? "postgres" : "mariadb";
    return scheme + "://" + userinfo + "@127.0.0.1:" + std::to_string(port) + "/" + database;
  }

  std::unique_ptr<ScratchDatabase> scratch_;
  std::unique_ptr<Connection> conn_;
  DialectSql sql_;
};

// Runs `fn`, which must throw cutover::Error, and returns the error.
template <typename Fn>
Error expect_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a cutover::Error";
  return Error(ErrorCode::kOperationFailed, "no error");
}

TEST_P(DriverConformance, IdentifiesTheServer) {
  const auto& info = conn_->server();
  EXPECT_FALSE(info.version.empty());
  EXPECT_GT(info.version_number, 0);
  EXPECT_FALSE(info.read_only);
  switch (GetParam().backend) {
    case Backend::kSqlite:
      EXPECT_EQ(info.flavor, Flavor::kSqlite);
      EXPECT_NE(info.database.find(scratch_->name()), std::string::npos) << info.database;
      break;
    case Backend::kPostgres:
      EXPECT_EQ(info.flavor, Flavor::kPostgres);
      EXPECT_GE(info.version_number, 150000);
      EXPECT_EQ(info.database, scratch_->name());
      EXPECT_EQ(info.user, "postgres");
      EXPECT_FALSE(info.behind_pooler);
      break;
    case Backend::kMariaDb:
      EXPECT_EQ(info.flavor, Flavor::kMariaDb);
      EXPECT_GE(info.version_number, 101100);
      EXPECT_EQ(info.database, scratch_->name());
      EXPECT_FALSE(info.galera);
      break;
    case Backend::kGalera:
      EXPECT_EQ(info.flavor, Flavor::kMariaDb);
      EXPECT_TRUE(info.galera);
      EXPECT_EQ(info.galera_cluster_size, 3);
      EXPECT_FALSE(info.galera_node.empty());
      break;
  }
  EXPECT_TRUE(conn_->can_create_tables());
  EXPECT_EQ(conn_->redacted_url(), redact(scratch_->urls().at(GetParam().node)));
}

TEST_P(DriverConformance, RoundTripsValuesThroughParameters) {
  conn_->execute("CREATE TABLE items (id BIGINT PRIMARY KEY, name " + sql_.text_key +
                 ", price DOUBLE PRECISION, note " + sql_.long_text + ")");
  std::string unicode = "Zoë — 東京 🚀 'quoted' \"double\" back\\slash $1";
  EXPECT_EQ(conn_->execute("INSERT INTO items (id, name, price, note) VALUES ($1, $2, $3, $4)",
                           {1, unicode, 2.5, nullptr}),
            1);
  EXPECT_EQ(conn_->execute("INSERT INTO items (id, name, price, note) VALUES ($1, $2, $3, $4)",
                           {std::int64_t{9007199254740993}, "big", -0.125, "n"}),
            1);
  auto result = conn_->query("SELECT id, name, price, note FROM items ORDER BY id");
  ASSERT_EQ(result.rows.size(), 2u);
  ASSERT_EQ(result.columns, (std::vector<std::string>{"id", "name", "price", "note"}));
  EXPECT_EQ(result.rows[0][0].as_int(), 1);
  EXPECT_EQ(result.rows[0][1].text(), unicode);
  EXPECT_DOUBLE_EQ(result.rows[0][2].as_double(), 2.5);
  EXPECT_TRUE(result.rows[0][3].is_null());
  EXPECT_EQ(result.rows[1][0].as_int(), 9007199254740993);
  EXPECT_DOUBLE_EQ(result.rows[1][2].as_double(), -0.125);
  EXPECT_EQ(result.rows[1][3].text(), "n");
}

TEST_P(DriverConformance, ParametersMayRepeatAndComeOutOfOrder) {
  auto row = conn_->query("SELECT $2 AS b, $1 AS a, $1 AS a2", {"first", "second"}).rows.at(0);
  EXPECT_EQ(row.at(0).text(), "second");
  EXPECT_EQ(row.at(1).text(), "first");
  EXPECT_EQ(row.at(2).text(), "first");
}

TEST_P(DriverConformance, DollarSignsInsideLiteralsAreNotParameters) {
  auto row = conn_->query("SELECT '$1' AS lit, $1 AS p /* $2 */", {"value"}).rows.at(0);
  EXPECT_EQ(row.at(0).text(), "$1");
  EXPECT_EQ(row.at(1).text(), "value");
}

TEST_P(DriverConformance, ReportsAffectedRows) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
  for (int i = 1; i <= 5; ++i) conn_->execute("INSERT INTO t VALUES ($1, $2)", {i, i % 2});
  EXPECT_EQ(conn_->execute("UPDATE t SET v = 7 WHERE v = $1", {1}), 3);
  EXPECT_EQ(conn_->execute("DELETE FROM t WHERE v = $1", {0}), 2);
  EXPECT_EQ(conn_->query("SELECT count(*) FROM t").scalar().as_int(), 3);
}

TEST_P(DriverConformance, CommitKeepsAndRollbackDiscards) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  EXPECT_FALSE(conn_->in_transaction());
  conn_->begin();
  EXPECT_TRUE(conn_->in_transaction());
  conn_->execute("INSERT INTO t VALUES (1)");
  conn_->commit();
  EXPECT_FALSE(conn_->in_transaction());
  conn_->begin();
  conn_->execute("INSERT INTO t VALUES (2)");
  conn_->rollback();
  EXPECT_FALSE(conn_->in_transaction());
  conn_->rollback();  // no transaction: a no-op
  auto other = second_connection();
  EXPECT_EQ(other->query("SELECT count(*) FROM t").scalar().as_int(), 1);
}

// MariaDB's START TRANSACTION commits an open transaction silently; every driver refuses it
// instead, with the same error, and the open transaction stays as it was.
TEST_P(DriverConformance, BeginInsideAnOpenTransactionThrowsAndKeepsIt) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  conn_->begin();
  conn_->execute("INSERT INTO t VALUES (1)");
  Error e = expect_error([&] { conn_->begin(); });
  EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
  EXPECT_EQ(e.message(), db::transaction_already_open().message());
  EXPECT_TRUE(conn_->in_transaction());
  conn_->rollback();
  EXPECT_EQ(conn_->query("SELECT count(*) FROM t").scalar().as_int(), 0)
      << "the first transaction was committed by the second begin()";
}

TEST_P(DriverConformance, TransactionGuardRollsBackUnlessCommitted) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  {
    db::Transaction transaction(*conn_);
    conn_->execute("INSERT INTO t VALUES (1)");
    transaction.commit();
  }
  EXPECT_FALSE(conn_->in_transaction());
  try {
    db::Transaction transaction(*conn_);
    conn_->execute("INSERT INTO t VALUES (2)");
    conn_->execute("INSERT INTO t VALUES (1)");  // duplicate key
    transaction.commit();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.db_failure(), DbFailure::kStatement) << "the original error, not the rollback's";
  }
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(conn_->query("SELECT count(*) FROM t").scalar().as_int(), 1);
}

// A lock timeout below one second holds on every server, for a statement waiting for a table
// lock (an ALTER behind a transaction that read the table). MariaDB's lock_wait_timeout takes
// whole seconds: the driver cancels the wait itself. On Galera a DDL (TOI) does not wait: it
// aborts the transaction that holds the lock.
TEST_P(DriverConformance, SubSecondLockTimeoutEndsAWaitForATableLock) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  auto holder = second_connection();
  holder->begin();
  holder->query("SELECT count(*) FROM t");
  conn_->set_timeouts({.lock = std::chrono::milliseconds(300)});
  if (GetParam().backend == Backend::kGalera) {
    conn_->execute("ALTER TABLE t ADD COLUMN c INTEGER");
    Error aborted = expect_error([&] {
      holder->query("SELECT count(*) FROM t");
      holder->commit();
    });
    EXPECT_EQ(aborted.vendor_code(), 1213) << aborted.message();
    holder->rollback();
    conn_->set_timeouts({});
    return;
  }
  Error e = expect_error([&] { conn_->execute("ALTER TABLE t ADD COLUMN c INTEGER"); });
  EXPECT_EQ(db::classify(flavor(), e), db::ErrorKind::kLockTimeout) << e.message();
  if (is_mariadb()) {
    EXPECT_EQ(e.vendor_code(), 1205) << e.message();
    // Ended by the driver at 300 ms, not by the server's limit rounded up to a second.
    EXPECT_NE(e.message().find("waited 300 ms for a table lock"), std::string::npos)
        << e.message();
  }
  holder->rollback();
  conn_->execute("ALTER TABLE t ADD COLUMN c INTEGER");
  conn_->set_timeouts({});
}

TEST_P(DriverConformance, UniqueViolationCarriesSqlstateAndKeepsConnectionUsable) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  conn_->execute("INSERT INTO t VALUES (1)");
  Error e = expect_error([&] { conn_->execute("INSERT INTO t VALUES (1)"); });
  EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
  EXPECT_EQ(e.db_failure(), DbFailure::kStatement);
  if (is_mariadb()) {
    EXPECT_EQ(e.sqlstate(), "23000");
    EXPECT_EQ(e.vendor_code(), 1062);
  } else {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  EXPECT_EQ(conn_->query("SELECT count(*) FROM t").scalar().as_int(), 1);
}

TEST_P(DriverConformance, SyntaxErrorCarriesSqlstate) {
  Error e = expect_error([&] { conn_->query("SELEKT 1"); });
  EXPECT_EQ(e.db_failure(), DbFailure::kStatement);
  EXPECT_EQ(e.sqlstate(), is_mariadb() ? "42000" : "42601");
  if (is_mariadb()) {
    EXPECT_EQ(e.vendor_code(), 1064);
  }
  EXPECT_NE(e.message().find("SELEKT"), std::string::npos) << e.message();
  EXPECT_EQ(conn_->query("SELECT 1").scalar().as_int(), 1);
}

TEST_P(DriverConformance, LockTimeoutEndsAWaitForALockedRow) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
  conn_->execute("INSERT INTO t VALUES (1, 0)");
  auto holder = second_connection();
  holder->begin();
  holder->execute("UPDATE t SET v = 1 WHERE id = 1");

  conn_->set_timeouts({.lock = std::chrono::milliseconds(300)});
  Error e = expect_error([&] { conn_->execute("UPDATE t SET v = 2 WHERE id = 1"); });
  if (is_mariadb()) {
    EXPECT_EQ(e.vendor_code(), 1205);  // ER_LOCK_WAIT_TIMEOUT
  } else {
    EXPECT_EQ(e.sqlstate(), "55P03");
  }
  holder->rollback();
  conn_->set_timeouts({});
  conn_->rollback();
  EXPECT_EQ(conn_->execute("UPDATE t SET v = 3 WHERE id = 1"), 1);
}

TEST_P(DriverConformance, StatementTimeoutCancelsALongQuery) {
  conn_->set_timeouts({.statement = std::chrono::milliseconds(200)});
  Error e = expect_error([&] { conn_->query(sql_.slow_query); });
  EXPECT_EQ(e.db_failure(), DbFailure::kCancelled) << e.message();
  conn_->set_timeouts({});
  EXPECT_EQ(conn_->query("SELECT 1").scalar().as_int(), 1);
}

TEST_P(DriverConformance, CancelFromAnotherThreadStopsTheStatement) {
  auto canceller = conn_->canceller();
  std::atomic<bool> done{false};
  // Cancel repeatedly until the statement returns: the first cancel may land before it starts.
  std::thread cancel_thread([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!done) canceller->cancel();
    }
  });
  Error e = expect_error([&] { conn_->query(sql_.slow_query); });
  done = true;
  cancel_thread.join();
  EXPECT_EQ(e.db_failure(), DbFailure::kCancelled) << e.message();
  EXPECT_EQ(conn_->query("SELECT 1").scalar().as_int(), 1);
}

TEST_P(DriverConformance, StreamsRowsAndStopsEarly) {
  std::int64_t seen = 0;
  auto columns = conn_->query_stream(sql_.series, {10000}, [&](const db::Row& row) {
    ++seen;
    EXPECT_EQ(row.at(0).as_int(), seen);
    return true;
  });
  EXPECT_EQ(seen, 10000);
  EXPECT_EQ(columns, std::vector<std::string>{"n"});

  seen = 0;
  conn_->query_stream(sql_.series, {50000}, [&](const db::Row&) { return ++seen < 100; });
  EXPECT_EQ(seen, 100);
  EXPECT_EQ(conn_->query("SELECT 41 + 1").scalar().as_int(), 42);
}

TEST_P(DriverConformance, BulkLoadsTrickyRows) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body " + sql_.long_text + ")");
  auto text_for = [](int i) -> db::Value {
    if (i % 7 == 0) return nullptr;
    return "row " + std::to_string(i) + "\ttab\nnewline\r\\back\\slash 'q' \"dq\" ;, ünï 🚀 \\N";
  };
  constexpr int kRows = 5000;
  auto loader = conn_->bulk_load("t", {"id", "body"});
  for (int i = 0; i < kRows; ++i) loader->add_row({i, text_for(i)});
  EXPECT_EQ(loader->finish(), kRows);

  int checked = 0;
  conn_->query_stream("SELECT id, body FROM t ORDER BY id", {}, [&](const db::Row& row) {
    EXPECT_EQ(row.at(0).as_int(), checked);
    EXPECT_EQ(row.at(1).as_optional_text(), text_for(checked).as_optional_text());
    ++checked;
    return true;
  });
  EXPECT_EQ(checked, kRows);
}

TEST_P(DriverConformance, QuotesIdentifiers) {
  std::string name = "odd \"name\" `x`";
  std::string quoted = conn_->quote_identifier(name);
  conn_->execute("CREATE TABLE " + quoted + " (" + conn_->quote_identifier("select") + " INTEGER)");
  conn_->execute("INSERT INTO " + quoted + " VALUES (5)");
  EXPECT_EQ(conn_->query("SELECT " + conn_->quote_identifier("select") + " FROM " + quoted)
                .scalar()
                .as_int(),
            5);
  EXPECT_NE(conn_->introspect().find_table(name), nullptr);
}

// Creates one of every kind of object the introspection reports, in the dialect at hand.
void create_catalog_fixture(Connection& c, Flavor flavor) {
  bool maria = flavor == Flavor::kMariaDb || flavor == Flavor::kMySql;
  std::string text = maria ? "VARCHAR(100)" : "TEXT";
  c.execute("CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email " + text +
            " NOT NULL, name " + text +
            " DEFAULT 'anon', age INTEGER, "
            "CONSTRAINT users_email_key UNIQUE (email), "
            "CONSTRAINT users_age_check CHECK (age >= 0))");
  c.execute(
      "CREATE TABLE addresses (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL, "
      "line1 " +
      text +
      ", "
      "CONSTRAINT addresses_user_fk FOREIGN KEY (user_id) REFERENCES users (id) "
      "ON DELETE CASCADE)");
  c.execute("CREATE INDEX addresses_user_idx ON addresses (user_id, line1)");
  c.execute("CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18");
  switch (flavor) {
    case Flavor::kPostgres:
      c.execute(
          "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
          "$$ BEGIN RETURN NEW; END $$");
      c.execute(
          "CREATE TRIGGER users_touch BEFORE INSERT OR UPDATE ON users "
          "FOR EACH ROW EXECUTE FUNCTION touch()");
      c.execute("CREATE SEQUENCE invoice_numbers");
      break;
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      c.execute(
          "CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW SET NEW.name = "
          "COALESCE(NEW.name, 'anon')");
      // Galera refuses cached sequences: each node would hand out its own cache.
      c.execute("CREATE SEQUENCE invoice_numbers NOCACHE");
      break;
    case Flavor::kSqlite:
      c.execute(
          "CREATE TRIGGER users_touch AFTER INSERT ON users BEGIN "
          "UPDATE users SET name = coalesce(name, 'anon') WHERE id = NEW.id; END");
      break;
  }
  c.execute("INSERT INTO users (id, email, age) VALUES (1, 'a@example.com', 30)");
  c.execute("INSERT INTO addresses VALUES (10, 1, 'Main St 1')");
}

TEST_P(DriverConformance, IntrospectsTablesKeysIndexesReferencesChecksTriggersViews) {
  create_catalog_fixture(*conn_, flavor());
  auto catalog = conn_->introspect();

  ASSERT_EQ(catalog.tables.size(), 2u);
  EXPECT_EQ(catalog.tables[0].name, "addresses");  // sorted by name
  const auto* users = catalog.find_table("users");
  const auto* addresses = catalog.find_table("addresses");
  ASSERT_NE(users, nullptr);
  ASSERT_NE(addresses, nullptr);

  ASSERT_EQ(users->columns.size(), 4u);
  EXPECT_EQ(users->columns[0].name, "id");
  EXPECT_EQ(users->columns[0].ordinal, 1);
  EXPECT_FALSE(users->columns[0].nullable);
  EXPECT_FALSE(users->find_column("email")->nullable);
  EXPECT_TRUE(users->find_column("age")->nullable);
  ASSERT_TRUE(users->find_column("name")->default_expr.has_value());
  EXPECT_NE(users->find_column("name")->default_expr->find("anon"), std::string::npos);
  EXPECT_FALSE(users->find_column("age")->default_expr.has_value());
  std::string age_type = users->find_column("age")->type;
  std::transform(age_type.begin(), age_type.end(), age_type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_NE(age_type.find("int"), std::string::npos) << age_type;

  ASSERT_TRUE(users->primary_key.has_value());
  EXPECT_EQ(users->primary_key->columns, std::vector<std::string>{"id"});
  ASSERT_EQ(users->unique_keys.size(), 1u);
  EXPECT_EQ(users->unique_keys[0].columns, std::vector<std::string>{"email"});
  if (flavor() != Flavor::kSqlite) {
    EXPECT_EQ(users->unique_keys[0].name, "users_email_key");
  }

  ASSERT_EQ(users->checks.size(), 1u);
  EXPECT_NE(users->checks[0].expression.find("age"), std::string::npos);
  EXPECT_EQ(users->checks[0].name, "users_age_check");

  ASSERT_EQ(users->triggers.size(), 1u);
  EXPECT_EQ(users->triggers[0].name, "users_touch");
  EXPECT_NE(users->triggers[0].events.find("INSERT"), std::string::npos);

  const db::IndexInfo* idx = nullptr;
  for (const auto& i : addresses->indexes) {
    if (i.name == "addresses_user_idx") idx = &i;
  }
  ASSERT_NE(idx, nullptr);
  EXPECT_EQ(idx->columns, (std::vector<std::string>{"user_id", "line1"}));
  EXPECT_FALSE(idx->unique);
  EXPECT_TRUE(idx->valid);

  ASSERT_EQ(addresses->foreign_keys.size(), 1u);
  const auto& fk = addresses->foreign_keys[0];
  EXPECT_EQ(fk.columns, std::vector<std::string>{"user_id"});
  EXPECT_EQ(fk.ref_table, "users");
  EXPECT_EQ(fk.ref_columns, std::vector<std::string>{"id"});
  EXPECT_EQ(fk.on_delete, "CASCADE");
  if (flavor() != Flavor::kSqlite) {
    EXPECT_EQ(fk.name, "addresses_user_fk");
  }

  ASSERT_EQ(catalog.views.size(), 1u);
  EXPECT_EQ(catalog.views[0].name, "adults");
  EXPECT_NE(catalog.views[0].definition.find("18"), std::string::npos);

  if (flavor() == Flavor::kSqlite) {
    EXPECT_TRUE(catalog.sequences.empty());
  } else {
    ASSERT_EQ(catalog.sequences.size(), 1u);
    EXPECT_EQ(catalog.sequences[0].name, "invoice_numbers");
    EXPECT_GT(users->size_bytes, 0);
  }
  EXPECT_GT(catalog.size_bytes, 0);
}

TEST_P(DriverConformance, CopyChannelExistsOnlyOnPostgres) {
  if (flavor() != Flavor::kPostgres) {
    EXPECT_EQ(conn_->copy(), nullptr);
    return;
  }
  conn_->execute("CREATE TABLE src (id integer, body text, at timestamptz)");
  conn_->execute("CREATE TABLE dst (LIKE src)");
  conn_->execute(
      "INSERT INTO src SELECT g, md5(g::text) || E'\\t\\n', now() "
      "FROM generate_series(1, 20000) g");
  conn_->execute("INSERT INTO src VALUES (0, NULL, NULL)");
  std::string buffer;
  auto rows_out = conn_->copy()->copy_out("COPY src TO STDOUT (FORMAT binary)",
                                          [&](std::string_view chunk) { buffer += chunk; });
  EXPECT_EQ(rows_out, 20001);
  auto target = second_connection();
  bool sent = false;
  auto rows_in = target->copy()->copy_in("COPY dst FROM STDIN (FORMAT binary)",
                                         [&]() -> std::optional<std::string_view> {
                                           if (sent) return std::nullopt;
                                           sent = true;
                                           return std::string_view(buffer);
                                         });
  EXPECT_EQ(rows_in, 20001);
  EXPECT_EQ(conn_->query("SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d")
                .scalar()
                .as_int(),
            0);
}

TEST_P(DriverConformance, ConnectFailuresAreBadInputWithoutThePassword) {
  const std::string secret = "Wr0ngSecret-42";
  std::vector<std::string> bad;
  if (GetParam().backend == Backend::kSqlite) {
    bad = {"sqlite:/nonexistent-dir-cutover/x.db"};
  } else {
    ConnectionUrl real = parse_connection_url(scratch_->urls().at(GetParam().node));
    int port = real.port.value_or(0);
    bad = {url_with(real.user + ":" + secret, port, scratch_->name()),  // wrong password
           url_with(real.user + ":" + secret, 1, scratch_->name()),     // nothing listens on 1
           url_with(real.user, port, "no_such_database_cutover")};
  }
  for (const auto& url : bad) {
    Error e = expect_error([&] { db::connect(url); });
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.message();
    EXPECT_EQ(e.db_failure(), DbFailure::kConnect) << e.message();
    EXPECT_FALSE(e.hint().empty()) << e.message();
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    EXPECT_EQ(e.hint().find(secret), std::string::npos) << e.hint();
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DriverConformance, testing::Values(Target{Backend::kSqlite, 0}),
                         target_name);
INSTANTIATE_TEST_SUITE_P(Postgres, DriverConformance,
                         testing::Values(Target{Backend::kPostgres, 0}), target_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, DriverConformance, testing::Values(Target{Backend::kMariaDb, 0}),
                         target_name);
INSTANTIATE_TEST_SUITE_P(Galera, DriverConformance,
                         testing::Values(Target{Backend::kGalera, 0}, Target{Backend::kGalera, 1},
                                         Target{Backend::kGalera, 2}),
                         target_name);

// Galera only: a write committed through one node is read through every other.
class GaleraReplication : public testing::TestWithParam<Target> {};

TEST_P(GaleraReplication, WriteOnOneNodeIsReadOnEveryNode) {
  ScratchDatabase scratch(Backend::kGalera);
  auto writer = scratch.connect(GetParam().node);
  writer->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, node VARCHAR(20))");
  writer->execute("INSERT INTO t VALUES (1, $1)", {writer->server().galera_node});
  for (size_t node = 0; node < 3; ++node) {
    auto reader = scratch.connect(node);
    // wsrep_sync_wait makes the read wait until the node has applied every earlier write.
    reader->execute("SET SESSION wsrep_sync_wait = 1");
    EXPECT_EQ(reader->query("SELECT node FROM t WHERE id = 1").scalar().text(),
              writer->server().galera_node);
  }
}

INSTANTIATE_TEST_SUITE_P(Galera, GaleraReplication,
                         testing::Values(Target{Backend::kGalera, 0}, Target{Backend::kGalera, 1},
                                         Target{Backend::kGalera, 2}),
                         target_name);

}  // namespace
}  // namespace cutover
