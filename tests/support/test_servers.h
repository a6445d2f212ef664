// Where integration tests find the throwaway servers scripts/test started, and scratch
// databases on them so that tests do not see each other's tables.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::test {

enum class Backend { kSqlite, kPostgres, kMariaDb, kGalera };

// Reads an environment variable that scripts/test sets. Throws std::runtime_error naming the
// variable and how to set it when it is missing, so that the test fails instead of skipping.
std::string required_env(const char* name);

std::string postgres_url();              // CUTOVER_TEST_PG_URL
std::string postgres2_url();             // CUTOVER_TEST_PG2_URL: a second cluster
std::string mariadb_url();               // CUTOVER_TEST_MARIADB_URL
std::vector<std::string> galera_urls();  // CUTOVER_TEST_GALERA_URLS: one per node, comma-separated

// A database created for one test and dropped when the object goes: a fresh file for SQLite,
// CREATE DATABASE on PostgreSQL, MariaDB and Galera (on node 1, replicated to the others).
class ScratchDatabase {
 public:
  explicit ScratchDatabase(Backend backend);
  // A copy of `original` (SQLite and PostgreSQL, where it is CREATE DATABASE ... TEMPLATE:
  // nobody may be connected to `original` meanwhile): a state prepared once, tried many times.
  explicit ScratchDatabase(const ScratchDatabase& original, Backend backend);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  // URLs that reach the scratch database: one entry, or one per node for Galera.
  const std::vector<std::string>& urls() const { return urls_; }
  const std::string& url() const { return urls_.front(); }
  const std::string& name() const { return name_; }
  std::unique_ptr<db::Connection> connect(size_t node = 0) const;

 private:
  Backend backend_;
  std::string name_;
  std::string admin_url_;
  std::vector<std::string> urls_;
};

const char* backend_name(Backend backend);

// The login superusers of both PostgreSQL servers, sorted: the roles a move's freeze by
// privileges cannot stop, which tests name with --allow-unfrozen.
std::vector<std::string> postgres_login_superusers();

// Replaces the database part of a postgres:// or mariadb:// URL.
std::string with_database(const std::string& url, const std::string& database);

}  // namespace cutover::test
