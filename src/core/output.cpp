// Where results, logs and machine events go.
#include "core/output.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/connection_url.h"

namespace cutover {

Output::Output(std::ostream& out, std::ostream& err, bool json, bool terminal)
    : out_(out), err_(err), json_(json), terminal_(terminal) {}

Output Output::for_process(bool json) {
  const char* term = std::getenv("TERM");
  bool terminal = isatty(STDERR_FILENO) == 1 && (term == nullptr || std::strcmp(term, "dumb") != 0);
  return Output(std::cout, std::cerr, json, terminal);
}

void Output::event(const nlohmann::json& event) {
  out_ << event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out_.flush();
}

void Output::warn(std::string_view message) { log("warning", message); }
void Output::info(std::string_view message) { log("info", message); }

void Output::log(std::string_view level, std::string_view message) {
  std::string safe = redact(message);
  if (json_) {
    event({{"event", "log"}, {"level", level}, {"message", safe}});
  } else {
    err_ << level << ": " << safe << '\n';
  }
}

}  // namespace cutover
