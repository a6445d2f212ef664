// Where integration tests find the throwaway servers scripts/test started.
#include "support/test_servers.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "db/registry.h"

namespace cutover::test {
namespace {

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 100000);
}

// Galera applies DDL on the other nodes in total order, but not necessarily before CREATE
// DATABASE returns on the first: poll each node until the database is there.
void wait_for_database(const std::string& node_url, const std::string& name) {
  auto node = db::connect(node_url);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (
      node->query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $1", {name})
          .scalar()
          .as_int() == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("database " + name + " did not reach Galera node " + node_url);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through scripts/test, or start the "
                             "servers with eval \"$(scripts/servers/up)\"");
  }
  return value;
}

std::string postgres_url() { return required_env("CUTOVER_TEST_PG_URL"); }
std::string postgres2_url() { return required_env("CUTOVER_TEST_PG2_URL"); }
std::string mariadb_url() { return required_env("CUTOVER_TEST_MARIADB_URL"); }

std::vector<std::string> galera_urls() {
  std::vector<std::string> urls;
  std::stringstream in(required_env("CUTOVER_TEST_GALERA_URLS"));
  for (std::string url; std::getline(in, url, ',');) {
    if (!url.empty()) urls.push_back(url);
  }
  if (urls.size() != 3) {
    throw std::runtime_error("CUTOVER_TEST_GALERA_URLS must list the 3 nodes, comma-separated");
  }
  return urls;
}

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return "Sqlite";
    case Backend::kPostgres:
      return "Postgres";
    case Backend::kMariaDb:
      return "MariaDb";
    case Backend::kGalera:
      return "Galera";
  }
  return "?";
}

std::string with_database(const std::string& url, const std::string& database) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw std::runtime_error("not a URL: " + url);
  auto path = url.find('/', scheme_end + 3);
  auto query = url.find('?', scheme_end + 3);
  std::string base = url.substr(0, std::min(path, query));
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + database + tail;
}

ScratchDatabase::ScratchDatabase(Backend backend) : backend_(backend) {
  name_ = "cutover_t_" + unique_suffix();
  switch (backend) {
    case Backend::kSqlite: {
      auto dir = std::filesystem::temp_directory_path() / "cutover-tests";
      std::filesystem::create_directories(dir);
      urls_.push_back("sqlite:" + (dir / (name_ + ".db")).string());
      return;
    }
    case Backend::kPostgres:
      admin_url_ = postgres_url();
      break;
    case Backend::kMariaDb:
      admin_url_ = mariadb_url();
      break;
    case Backend::kGalera:
      admin_url_ = galera_urls().front();
      break;
  }
  auto admin = db::connect(admin_url_);
  admin->execute("CREATE DATABASE " + admin->quote_identifier(name_));
  if (backend == Backend::kGalera) {
    for (const auto& node : galera_urls()) {
      wait_for_database(node, name_);
      urls_.push_back(with_database(node, name_));
    }
  } else {
    urls_.push_back(with_database(admin_url_, name_));
  }
}

ScratchDatabase::ScratchDatabase(const ScratchDatabase& original, Backend backend)
    : backend_(backend) {
  if (backend != original.backend_ ||
      (backend != Backend::kSqlite && backend != Backend::kPostgres)) {
    throw std::logic_error("a scratch database is copied on SQLite and PostgreSQL only");
  }
  name_ = "cutover_t_" + unique_suffix();
  if (backend == Backend::kSqlite) {
    const std::string from = original.url().substr(7);
    const std::string to = (std::filesystem::path(from).parent_path() / (name_ + ".db")).string();
    for (const char* suffix : {"", "-wal"}) {
      if (std::filesystem::exists(from + suffix)) {
        std::filesystem::copy_file(from + suffix, to + suffix);
      }
    }
    urls_.push_back("sqlite:" + to);
    return;
  }
  admin_url_ = original.admin_url_;
  auto admin = db::connect(admin_url_);
  admin->execute("CREATE DATABASE " + admin->quote_identifier(name_) + " TEMPLATE " +
                 admin->quote_identifier(original.name_));
  urls_.push_back(with_database(admin_url_, name_));
}

ScratchDatabase::~ScratchDatabase() {
  try {
    if (backend_ == Backend::kSqlite) {
      std::string path = urls_.front().substr(7);
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::filesystem::remove(path + suffix);
      }
      return;
    }
    auto admin = db::connect(admin_url_);
    std::string force = backend_ == Backend::kPostgres ? " WITH (FORCE)" : "";
    admin->execute("DROP DATABASE IF EXISTS " + admin->quote_identifier(name_) + force);
  } catch (const std::exception&) {
    // The server is going away with the test run; a leftover scratch database is harmless.
  }
}

std::unique_ptr<db::Connection> ScratchDatabase::connect(size_t node) const {
  return db::connect(urls_.at(node));
}

std::vector<std::string> postgres_login_superusers() {
  std::set<std::string> roles;
  for (const auto& url : {postgres_url(), postgres2_url()}) {
    for (const auto& row :
         db::connect(url)
             ->query("SELECT rolname FROM pg_roles WHERE rolsuper AND rolcanlogin")
             .rows) {
      roles.insert(row[0].text());
    }
  }
  return {roles.begin(), roles.end()};
}

}  // namespace cutover::test
