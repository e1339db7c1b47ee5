// Connection table: slot index (low 20 bits) + generation (high 12 bits) make
// the 32-bit id JS holds; a stale id (closed connection, slot reused) never
// resolves. Free slots are reused FIFO to keep generations apart.
#include <cstdlib>
#include <new>

#include "state.h"

namespace qrpc {

Conn* ConnTable::Create(int fd) {
  uint32_t slot;
  if (free_head_ < free_.size()) {
    slot = free_[free_head_++];
    if (free_head_ > 1024 && free_head_ * 2 > free_.size()) {
      free_.EraseFront(free_head_);
      free_head_ = 0;
    }
  } else {
    if (slots_.size() > kSlotMask) return nullptr;
    size_t n = slots_.size() + 1;
    if (!slots_.TryReserve(n) || !gens_.TryReserve(slots_.capacity()) || !free_.TryReserve(slots_.capacity())) return nullptr;
    slot = uint32_t(slots_.size());
    slots_.TryPush(nullptr);
    gens_.TryPush(0);
  }
  Conn* c = new (std::nothrow) Conn();
  if (c == nullptr) {
    free_.TryPush(slot);
    return nullptr;
  }
  uint16_t gen = uint16_t((gens_[slot] + 1) & 0xfff);
  if (gen == 0) gen = 1;
  gens_[slot] = gen;
  c->id = (uint32_t(gen) << kSlotBits) | slot;
  c->fd = fd;
  c->timer.kind = kTimerConn;
  slots_[slot] = c;
  count_++;
  return c;
}

void ConnTable::Destroy(Conn* c) {
  uint32_t slot = c->id & kSlotMask;
  slots_[slot] = nullptr;
  c->out.Clear();
  c->parser.Reset();
  delete c;
  free_.TryPush(slot);  // reserved with the slot: never grows here
  count_--;
}

}  // namespace qrpc
