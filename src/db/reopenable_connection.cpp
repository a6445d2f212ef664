// A connection whose session can be opened again in place after it was lost.
#include "db/reopenable_connection.h"

#include <mutex>
#include <utility>

namespace cutover::db {

// Forwards to the canceller of the session open now; reopen() hands it the new one.
class ReopenableConnection::SessionCanceller final : public Canceller {
 public:
  explicit SessionCanceller(std::shared_ptr<Canceller> current) : current_(std::move(current)) {}

  void cancel() override {
    std::shared_ptr<Canceller> current;
    {
      std::lock_guard lock(mutex_);
      current = current_;
    }
    current->cancel();
  }

  void set(std::shared_ptr<Canceller> current) {
    std::lock_guard lock(mutex_);
    current_ = std::move(current);
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<Canceller> current_;
};

ReopenableConnection::ReopenableConnection(Open open) : open_(std::move(open)), session_(open_()) {}

void ReopenableConnection::reopen() {
  std::unique_ptr<Connection> session = open_();
  if (timeouts_) session->set_timeouts(*timeouts_);
  session_ = std::move(session);
  if (canceller_) canceller_->set(session_->canceller());
}

void ReopenableConnection::set_timeouts(const Timeouts& timeouts) {
  session_->set_timeouts(timeouts);
  timeouts_ = timeouts;
}

std::shared_ptr<Canceller> ReopenableConnection::canceller() {
  if (!canceller_) canceller_ = std::make_shared<SessionCanceller>(session_->canceller());
  return canceller_;
}

}  // namespace cutover::db
