// Stopping cleanly on SIGINT, SIGTERM and SIGHUP (the terminal of an ssh session that dropped):
// one thread takes the signals, cancels what was registered for it, and the control flow asks
// interrupted() at its safe points.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

namespace cutover {

// What a signal after the first one does while the process is stopping.
enum class SecondSignal {
  kExitAtOnce,  // exits with 128 + signal, without cleaning up (a user in a hurry)
  kIgnore,      // is swallowed: the stop already under way finishes
};

// Takes SIGINT, SIGTERM and SIGHUP for as long as it lives, in place of their default action
// (death without a word, the server's work left running). It blocks them in the constructing
// thread, so in every thread started
// after it: construct it before any other thread starts, or a signal can land in a thread that
// does not block it and kill the process. A thread of its own waits for the signals (sigwait),
// records the first, runs the registered callbacks (see OnInterrupt) and wakes every
// interrupted_within(). At most one exists at a time; it is what the free functions below ask.
// The destructor stops the thread, swallows a signal still pending (it came while the watch
// ended) and restores the previous signal mask.
class InterruptWatch {
 public:
  explicit InterruptWatch(SecondSignal second = SecondSignal::kExitAtOnce);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  // Whether SIGINT, SIGTERM or SIGHUP came. Cheap; thread-safe.
  bool interrupted() const { return signal_ != 0; }
  // The signal that came first, or 0.
  int signal() const { return signal_; }

 private:
  friend class OnInterrupt;
  friend bool interrupted_within(std::chrono::milliseconds);

  struct Callback {
    std::function<void()> run;
    bool repeat;
    bool called;  // run once already, so the signal thread's first round skips it
  };

  void watch();
  void run_callbacks(bool repeating_only);
  std::list<Callback>::iterator add(std::function<void()> run, bool repeat);
  void remove(std::list<Callback>::iterator it);

  const SecondSignal second_;
  sigset_t signals_{};
  sigset_t previous_{};
  std::atomic<int> signal_{0};
  std::atomic<bool> done_{false};
  std::mutex mutex_;               // guards callbacks_; held while callbacks run
  std::list<Callback> callbacks_;  // stable iterators for OnInterrupt
  std::condition_variable wake_;   // interrupted_within()
  std::thread waiter_;             // last: starts once everything above is ready
};

// Runs `callback` on the signal thread when SIGINT, SIGTERM or SIGHUP comes while it lives; at
// once, in the registering thread, when one came already. With `repeat`, again about every second
// while it stays registered (for a cancel that may have reached a statement not started yet, or one
// that ignores the first request): the callback must then be harmless to repeat. Callbacks run with
// the watch's lock held: the destructor waits for a running one, so after it returns the callback
// is never called again; a callback must not register or unregister anything.
// Without an InterruptWatch it does nothing. Thread-safe.
class OnInterrupt {
 public:
  explicit OnInterrupt(std::function<void()> callback, bool repeat = false);
  ~OnInterrupt();
  OnInterrupt(const OnInterrupt&) = delete;
  OnInterrupt& operator=(const OnInterrupt&) = delete;

 private:
  InterruptWatch* watch_ = nullptr;
  std::list<InterruptWatch::Callback>::iterator it_;
};

// Whether SIGINT, SIGTERM or SIGHUP came; false without an InterruptWatch. Thread-safe.
bool interrupted();

// "SIGTERM", "SIGINT", "SIGHUP", or "" when no signal came.
std::string interrupt_signal_name();

// Waits up to `limit`; returns true as soon as a signal came (at once when one came already),
// false when the time ran out. A plain sleep without an InterruptWatch.
bool interrupted_within(std::chrono::milliseconds limit);

// Throws Error(kOperationFailed) "interrupted by SIGTERM <where>" with `hint`. `where` says
// what was going on and what state it left ("while applying ...: ...").
[[noreturn]] void throw_interrupted(const std::string& where, std::string hint);

}  // namespace cutover
