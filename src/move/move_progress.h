// Where a move's data step stands, from what its steps recorded: whether the sources are
// frozen and since when (the write window so far), and how many tables are copied.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "move/move_store.h"

namespace cutover::move {

struct MoveProgress {
  std::optional<std::string> frozen_since;  // UTC, the first source frozen
  std::optional<std::string> window_end;    // finalize's time, once finalized
  double window_seconds = 0;                // frozen_since to window_end, or to now
  int tables_copied = 0;
  int databases_verified = 0;
  bool step_running = false;  // a cutover holds the move's step lock now

  nlohmann::json to_json() const;
  // "frozen since ... (12.3 s so far), 14 tables copied, 1 of 2 databases verified"; empty
  // when nothing was done yet.
  std::string describe(std::size_t databases) const;
};

MoveProgress read_progress(MoveStore& store, const MoveRecord& record);

// Seconds between two times as utc_now() writes them; 0 when one cannot be read.
double seconds_between(const std::string& from, const std::string& to);

}  // namespace cutover::move
