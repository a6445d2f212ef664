// A server of a test's own, started with scripts/servers/, for tests that stop it, restart it or
// change its global settings: the shared servers must not see that.
#pragma once

#include <filesystem>
#include <string>

namespace cutover::test {

// A free TCP port on 127.0.0.1 at the time of the call.
int free_port();

class ThrowawayServer {
 public:
  // `kind` is a script in scripts/servers/: "postgres" or "mariadb". Starts it at once; throws
  // std::runtime_error with the script's output when it fails.
  explicit ThrowawayServer(std::string kind);
  ~ThrowawayServer();
  ThrowawayServer(const ThrowawayServer&) = delete;
  ThrowawayServer& operator=(const ThrowawayServer&) = delete;

  void start();
  void stop();

  const std::string& url() const { return url_; }  // no password in it
  std::filesystem::path password_file() const { return dir_ / "password"; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string kind_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::string url_;
};

}  // namespace cutover::test
