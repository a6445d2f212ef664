// The postgres driver of db::Connection.
#pragma once

#include <memory>

#include "core/connection_url.h"
#include "db/connection.h"
#include "db/registry.h"

namespace cutover::db {

// Opens a session; see db::connect() for the contract.
std::unique_ptr<Connection> open_postgres(const ConnectionUrl& url, const ConnectOptions& options);

}  // namespace cutover::db
