// Connection strings of moved databases: without password, with another database, as a key.
#include "move/database_address.h"

#include <fmt/format.h>

#include <cctype>

namespace cutover::move {
namespace {

// A SQLite file: `database` itself when it is a path, else a file of the directory `url` names.
std::string sqlite_path(const ConnectionUrl& url, std::string_view database) {
  if (database.starts_with("/") || url.database.empty()) return std::string(database);
  std::string dir = url.database;
  if (!dir.ends_with("/")) dir += "/";
  return dir + std::string(database);
}

// The connection string naming `database`, with the password only when `keep_password`.
std::string compose(const ConnectionUrl& url, std::string_view database, bool keep_password) {
  if (url.scheme == Scheme::kSqlite) return "sqlite:" + sqlite_path(url, database);
  ConnectionUrl named = url;
  named.database = database;
  return compose_connection_url(named, keep_password);
}

}  // namespace

std::string url_without_password(const ConnectionUrl& url) {
  return compose(url, url.database, false);
}

std::string url_with_database(const ConnectionUrl& url, std::string_view database) {
  return compose(url, database, true);
}

std::string database_key(const ConnectionUrl& url, std::string_view database) {
  if (url.scheme == Scheme::kSqlite) return "sqlite:" + sqlite_path(url, database);
  std::string host = url.host.empty() ? "local" : url.host;
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("{}:{}/{}", host,
                     url.port.value_or(url.scheme == Scheme::kMariaDb ? 3306 : 5432), database);
}

}  // namespace cutover::move
