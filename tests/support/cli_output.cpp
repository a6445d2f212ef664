// Reading what the cutover binary printed in a test.
#include "support/cli_output.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <thread>

namespace cutover::test {

std::string describe(const ProcessResult& result) {
  return "exit code " + std::to_string(result.exit_code) + "\n--- stdout:\n" + result.out +
         "\n--- stderr:\n" + result.err;
}

std::vector<nlohmann::json> json_events(const std::string& out) {
  std::vector<nlohmann::json> events;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof() && !out.ends_with('\n')) break;  // a line still being written
    if (line.empty()) continue;
    try {
      events.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      ADD_FAILURE() << "not a JSON line on stdout: " << line;
    }
  }
  return events;
}

std::vector<nlohmann::json> events_named(const std::vector<nlohmann::json>& events,
                                         const std::string& name) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events) {
    if (e.is_object() && e.value("event", "") == name) out.push_back(e);
  }
  return out;
}

nlohmann::json error_event(const ProcessResult& result) {
  auto errors = events_named(json_events(result.out), "error");
  if (errors.size() != 1) {
    ADD_FAILURE() << "expected one error event: " << describe(result);
    return nlohmann::json::object();
  }
  return errors.front();
}

void poll_until(const std::string& what, const std::function<bool()>& done,
                std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("timed out waiting until " + what);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void require_running(SpawnedProcess& process, const std::string& what) {
  if (process.running()) return;
  throw std::runtime_error(what + " exited before the test could act: " +
                           describe(process.wait()));
}

}  // namespace cutover::test
