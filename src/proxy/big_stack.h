// Runs a function on a short-lived thread with a stack of a chosen size, for deep recursion.
#pragma once

#include <cstddef>
#include <functional>

namespace cutover::proxy {

// Runs `fn` on a new thread whose stack holds `stack_bytes` (rounded up to whole pages, at least
// the system's minimum) and returns once it has ended: true if it ran, false if the thread could
// not be made (no memory for the stack, too many threads), in which case `fn` did not run. The
// calling thread waits meanwhile. `fn` must not throw: nothing could catch it. The stack's
// pages are reserved, and only those touched take memory.
bool run_with_stack(std::size_t stack_bytes, const std::function<void()>& fn) noexcept;

}  // namespace cutover::proxy
