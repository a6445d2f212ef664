// Connection strings of moved databases: without password, with another database, as a key.
#include "move/database_address.h"

#include <fmt/format.h>

#include <cctype>

namespace cutover::move {
namespace {

bool is_password_key(const std::string& key) {
  return key == "password" || key == "sslpassword" || key == "pwd" || key == "pass";
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string keyword_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A SQLite file: `database` itself when it is a path, else a file of the directory `url` names.
std::string sqlite_path(const ConnectionUrl& url, std::string_view database) {
  if (database.starts_with("/") || url.database.empty()) return std::string(database);
  std::string dir = url.database;
  if (!dir.ends_with("/")) dir += "/";
  return dir + std::string(database);
}

// The connection string rebuilt from its parts: `database` replaces the database, and the
// password is kept only when `keep_password` is set.
std::string compose(const ConnectionUrl& url, std::string_view database, bool keep_password) {
  if (url.scheme == Scheme::kSqlite) return "sqlite:" + sqlite_path(url, database);
  if (url.keyword_form) {
    std::string out;
    for (const auto& [key, value] : url.options) {
      if (key == "dbname" || (!keep_password && is_password_key(key))) continue;
      if (!out.empty()) out += ' ';
      out += key + "=" + keyword_quote(value);
    }
    if (!out.empty()) out += ' ';
    return out + "dbname=" + keyword_quote(database);
  }
  std::string out = url.scheme == Scheme::kMariaDb ? "mariadb://" : "postgres://";
  if (!url.user.empty() || (keep_password && url.password)) {
    out += percent_encode(url.user);
    if (keep_password && url.password) out += ":" + percent_encode(*url.password);
    out += "@";
  }
  if (url.host.find(':') != std::string::npos) {
    out += "[" + url.host + "]";  // IPv6 literal
  } else {
    out += percent_encode(url.host);
  }
  if (url.port) out += ":" + std::to_string(*url.port);
  out += "/" + percent_encode(database);
  char separator = '?';
  for (const auto& [key, value] : url.options) {
    if (is_password_key(key)) {
      if (!keep_password) continue;
    }
    out += separator + percent_encode(key) + "=" + percent_encode(value);
    separator = '&';
  }
  return out;
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
