// Runs a program the way a user would, capturing its exit code, stdout and stderr.
#include "support/process.h"

#include "support/spawned_process.h"

namespace cutover::test {

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::optional<std::string>>& env,
                          std::chrono::seconds timeout) {
  // A hung program is killed after `timeout`: it must fail its test, not hang the run.
  return SpawnedProcess(argv, env).wait(timeout);
}

}  // namespace cutover::test
