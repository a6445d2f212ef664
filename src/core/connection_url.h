// Connection strings: which database a string names, its parts, and how to print it safely.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cutover {

enum class Scheme { kPostgres, kMariaDb, kSqlite };

// A parsed connection string. Forms accepted:
//   postgres://user@host:port/db?opt=v   postgresql://...   libpq keywords "host=h dbname=d"
//   mariadb://user@host:port/db?opt=v    mysql://...
//   sqlite:path/to/file.db   sqlite:///abs/path.db   sqlite::memory:
struct ConnectionUrl {
  Scheme scheme = Scheme::kSqlite;
  std::string text;  // exactly as given; may hold a password, so never print it: use redacted()
  bool keyword_form = false;  // libpq "key=value" form
  std::string user;
  std::optional<std::string> password;  // only when written in the string itself
  std::string host;                     // empty: the driver's default (local socket)
  std::optional<int> port;
  std::string database;                        // for SQLite: the file path or ":memory:"
  std::map<std::string, std::string> options;  // query parameters or keywords, decoded

  // The string with any password replaced by "***", safe for logs, errors and state files.
  std::string redacted() const;
};

// Parses a connection string. Throws Error(kBadInput) naming the problem, with the accepted
// forms as the hint, for an unknown scheme or a malformed string. The message never contains
// the password.
ConnectionUrl parse_connection_url(std::string_view text);

// The string rebuilt from `url`'s parts as they are now (a changed host, port or database):
// the password only when `keep_password` and `url` held one, for this process's own
// connections (never print or store such a string). SQLite: "sqlite:" and the database.
std::string compose_connection_url(const ConnectionUrl& url, bool keep_password);

// Replaces every password found in `text` by "***": URL user-info ("user:pw@"), query or
// keyword parameters named password/sslpassword/pwd. Safe on any text; never throws.
std::string redact(std::string_view text);

const char* scheme_name(Scheme scheme);

// `text` with every byte but letters, digits and - . _ ~ percent-encoded, for a URL's parts.
std::string percent_encode(std::string_view text);

}  // namespace cutover
