// `cutover probe` run by a test as one application version: started in the background, stopped
// with SIGINT, and its record checked for failed reads and writes and lost or duplicated
// writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "support/spawned_process.h"

namespace cutover::test {

class ProbeProcess {
 public:
  // Starts `binary probe URL` for an hour: 1 reader, 2 writers, 50 operations per second each,
  // the JSON record written to `record` when it stops.
  ProbeProcess(const std::string& binary, std::string label, const std::string& url,
               std::filesystem::path record);

  bool running() { return process_.running(); }
  // The probe's label, exit code and output, for a failure message once it has exited.
  std::string gone();

  // Stops the probe with SIGINT and checks what it recorded: it must exit 1 ("interrupted")
  // with its record written, have written, and have seen no failed read or write and no lost
  // or duplicated write. Reports a gtest failure (non-fatal) with the summary and the first
  // failed operations otherwise.
  void stop_and_check();

 private:
  std::string label_;
  std::filesystem::path record_;
  SpawnedProcess process_;
};

// How many probe runs have written to the probe table `cutover_probe` of `url`; 0 while the
// table does not exist (PostgreSQL 42P01, MariaDB 42S02), or while Galera aborts the count for
// the probe's DDL arriving from another node (1213: the caller polls again).
std::int64_t probe_runs(const std::string& url);

}  // namespace cutover::test
