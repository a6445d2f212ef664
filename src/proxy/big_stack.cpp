// Runs a function on a short-lived thread with a stack of a chosen size (POSIX threads, because
// std::thread cannot choose its stack).
#include "proxy/big_stack.h"

#include <pthread.h>
#include <unistd.h>

#include <limits>

namespace cutover::proxy {
namespace {

void* run(void* fn) {
  (*static_cast<const std::function<void()>*>(fn))();
  return nullptr;
}

}  // namespace

bool run_with_stack(std::size_t stack_bytes, const std::function<void()>& fn) noexcept {
  const long page = sysconf(_SC_PAGESIZE);
  const std::size_t page_bytes = page > 0 ? static_cast<std::size_t>(page) : 4096;
  const std::size_t minimum = static_cast<std::size_t>(PTHREAD_STACK_MIN);
  std::size_t size = stack_bytes < minimum ? minimum : stack_bytes;
  if (size > std::numeric_limits<std::size_t>::max() - page_bytes) return false;
  size = (size + page_bytes - 1) / page_bytes * page_bytes;
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_t thread;
  bool made =
      pthread_attr_setstacksize(&attr, size) == 0 &&
      pthread_create(&thread, &attr, run, const_cast<void*>(static_cast<const void*>(&fn))) == 0;
  pthread_attr_destroy(&attr);
  if (made) pthread_join(thread, nullptr);
  return made;
}

}  // namespace cutover::proxy
