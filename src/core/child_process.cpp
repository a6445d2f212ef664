// Running another program (pg_dump, pg_restore, a user's hook command) and waiting for it.
#include "core/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/interrupt.h"

extern char** environ;

namespace cutover {
namespace {

constexpr std::size_t kKeptErrors = 8 * 1024;

// The child's environment: ours with `overrides` applied.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> variables;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) variables[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : overrides) variables[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : variables) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The last line of `text` that says something.
std::string last_line(const std::string& text) {
  std::size_t end = text.find_last_not_of("\n\r ");
  if (end == std::string::npos) return {};
  std::size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end + 1 - (start == std::string::npos ? 0 : start + 1));
}

}  // namespace

std::string ChildResult::describe() const {
  std::string how = signal != 0 ? fmt::format("was ended by {}", strsignal(signal))
                                : fmt::format("exited with {}", exit_code);
  // A server's error says why; the last line may only be a parallel worker's end.
  std::size_t server_error = errors.find("ERROR:");
  std::string line = last_line(errors);
  if (server_error != std::string::npos) {
    std::size_t start = errors.rfind('\n', server_error);
    start = start == std::string::npos ? 0 : start + 1;
    line = errors.substr(start, errors.find('\n', server_error) - start);
  }
  return line.empty() ? how : how + ": " + line;
}

ChildResult run_child(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw Error(ErrorCode::kOperationFailed, "run_child: no program given");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(options.environment);
  std::vector<char*> arg_pointers = pointers(args);
  std::vector<char*> env_pointers = pointers(env);

  int input_fd = -1;
  if (!options.input_file.empty()) {
    input_fd = open(options.input_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (input_fd < 0) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("cannot start {}: cannot read {}: {}", argv[0], options.input_file,
                              std::strerror(errno)));
    }
  }
  int errors_pipe[2];
  int exec_pipe[2];  // closed on exec; carries errno when exec fails
  if (pipe2(errors_pipe, O_CLOEXEC) != 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("cannot start {}: pipe: {}", argv[0], std::strerror(errno)));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("cannot start {}: fork: {}", argv[0], std::strerror(errno)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // InterruptWatch blocks them in cutover
    int null_fd = open("/dev/null", O_RDWR);
    dup2(input_fd >= 0 ? input_fd : null_fd, 0);
    dup2(options.show_output ? 2 : null_fd, 1);
    dup2(errors_pipe[1], 2);
    execvpe(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    int error = errno;
    (void)!write(exec_pipe[1], &error, sizeof error);
    _exit(127);
  }
  close(errors_pipe[1]);
  close(exec_pipe[1]);
  if (input_fd >= 0) close(input_fd);
  int exec_error = 0;
  bool exec_failed = read(exec_pipe[0], &exec_error, sizeof exec_error) == sizeof exec_error;
  close(exec_pipe[0]);

  OnInterrupt stop([pid] { kill(pid, SIGTERM); });
  ChildResult result;
  char buffer[4096];
  while (true) {
    ssize_t n = read(errors_pipe[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.errors.append(buffer, static_cast<std::size_t>(n));
    if (result.errors.size() > 2 * kKeptErrors)
      result.errors.erase(0, result.errors.size() - kKeptErrors);
  }
  close(errors_pipe[0]);
  if (result.errors.size() > kKeptErrors)
    result.errors.erase(0, result.errors.size() - kKeptErrors);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (exec_failed) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("cannot run {}: {}", argv[0], std::strerror(exec_error)),
                exec_error == ENOENT
                    ? fmt::format("install {} (scripts/setup does), or put it on PATH", argv[0])
                    : std::string{});
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

ChildResult run_shell(const std::string& command, const ChildOptions& options) {
  return run_child({"/bin/sh", "-c", command}, options);
}

}  // namespace cutover
