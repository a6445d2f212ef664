// The proxy's state file: the mode and the active backend, kept across restarts of the process.
#pragma once

#include <filesystem>
#include <optional>

#include "proxy/proxy_state.h"

namespace cutover::proxy {

// Reads the state a previous process left in `file`: nullopt when there is no such file.
// Throws Error(kBadInput) naming the file, what is wrong and the fix when it cannot be read or
// is not a state file this version wrote (bad JSON, a missing or bad field, an unknown mode).
std::optional<DurableState> read_state_file(const std::filesystem::path& file);

// Replaces `file` with `state`: written to a temporary file (0600) in the same folder, synced to
// disk, renamed over it, the folder synced. Throws Error(kOperationFailed) naming the file and
// the system's reason when a step fails; the file then still holds what it held before.
void write_state_file(const std::filesystem::path& file, const DurableState& state);

// Throws Error(kBadInput) when the folder of `file` does not exist or the proxy cannot write
// there, naming the `state_file` key and --state-file as the fix: checked at start, so that
// a change of mode never finds out first.
void require_writable_state_folder(const std::filesystem::path& file);

}  // namespace cutover::proxy
