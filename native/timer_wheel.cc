#include "timer_wheel.h"

namespace qrpc {

TimerWheel::TimerWheel() {
  for (auto& s : slots_) s.prev = s.next = &s;
}

void TimerWheel::Schedule(WheelNode* n, uint64_t due) {
  Cancel(n);
  n->due = due;
  uint64_t tick = TickOf(due);
  if (tick < cur_tick_) tick = cur_tick_;
  LinkBefore(&slots_[tick % kSlots], n);
  count_++;
}

void TimerWheel::Cancel(WheelNode* n) {
  if (!n->Linked()) return;
  Unlink(n);
  count_--;
}

}  // namespace qrpc

namespace qrpc {

uint64_t TimerWheel::NextDue() const {
  if (count_ == 0) return UINT64_MAX;
  uint64_t best = UINT64_MAX;
  for (uint64_t i = 0; i < kSlots; i++) {
    const WheelNode* head = &slots_[(cur_tick_ + i) % kSlots];
    for (const WheelNode* n = head->next; n != head; n = n->next) {
      uint64_t tick = TickOf(n->due);
      if (tick < cur_tick_) tick = cur_tick_;  // as Schedule placed it
      if (tick == cur_tick_ + i) return tick * kTickMs;  // due this turn: nothing earlier exists
      if (tick < best) best = tick;
    }
  }
  return best * kTickMs;
}

}  // namespace qrpc
