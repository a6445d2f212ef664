// pg_dump and pg_restore, run for a move: the faithful source of a database's DDL, which
// cutover runs rather than reimplements. A password reaches them in their environment only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/connection_url.h"
#include "db/registry.h"

namespace cutover::move {

// How long the move's sessions on a target wait for a lock (the copy's and pg_restore's): the
// target is closed to the application, so only someone's maintenance session can hold one,
// and the sources are frozen meanwhile, so the step stops and names it rather than wait.
inline constexpr std::string_view kTargetLockTimeout = "10s";

// How a pg_dump or pg_restore reaches one database.
struct PgToolDatabase {
  std::string conninfo;  // the URL naming the database, without its password
  std::vector<std::pair<std::string, std::string>> environment;  // PGPASSWORD when known
};

// `server` naming `database`. The password comes from the URL, else --password-file, else the
// child finds it itself (PGPASSWORD, ~/.pgpass, PGSERVICE), as cutover's own connections do.
PgToolDatabase pg_tool_database(const ConnectionUrl& server, std::string_view database,
                                const db::ConnectOptions& connect);

// pg_dump --schema-only in the custom format into `file`: every section, grants included, no
// tablespaces. Throws Error(kOperationFailed) with pg_dump's last error line (redacted).
void dump_schema(const PgToolDatabase& source, const std::string& file);

// pg_restore of one `section` ("pre-data" or "post-data") of `file` into `target`, only the
// entries listed in the file `use_list` when one is given (pg_restore --use-list).
// pre-data, and post-data with `jobs` 0, run as one transaction (a failure leaves nothing
// behind); post-data runs `jobs` jobs, and what it built before a failure or a crash must be
// dropped (drop_post_data) before it runs again. `owner`: every object owned by that role
// (--no-owner --role), else the owners of the source. Throws Error(kOperationFailed) as
// dump_schema does.
void restore_schema(const PgToolDatabase& target, const std::string& file, std::string_view section,
                    int jobs, const std::optional<std::string>& owner,
                    const std::string& use_list = "");

// The table of contents of the dump `file` as `pg_restore --list` writes it (through the file
// `scratch`); `database` gives the environment pg_restore runs in.
std::string schema_listing(const PgToolDatabase& database, const std::string& file,
                           const std::string& scratch);

// The database's schema as pg_dump writes it in plain SQL, without owners, grants,
// tablespaces, comments of pg_dump's own and its \restrict lines: the text two databases with
// the same schema share. `scratch` is a file it may write.
std::string schema_text(const PgToolDatabase& database, const std::string& scratch);

}  // namespace cutover::move
