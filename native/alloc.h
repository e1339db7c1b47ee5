// Allocation points reachable from peer input go through these wrappers so a
// failure is a return value the caller turns into "close this connection with
// kCloseNoMemory", never an abort(). Tests make the next n of them fail
// (addon: __failAllocations(n)) to prove each path; per thread, like State.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace qrpc {

inline thread_local uint32_t g_fail_allocations = 0;

// True when the test hook says this allocation must fail (and counts it).
inline bool InjectAllocFailure() {
  if (g_fail_allocations == 0) return false;
  g_fail_allocations--;
  return true;
}

inline void* TryMalloc(size_t n) { return InjectAllocFailure() ? nullptr : malloc(n); }
inline void* TryRealloc(void* p, size_t n) { return InjectAllocFailure() ? nullptr : realloc(p, n); }

}  // namespace qrpc
