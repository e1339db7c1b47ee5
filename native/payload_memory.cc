// Payload memory handed to JS.
//
// Rule: bytes handed to JS are never written again, so a payload Buffer
// stays valid and unchanged for as long as JS holds it.
//
// - A payload below kSmallPayload (Node's own Buffer-pool rule: allocUnsafe
//   pools below 4 KiB) is copied into the current pool, a kPoolSize (8 KiB)
//   JS ArrayBuffer filled front to back across batches; when the rest cannot
//   take the payload a fresh pool starts and GC frees the old one with its
//   last view. A held small payload therefore pins at most 8 KiB (Node's
//   Buffer pool pins up to 8 KiB too), instead of a 512 KiB pool before.
// - A bigger payload gets an ArrayBuffer of exactly its size; one assembled in
//   a parser tail of >= kOwnThreshold is adopted as is (zero copy; the tail is
//   exactly 4 + length bytes once complete), pinning only its 16-byte header.
// - Every ArrayBuffer a batch uses is listed once in the batch's `buffers`
//   array; JS marks each newly listed one untransferable
//   (worker_threads.markAsUntransferable), so structuredClone / postMessage
//   with a transfer list copy it instead of detaching it under other payloads.
// - A runtime that could still detach the pool (user code between batches)
//   must not make native write into memory it gave away: the pool is checked
//   with napi_is_detached_arraybuffer before the first write after JS ran,
//   and a detached pool is forgotten (a fresh one starts).
#include <cstring>

#include "alloc.h"
#include "state.h"

namespace qrpc {

static constexpr size_t kSmallPayload = 4 * 1024;
static constexpr size_t kPoolSize = 8 * 1024;
static constexpr size_t kOwnThreshold = 16 * 1024;

static void FreeTail(napi_env, void* data, void*) { free(data); }

uint32_t State::ListBuffer(napi_value ab) {
  if (buffers == nullptr && napi_create_array(env, &buffers) != napi_ok) return 0;
  if (napi_set_element(env, buffers, buffers_len, ab) != napi_ok) return 0;
  return ++buffers_len;
}

void State::ForgetPool() {
  if (pool_ref != nullptr) napi_delete_reference(env, pool_ref);
  pool_ref = nullptr;
  pool = nullptr;
  pool_used = pool_cap = 0;
  pool_index = 0;
  pool_carried = false;
}

bool State::NewPool() {
  ForgetPool();
  if (InjectAllocFailure()) return false;
  napi_value ab;
  void* data;
  if (napi_create_arraybuffer(env, kPoolSize, &data, &ab) != napi_ok) return false;
  if (napi_create_reference(env, ab, 1, &pool_ref) != napi_ok) return false;
  pool = static_cast<uint8_t*>(data);
  pool_cap = kPoolSize;
  return true;
}

// A pool that can take `len` more bytes and is listed in this batch.
bool State::UsablePool(size_t len) {
  if (pool != nullptr && !pool_checked) {
    // JS ran since the last write: it may have detached the pool.
    napi_value ab;
    bool detached = true;
    if (napi_get_reference_value(env, pool_ref, &ab) == napi_ok && ab != nullptr)
      napi_is_detached_arraybuffer(env, ab, &detached);
    if (detached) ForgetPool();
  }
  pool_checked = true;
  if (pool == nullptr || pool_cap - pool_used < len) {
    if (!NewPool()) return false;
  }
  if (pool_index == 0) {
    napi_value ab;
    if (napi_get_reference_value(env, pool_ref, &ab) != napi_ok) return false;
    pool_index = ListBuffer(ab);
    if (pool_index == 0) return false;
    if (pool_carried) carried_index = pool_index;
  }
  return true;
}

bool State::PlacePayload(uint32_t* r, const uint8_t* p, size_t len, uint8_t*& owned, size_t owned_total) {
  if (len < kSmallPayload) {
    if (!UsablePool(len)) return false;
    memcpy(pool + pool_used, p, len);
    r[5] = uint32_t(pool_used);
    r[7] = pool_index;
    pool_used += len;
    return true;
  }
  napi_value ab;
  if (owned != nullptr && len >= kOwnThreshold) {
    if (InjectAllocFailure() ||
        napi_create_external_arraybuffer(env, owned, owned_total, FreeTail, nullptr, &ab) != napi_ok)
      return false;
    owned = nullptr;  // the ArrayBuffer frees it
    r[5] = kHeaderSize;  // the payload follows the header in the adopted tail
  } else {
    void* data;
    if (InjectAllocFailure() || napi_create_arraybuffer(env, len, &data, &ab) != napi_ok) return false;
    memcpy(data, p, len);
    r[5] = 0;
  }
  r[7] = ListBuffer(ab);
  return r[7] != 0;
}

// JS ran (the batch was delivered): the next batch starts its own list; the
// pool, if any, was seen by JS and must be re-checked before the next write.
void State::AfterDispatch() {
  buffers = nullptr;
  buffers_len = 0;
  pool_index = 0;
  carried_index = 0;
  pool_checked = false;
  pool_carried = pool != nullptr;
}

}  // namespace qrpc
