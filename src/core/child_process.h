// Running another program (pg_dump, pg_restore, a user's hook command) and waiting for it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cutover {

struct ChildOptions {
  // Variables added to (or replacing) this process's environment for the child only: the way
  // a password reaches pg_dump without a command line that every user can read.
  std::vector<std::pair<std::string, std::string>> environment;
  // Where the child's stdout goes: this process's stderr (a hook's output, kept apart from
  // cutover's results and JSON on stdout), or nowhere.
  bool show_output = false;
  // A file the child reads as its stdin (a SQL script for the mariadb client); empty:
  // /dev/null.
  std::string input_file;
};

struct ChildResult {
  int exit_code = -1;  // the exit status; -1 when a signal ended the child
  int signal = 0;      // the signal that ended it, or 0
  std::string errors;  // the last 8 KiB of its stderr, as written

  bool succeeded() const { return exit_code == 0; }
  // "exited with 1: <its last error line>", "was killed by SIGKILL".
  std::string describe() const;
};

// Runs argv[0] (found on PATH) with argv, stdin from options.input_file or /dev/null, and
// waits for it. The child is
// killed when this process dies (PR_SET_PDEATHSIG), so a cutover that is killed -9 leaves no
// pg_restore working on behind its back; and on SIGINT or SIGTERM to cutover (InterruptWatch)
// it gets SIGTERM. Throws Error(kOperationFailed) when the program cannot be started (not
// installed: the message names it); a child that fails is reported in the result, not thrown.
ChildResult run_child(const std::vector<std::string>& argv, const ChildOptions& options = {});

// Runs `command` with /bin/sh -c, as run_child does.
ChildResult run_shell(const std::string& command, const ChildOptions& options = {});

}  // namespace cutover
