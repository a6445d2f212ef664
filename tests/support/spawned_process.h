// Programs started in the background the way a user starts them, optionally held at a start
// barrier so that many begin at one moment, with their output captured while they run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"

namespace cutover::test {

// Children started with a barrier block until release(): a pipe whose read end each child waits
// on (after fork, before exec) until the parent closes the write end, so N processes start at
// one moment, no sleep. Must outlive the start of every process that uses it; release() is
// idempotent and the destructor releases.
class StartBarrier {
 public:
  StartBarrier();  // throws std::runtime_error when no pipe can be made
  ~StartBarrier();
  StartBarrier(const StartBarrier&) = delete;
  StartBarrier& operator=(const StartBarrier&) = delete;

  // Lets every child waiting on the barrier, and every child started with it later, exec.
  void release();

  int read_fd() const { return read_fd_; }
  int write_fd() const { return write_fd_; }  // -1 once released

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// A program running in the background, started the way a user starts it.
class SpawnedProcess {
 public:
  // Starts `argv` (argv[0] is the path) with the current environment plus `env` (a nullopt value
  // unsets the variable), stdin from /dev/null. With a barrier, the child execs only once the
  // barrier is released. stdout and stderr are drained by a thread, so a chatty child never
  // blocks. Throws std::runtime_error when the pipes or the fork fail; an argv[0] that cannot
  // be executed shows as exit code 127.
  SpawnedProcess(const std::vector<std::string>& argv,
                 const std::map<std::string, std::optional<std::string>>& env = {},
                 StartBarrier* barrier = nullptr);
  // Kills the child with SIGKILL and reaps it if it is still running.
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Whether the child has not exited yet. Never blocks; reaps the child when it has exited.
  bool running();

  // Sends `signal` to the child unless it has been reaped already.
  void kill(int signal);

  // Waits until the child exits and its output is drained; returns its exit code (128 + signal
  // when killed), stdout and stderr. After `timeout` the child is killed with SIGKILL and stderr
  // ends with a line saying so. May be called more than once; later calls return the same.
  ProcessResult wait(std::chrono::seconds timeout = std::chrono::seconds(180));

  // Everything the child wrote to stdout up to now (for waiting on a JSON event).
  std::string output_so_far();

 private:
  void drain(int out_fd, int err_fd);
  bool reap(bool block);  // true once the child is reaped; sets status_

  pid_t pid_ = -1;
  std::thread drainer_;
  std::mutex mutex_;
  std::condition_variable drained_cv_;
  bool drained_ = false;  // both pipes reached end of file
  bool stop_ = false;     // the child is gone: stop draining even if a grandchild holds a pipe
  std::string out_;
  std::string err_;
  bool reaped_ = false;
  int status_ = 0;
  std::optional<ProcessResult> result_;
};

}  // namespace cutover::test
