// Where a file that an interrupted run left partly applied resumes, and whether it still may.
#include "migrate/resume_point.h"

#include <fmt/format.h>

#include "core/error.h"

namespace cutover::migrate {

int resume_point(const std::optional<coord::LeaseState>& lease, const PreparedScript& script) {
  if (!lease || !lease->script || lease->statements_done == 0) return 0;
  const std::string& file = script.script.file_name;
  int done = lease->statements_done;
  if (*lease->script != file) {
    throw_bad_input(
        fmt::format("{} was left partly applied ({} statements) by an interrupted run, but the "
                    "next file to apply is {}",
                    *lease->script, done, file),
        fmt::format("restore {} so that migrate can finish it; or undo its first {} statements "
                    "by hand and run `cutover migrate repair` to forget the partial run",
                    *lease->script, done));
  }
  if (done > static_cast<int>(script.statements.size()) ||
      lease->checksum != script.prefix_checksum(done)) {
    throw_bad_input(
        fmt::format("{}: statements 1-{} were applied by an interrupted run, and they have "
                    "changed since",
                    file, done),
        fmt::format("restore statements 1-{} as they were (the rest may change) so that "
                    "migrate resumes at statement {}; or undo their effects by hand and run "
                    "`cutover migrate repair` to forget the partial run",
                    done, done + 1));
  }
  return done;
}

}  // namespace cutover::migrate
