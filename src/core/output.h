// Where results, logs and machine events go: results on stdout, progress and logs on stderr,
// and with --json one JSON object per line on stdout instead of the human text.
#pragma once

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

namespace cutover {

class Output {
 public:
  // `json`: print events as JSON lines on `out`. `terminal`: `err` is an interactive terminal,
  // so progress may redraw a bar in place.
  Output(std::ostream& out, std::ostream& err, bool json, bool terminal);

  // For the process: stdout/stderr, terminal detected with isatty(2) and TERM != "dumb".
  static Output for_process(bool json);

  bool json() const { return json_; }
  bool terminal() const { return terminal_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // One JSON object on one line of stdout. The caller redacts connection strings first.
  void event(const nlohmann::json& event);
  // A human line on stderr ("warning: ..."), redacted; in JSON mode a {"event":"log"} object.
  void warn(std::string_view message);
  void info(std::string_view message);

 private:
  void log(std::string_view level, std::string_view message);

  std::ostream& out_;
  std::ostream& err_;
  bool json_;
  bool terminal_;
};

}  // namespace cutover
