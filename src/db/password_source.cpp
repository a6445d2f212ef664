// Where a MariaDB connection's password comes from, for cutover's sessions and its tools.
#include "db/password_source.h"

#include <cstdlib>

#include "core/error.h"
#include "core/password_file.h"

namespace cutover::db {

std::optional<std::string> mariadb_password(const ConnectionUrl& url,
                                            const ConnectOptions& options) {
  if (url.password) return url.password;
  if (options.password_file) {
    PassfileLogin login{url.host.empty() ? "localhost" : url.host,
                        std::to_string(url.port.value_or(3306)), url.database, url.user};
    try {
      return password_for(load_password_file(*options.password_file), login, url.redacted());
    } catch (Error& e) {
      e.with_db_failure(DbFailure::kConnect);
      throw;
    }
  }
  if (const char* env = std::getenv("MYSQL_PWD"); env != nullptr) return std::string(env);
  return std::nullopt;
}

}  // namespace cutover::db
