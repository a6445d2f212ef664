// Programs started in the background the way a user starts them, optionally held at a start
// barrier so that many begin at one moment, with their output captured while they run.
#include "support/spawned_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

extern char** environ;

namespace cutover::test {
namespace {

// The environment for the child, built before fork(): after fork() in a multithreaded process
// only async-signal-safe calls are allowed, which rules out setenv() and allocation.
std::vector<std::string> child_environment(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (changes.find(name) == changes.end()) env.push_back(entry);
  }
  for (const auto& [name, value] : changes) {
    if (value) env.push_back(name + "=" + *value);
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void close_all(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

StartBarrier::StartBarrier() {
  int fds[2];
  // Close-on-exec: a child holds the ends only between fork and exec.
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("StartBarrier: pipe failed");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

StartBarrier::~StartBarrier() {
  release();
  close(read_fd_);
}

void StartBarrier::release() {
  if (write_fd_ < 0) return;
  close(write_fd_);
  write_fd_ = -1;
}

SpawnedProcess::SpawnedProcess(const std::vector<std::string>& argv,
                               const std::map<std::string, std::optional<std::string>>& env,
                               StartBarrier* barrier) {
  if (argv.empty()) throw std::runtime_error("SpawnedProcess: empty argv");
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = child_environment(env);
  std::vector<char*> arg_pointers = pointers(args);
  std::vector<char*> env_pointers = pointers(environment);
  const int barrier_read = barrier != nullptr ? barrier->read_fd() : -1;
  const int barrier_write = barrier != nullptr ? barrier->write_fd() : -1;

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("SpawnedProcess: pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close_all({out_pipe[0], out_pipe[1]});
    throw std::runtime_error("SpawnedProcess: pipe failed");
  }
  pid_ = fork();
  if (pid_ < 0) {
    close_all({out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]});
    throw std::runtime_error("SpawnedProcess: fork failed");
  }
  if (pid_ == 0) {
    // Async-signal-safe calls only from here on.
    if (barrier_read >= 0) {
      // The child's own copy of the write end would keep the pipe open for ever: close it, then
      // wait for end of file, which comes when the parent releases the barrier.
      if (barrier_write >= 0) close(barrier_write);
      char byte;
      while (read(barrier_read, &byte, 1) < 0 && errno == EINTR) {
      }
    }
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  drainer_ = std::thread([this, out = out_pipe[0], err = err_pipe[0]] { drain(out, err); });
}

SpawnedProcess::~SpawnedProcess() {
  if (!reap(false)) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  if (drainer_.joinable()) drainer_.join();
}

void SpawnedProcess::drain(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out_, &err_};
  int open_fds = 2;
  bool stopping = false;
  while (open_fds > 0) {
    // Wakes up now and then to notice stop_: a grandchild may hold a pipe after the child died.
    int ready = poll(fds, 2, stopping ? 0 : 100);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) {
      if (stopping) break;  // the child is gone and nothing more is buffered
      std::lock_guard lock(mutex_);
      stopping = stop_;
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[4096];
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        std::lock_guard lock(mutex_);
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  std::lock_guard lock(mutex_);
  drained_ = true;
  drained_cv_.notify_all();
}

bool SpawnedProcess::reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid_, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
  } else if (r < 0) {
    reaped_ = true;  // not our child any more (ECHILD): nothing left to wait for
    status_ = 0;
  }
  return reaped_;
}

bool SpawnedProcess::running() { return !reap(false); }

void SpawnedProcess::kill(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

ProcessResult SpawnedProcess::wait(std::chrono::seconds timeout) {
  if (result_) return *result_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  {
    std::unique_lock lock(mutex_);
    timed_out = !drained_cv_.wait_until(lock, deadline, [&] { return drained_; });
  }
  if (timed_out) {
    // Either the child hangs, or a grandchild holds its pipes after it exited.
    if (!reap(false)) {
      ::kill(pid_, SIGKILL);
    } else {
      timed_out = false;
    }
  }
  reap(true);
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  if (drainer_.joinable()) drainer_.join();
  ProcessResult result;
  {
    std::lock_guard lock(mutex_);
    result.out = out_;
    result.err = err_;
  }
  result.exit_code = exit_code_of(status_);
  if (timed_out) {
    result.err += "\n[SpawnedProcess: killed after " + std::to_string(timeout.count()) + " s]";
  }
  result_ = result;
  return result;
}

std::string SpawnedProcess::output_so_far() {
  std::lock_guard lock(mutex_);
  return out_;
}

}  // namespace cutover::test
