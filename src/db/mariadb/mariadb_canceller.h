// Cancelling a MariaDB statement from another thread: KILL QUERY over a second session.
#pragma once

#include <memory>

#include "db/connection.h"
#include "db/mariadb/mariadb_session.h"

namespace cutover::db::mariadb {

// A Canceller for the session with server thread id `thread_id` (mysql_thread_id), opening
// its own short session with `config`. cancel() is thread-safe; it throws Error(kBadInput,
// DbFailure::kConnect) when the second session cannot be opened and Error(kOperationFailed)
// when KILL QUERY fails. A session that has already ended is not an error.
std::shared_ptr<Canceller> make_canceller(std::shared_ptr<const SessionConfig> config,
                                          unsigned long thread_id);

}  // namespace cutover::db::mariadb
