// Cancelling a MariaDB statement from another thread: KILL QUERY over a second session.
#include "db/mariadb/mariadb_canceller.h"

#include <mysqld_error.h>

#include <string>

#include "db/mariadb/mariadb_error.h"

namespace cutover::db::mariadb {
namespace {

class KillQueryCanceller final : public Canceller {
 public:
  KillQueryCanceller(std::shared_ptr<const SessionConfig> config, unsigned long thread_id)
      : config_(std::move(config)), thread_id_(thread_id) {}

  // Everything used here is immutable or local to the call, so concurrent calls are safe.
  void cancel() override {
    MysqlHandle session = open_session(*config_);
    const std::string kill = "KILL QUERY " + std::to_string(thread_id_);
    if (mysql_real_query(session.get(), kill.data(), kill.size()) != 0) {
      ServerError error = last_error(session.get());
      if (error.number == ER_NO_SUCH_THREAD) return;  // the session is gone: nothing to cancel
      throw statement_error(error, "cancel (KILL QUERY)");
    }
  }

 private:
  std::shared_ptr<const SessionConfig> config_;
  unsigned long thread_id_;
};

}  // namespace

std::shared_ptr<Canceller> make_canceller(std::shared_ptr<const SessionConfig> config,
                                          unsigned long thread_id) {
  return std::make_shared<KillQueryCanceller>(std::move(config), thread_id);
}

}  // namespace cutover::db::mariadb
