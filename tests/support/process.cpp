// Runs a program the way a user would, capturing its exit code, stdout and stderr.
#include "support/process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "support/spawned_process.h"

namespace cutover::test {

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::optional<std::string>>& env,
                          std::chrono::seconds timeout) {
  // A hung program is killed after `timeout`: it must fail its test, not hang the run.
  return SpawnedProcess(argv, env).wait(timeout);
}

std::string find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  ADD_FAILURE() << program << " is not on PATH (scripts/setup installs it)";
  return program;
}

}  // namespace cutover::test
