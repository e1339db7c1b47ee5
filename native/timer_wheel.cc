#include "timer_wheel.h"

namespace qrpc {

TimerWheel::TimerWheel() {
  for (auto& s : slots_) s.prev = s.next = &s;
}

void TimerWheel::Schedule(WheelNode* n, uint64_t due) {
  Cancel(n);
  n->due = due;
  uint64_t tick = (due + kTickMs - 1) / kTickMs;
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
