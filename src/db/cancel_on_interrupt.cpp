#include "db/cancel_on_interrupt.h"

namespace cutover::db {

CancelOnInterrupt::CancelOnInterrupt(Connection& connection)
    : canceller_(connection.canceller()),
      cancel_([canceller = canceller_] { canceller->cancel(); }, /*repeat=*/true) {}

}  // namespace cutover::db
