// PostgreSQL COPY: raw byte streams in and out (CopyChannel) and row loading in text format
// (BulkLoader).
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <memory>
#include <string>

#include "db/connection.h"

namespace cutover::db::pg {

// Appends `value` as one field of COPY's text format: NULL as \N; backslash, tab, newline and
// carriage return as \\, \t, \n and \r; everything else as is.
void append_copy_text_field(std::string& out, const Value& value);

// The CopyChannel of one session. `conn` must outlive it, and the session runs nothing else
// while a copy is in progress. A copy that fails (or whose sink or source throws) is ended
// before the exception leaves, so the session stays usable; a sink that throws cancels the
// COPY on the server, which aborts an open transaction.
class PgCopyChannel final : public CopyChannel {
 public:
  explicit PgCopyChannel(PGconn* conn) : conn_(conn) {}

  std::int64_t copy_out(std::string_view copy_sql,
                        const std::function<void(std::string_view)>& sink) override;
  std::int64_t copy_in(std::string_view copy_sql,
                       const std::function<std::optional<std::string_view>()>& source) override;

 private:
  PGconn* conn_;
};

// Runs `copy_sql` ("COPY <table> (<columns>) FROM STDIN", text format) and returns the loader
// that feeds it rows of `column_count` values, sent in chunks of about 64 KiB. `conn` must
// outlive the loader and run nothing else until finish() or the loader's destruction; a loader
// destroyed before finish() ends the COPY with an error, so nothing of it is kept. Throws
// Error when the server refuses the COPY.
std::unique_ptr<BulkLoader> start_bulk_load(PGconn* conn, std::string_view copy_sql,
                                            std::size_t column_count);

}  // namespace cutover::db::pg
