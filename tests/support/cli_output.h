// Reading what the cutover binary printed in a test: JSON events, readable failure messages,
// and waiting for a condition while a process runs.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/spawned_process.h"

namespace cutover::test {

// "exit code N", stdout and stderr, for a failure message.
std::string describe(const ProcessResult& result);

// The JSON events of a --json run: one object per complete line (a last line still being
// written is left out). A line that is not JSON fails the test (--json promises one object per
// line) and is skipped.
std::vector<nlohmann::json> json_events(const std::string& out);
// Those of `events` whose "event" is `name`.
std::vector<nlohmann::json> events_named(const std::vector<nlohmann::json>& events,
                                         const std::string& name);

// The one "error" event of a failed --json run; fails the test (and returns an empty object)
// when there is not exactly one.
nlohmann::json error_event(const ProcessResult& result);

// Polls `done` every 20 ms until it is true; throws std::runtime_error naming `what` after
// `limit`.
void poll_until(const std::string& what, const std::function<bool()>& done,
                std::chrono::seconds limit = std::chrono::seconds(120));

// Throws with the process's output when it is no longer running: a condition it was meant to
// reach while running never will be.
void require_running(SpawnedProcess& process, const std::string& what);

}  // namespace cutover::test
