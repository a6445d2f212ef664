// Runs a program the way a user would, capturing its exit code, stdout and stderr.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cutover::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal if it was killed
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the path) with the current environment plus `env` (a nullopt value
// unsets the variable), stdin from /dev/null. Blocks until it exits; kills it after `timeout`
// (then the exit code is 128 + 9 and stderr says so).
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::optional<std::string>>& env = {},
                          std::chrono::seconds timeout = std::chrono::seconds(180));

// The path of `program` as PATH finds it; fails the test (and returns the name) when it does not.
std::string find_program(const std::string& program);

}  // namespace cutover::test
