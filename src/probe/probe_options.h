// What a probe run does: where, how long, how many readers and writers, how fast.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace cutover::probe {

struct ProbeOptions {
  std::string url;
  std::string verify_url;  // where acknowledged writes are checked afterwards; empty: url
  std::string table = "cutover_probe";
  std::chrono::milliseconds duration{30'000};
  int readers = 4;
  int writers = 4;
  double rate = 0;  // operations per second per loop; 0: as fast as possible
  // A statement running longer than this is cancelled and recorded as a timeout.
  std::chrono::milliseconds op_timeout{2'000};
  // How long a statement waits for a lock before it fails: short, so that a blocked database
  // shows as unavailable instead of as one long operation.
  std::chrono::milliseconds lock_timeout{500};
  // Pause between reconnection attempts while the server is unreachable.
  std::chrono::milliseconds reconnect_pause{50};
  std::optional<std::string> password_file;
};

}  // namespace cutover::probe
