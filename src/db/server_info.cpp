// What a connection is talking to: product, version, and topology facts that change behaviour.
#include "db/server_info.h"

namespace cutover::db {

const char* flavor_name(Flavor flavor) {
  switch (flavor) {
    case Flavor::kPostgres:
      return "postgresql";
    case Flavor::kMariaDb:
      return "mariadb";
    case Flavor::kMySql:
      return "mysql";
    case Flavor::kSqlite:
      return "sqlite";
  }
  return "unknown";
}

}  // namespace cutover::db
