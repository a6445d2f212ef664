// The proxy's state file: the mode and the active backend, kept across restarts of the process.
#include "proxy/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace cutover::proxy {
namespace {

namespace fs = std::filesystem;
constexpr int kVersion = 1;

fs::path folder_of(const fs::path& file) {
  return file.parent_path().empty() ? fs::path(".") : file.parent_path();
}

[[noreturn]] void refuse(const fs::path& file, const std::string& problem) {
  throw_bad_input(
      "the proxy state file " + file.string() + " " + problem,
      "it holds the mode and the backend the proxy had when it stopped; put it right, or delete "
      "it to start read-write on the config's `active` backend (only if that is where the "
      "application's data now is)");
}

// The time iso_time() wrote, or nullopt.
std::optional<std::chrono::system_clock::time_point> parse_iso_time(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &consumed) != 7 ||
      static_cast<std::size_t>(consumed) != text.size()) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t seconds = ::timegm(&tm);
  if (seconds == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(ms);
}

std::string text_field(const fs::path& file, const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
    refuse(file, std::string("has no \"") + key + "\"");
  }
  return j[key].get<std::string>();
}

std::chrono::system_clock::time_point time_field(const fs::path& file, const nlohmann::json& j,
                                                 const char* key) {
  std::string text = text_field(file, j, key);
  auto at = parse_iso_time(text);
  if (!at) refuse(file, std::string("has \"") + key + "\": '" + text + "', not a UTC time");
  return *at;
}

[[noreturn]] void write_failed(const fs::path& file, const std::string& step, int error) {
  throw Error(ErrorCode::kOperationFailed,
              "cannot write the proxy state file " + file.string() + ": " + step + ": " +
                  std::strerror(error),
              "nothing changed; make its folder writable (and not full) for the proxy, or give "
              "the proxy another file with `state_file:` or --state-file");
}

}  // namespace

std::optional<DurableState> read_state_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec) && !ec) return std::nullopt;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || !fs::is_regular_file(file, ec)) refuse(file, "cannot be read");
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) refuse(file, "is not valid JSON (cut short, or edited by hand?)");
  if (!j.is_object()) refuse(file, "is not a JSON object");
  if (j.value("version", 0) != kVersion) {
    refuse(file, "is not version " + std::to_string(kVersion) + " (a newer cutover wrote it?)");
  }
  DurableState state;
  std::string mode = text_field(file, j, "mode");
  if (mode == mode_name(ProxyMode::kReadOnly)) {
    state.mode = ProxyMode::kReadOnly;
  } else if (mode != mode_name(ProxyMode::kReadWrite)) {
    refuse(file, "has \"mode\": '" + mode + "', not read-only or read-write");
  }
  state.mode_since = time_field(file, j, "mode_since");
  state.backend = text_field(file, j, "backend");
  state.backend_since = time_field(file, j, "backend_since");
  return state;
}

void write_state_file(const fs::path& file, const DurableState& state) {
  nlohmann::json j = {
      {"about", "cutover proxy: the mode and backend it restores at start (docs/proxy.md)"},
      {"version", kVersion},
      {"mode", mode_name(state.mode)},
      {"mode_since", iso_time(state.mode_since)},
      {"backend", state.backend},
      {"backend_since", iso_time(state.backend_since)}};
  std::string text = j.dump(2) + "\n";
  fs::path temp =
      folder_of(file) / ("." + file.filename().string() + ".tmp-" + std::to_string(::getpid()));
  ::unlink(temp.c_str());  // a leftover of a process killed while writing
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) write_failed(file, "create " + temp.string(), errno);
  auto fail = [&](const std::string& step) {
    int error = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    write_failed(file, step, error);
  };
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write " + temp.string());
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync " + temp.string());
  int closing = fd;
  fd = -1;
  if (::close(closing) != 0) fail("close " + temp.string());
  if (::rename(temp.c_str(), file.c_str()) != 0) fail("rename " + temp.string());
  // The rename itself reaches the disk with the folder.
  int folder = ::open(folder_of(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder < 0 || ::fsync(folder) != 0) {
    int error = errno;
    if (folder >= 0) ::close(folder);
    write_failed(file, "fsync its folder", error);
  }
  ::close(folder);
}

void require_writable_state_folder(const fs::path& file) {
  fs::path folder = folder_of(file);
  if (::access(folder.c_str(), W_OK | X_OK) == 0) return;
  throw_bad_input(
      "the proxy cannot write its state file " + file.string() + ": " + folder.string() + ": " +
          std::strerror(errno),
      "the proxy keeps its mode and backend there so that a restart does not lose them: make "
      "the folder writable for the proxy, or choose a file in a writable folder with "
      "`state_file:` in the config or --state-file (a StateDirectory= under systemd, an "
      "emptyDir volume in Kubernetes)");
}

}  // namespace cutover::proxy
