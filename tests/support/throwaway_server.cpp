// A server of a test's own, started with scripts/servers/.
#include "support/throwaway_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "support/process.h"

namespace cutover::test {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

ThrowawayServer::ThrowawayServer(std::string kind) : kind_(std::move(kind)) {
  char pattern[] = "/tmp/cutover-test-server.XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::others_exec |
                                         std::filesystem::perms::group_exec);
  port_ = free_port();
  start();
}

ThrowawayServer::~ThrowawayServer() {
  try {
    stop();
    std::filesystem::remove_all(dir_);
  } catch (const std::exception&) {
    // Best effort: a leftover temp directory is harmless.
  }
}

void ThrowawayServer::start() {
  auto r = run_process({std::string(CUTOVER_SOURCE_DIR) + "/scripts/servers/" + kind_, "start",
                        dir_.string(), std::to_string(port_)});
  if (r.exit_code != 0) {
    throw std::runtime_error("scripts/servers/" + kind_ + " start failed:\n" + r.out + r.err);
  }
  url_ = r.out.substr(0, r.out.find('\n'));
}

void ThrowawayServer::stop() {
  auto r = run_process(
      {std::string(CUTOVER_SOURCE_DIR) + "/scripts/servers/" + kind_, "stop", dir_.string()});
  if (r.exit_code != 0) {
    throw std::runtime_error("scripts/servers/" + kind_ + " stop failed:\n" + r.out + r.err);
  }
}

}  // namespace cutover::test
