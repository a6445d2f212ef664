// RAII owners for libpq objects: connections, results, cancel handles and libpq-allocated memory.
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace cutover::db::pg {

struct ConnCloser {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
struct CancelFreer {
  void operator()(PGcancel* cancel) const noexcept { PQfreeCancel(cancel); }
};
struct LibpqFreer {
  void operator()(void* memory) const noexcept { PQfreemem(memory); }
};

using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;
using CancelHandle = std::unique_ptr<PGcancel, CancelFreer>;
using LibpqBuffer = std::unique_ptr<char, LibpqFreer>;  // from PQgetCopyData, PQescape*

}  // namespace cutover::db::pg
