// Stopping cleanly on SIGINT, SIGTERM and SIGHUP: the signal thread, callbacks and waits.
#include "core/interrupt.h"

#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "core/error.h"

namespace cutover {
namespace {

std::atomic<InterruptWatch*> current_watch{nullptr};

// How often a repeating callback runs again while it stays registered after the signal.
constexpr timespec kRepeatEvery{1, 0};

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "";
  }
}

}  // namespace

InterruptWatch::InterruptWatch(SecondSignal second) : second_(second) {
  InterruptWatch* none = nullptr;
  if (!current_watch.compare_exchange_strong(none, this)) {
    throw std::logic_error("only one InterruptWatch may exist at a time");
  }
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  waiter_ = std::thread([this] { watch(); });
}

InterruptWatch::~InterruptWatch() {
  done_ = true;
  pthread_kill(waiter_.native_handle(), SIGTERM);  // wakes the waiter; it sees done_
  waiter_.join();
  current_watch = nullptr;
  // A signal that came while the watch was ending was for it: once unblocked, it would kill
  // the process with its default action instead of letting it end as the watch decided.
  const timespec now{0, 0};
  while (sigtimedwait(&signals_, nullptr, &now) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void InterruptWatch::watch() {
  for (;;) {
    int signal = 0;
    if (!interrupted()) {
      if (sigwait(&signals_, &signal) != 0) continue;
    } else {
      signal = sigtimedwait(&signals_, nullptr, &kRepeatEvery);
      if (signal < 0) {  // the time ran out (or EINTR): cancel again what is still running
        if (done_) return;
        run_callbacks(true);
        continue;
      }
    }
    if (done_) return;
    if (!interrupted()) {
      {
        std::lock_guard lock(mutex_);
        signal_ = signal;
      }
      wake_.notify_all();
      run_callbacks(false);
    } else if (second_ == SecondSignal::kExitAtOnce) {
      std::string line =
          fmt::format("cutover: second {} while stopping: exiting at once, without cleaning up\n",
                      signal_name(signal));
      [[maybe_unused]] auto written = write(STDERR_FILENO, line.data(), line.size());
      _exit(128 + signal);
    }
  }
}

void InterruptWatch::run_callbacks(bool repeating_only) {
  std::lock_guard lock(mutex_);
  for (Callback& callback : callbacks_) {
    if (repeating_only ? !callback.repeat : callback.called) continue;
    callback.called = true;
    try {
      callback.run();
    } catch (...) {
      // A failed cancel leaves the statement running: the control flow still stops at its
      // next safe point, and the signal must not end the signal thread.
    }
  }
}

OnInterrupt::OnInterrupt(std::function<void()> callback, bool repeat)
    : watch_(current_watch.load()) {
  if (watch_ == nullptr) return;
  std::lock_guard lock(watch_->mutex_);
  it_ = watch_->callbacks_.insert(watch_->callbacks_.end(), {std::move(callback), repeat, false});
  if (watch_->interrupted()) {
    // The signal thread may be about to run the callbacks too: `called` makes it skip this one.
    it_->called = true;
    try {
      it_->run();
    } catch (...) {
    }
  }
}

OnInterrupt::~OnInterrupt() {
  if (watch_ == nullptr) return;
  std::lock_guard lock(watch_->mutex_);
  watch_->callbacks_.erase(it_);
}

bool interrupted() {
  InterruptWatch* watch = current_watch.load();
  return watch != nullptr && watch->interrupted();
}

std::string interrupt_signal_name() {
  InterruptWatch* watch = current_watch.load();
  return watch == nullptr ? "" : signal_name(watch->signal());
}

bool interrupted_within(std::chrono::milliseconds limit) {
  InterruptWatch* watch = current_watch.load();
  if (watch == nullptr) {
    std::this_thread::sleep_for(limit);
    return false;
  }
  std::unique_lock lock(watch->mutex_);
  return watch->wake_.wait_for(lock, limit, [&] { return watch->interrupted(); });
}

void throw_interrupted(const std::string& where, std::string hint) {
  std::string name = interrupt_signal_name();
  throw Error(ErrorCode::kOperationFailed,
              fmt::format("interrupted by {} {}", name.empty() ? "a signal" : name, where),
              std::move(hint));
}

}  // namespace cutover
