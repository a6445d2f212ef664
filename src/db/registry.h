// Opens a connection with the driver the connection string's scheme names.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/connection.h"

namespace cutover::db {

struct ConnectOptions {
  std::chrono::seconds connect_timeout{10};
  // A file whose first line is the password. Precedence, most explicit first: a password in
  // the URL (discouraged, warned about), this file, the environment (PGPASSWORD, MYSQL_PWD),
  // then the clients' own files (~/.pgpass, PGSERVICE, MariaDB option files).
  std::optional<std::string> password_file;
  std::string application_name = "cutover";
};

// Opens a session. Throws Error(kBadInput, DbFailure::kConnect) naming the redacted URL and
// the reason (unknown scheme, unreachable, authentication failed, no such database) with a
// hint that says what to check.
std::unique_ptr<Connection> connect(std::string_view url, const ConnectOptions& options = {});

}  // namespace cutover::db
