// Single-level hashed timing wheel (8 ms ticks, 512 slots ≈ 4 s per turn).
// The owner's uv timer is one-shot, armed for NextDue() (the earliest
// deadline, rounded up to its tick), not a periodic 8 ms tick.
// Every connection owns at most one node scheduled at its earliest deadline;
// deadlines that move later (a read resets the idle cut-off) are not moved in
// the wheel: the node fires, the owner recomputes and reschedules. Nodes due
// beyond one turn stay in their slot and are skipped until their turn comes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace qrpc {

enum TimerKind : uint8_t { kTimerConn = 1, kTimerListener = 2 };

struct WheelNode {
  WheelNode* prev = nullptr;
  WheelNode* next = nullptr;
  uint64_t due = 0;
  uint8_t kind = 0;
  bool Linked() const { return prev != nullptr; }
};

class TimerWheel {
 public:
  static constexpr uint64_t kTickMs = 8;
  static constexpr size_t kSlots = 512;

  TimerWheel();
  void Start(uint64_t now) { cur_tick_ = now / kTickMs; }
  void Schedule(WheelNode* n, uint64_t due);
  void Cancel(WheelNode* n);
  size_t size() const { return count_; }
  // The loop time at which the earliest node becomes due (its tick's end);
  // UINT64_MAX when empty. Scans slots from the current tick and stops at the
  // first slot holding a node due within this turn; only when nothing is due
  // within a turn does it visit every node (the minimum of the far ones).
  uint64_t NextDue() const;
  static uint64_t TickOf(uint64_t due) { return (due + kTickMs - 1) / kTickMs; }
  // Unlinks every node due at or before `now` and calls fire(node) for each.
  // fire may schedule or cancel any node (including others still pending).
  template <class F>
  void Advance(uint64_t now, F&& fire);

 private:
  static void Unlink(WheelNode* n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
  }
  static void LinkBefore(WheelNode* head, WheelNode* n) {
    n->next = head;
    n->prev = head->prev;
    head->prev->next = n;
    head->prev = n;
  }
  WheelNode slots_[kSlots];
  uint64_t cur_tick_ = 0;
  size_t count_ = 0;
};

template <class F>
void TimerWheel::Advance(uint64_t now, F&& fire) {
  uint64_t target = now / kTickMs;
  if (target < cur_tick_) return;
  uint64_t steps = target - cur_tick_ + 1;
  if (steps > kSlots) steps = kSlots;
  WheelNode expired;
  expired.prev = expired.next = &expired;
  for (uint64_t i = 0; i < steps; i++) {
    WheelNode* head = &slots_[(cur_tick_ + i) % kSlots];
    for (WheelNode* n = head->next; n != head;) {
      WheelNode* next = n->next;
      if (n->due <= now) {
        Unlink(n);
        LinkBefore(&expired, n);
      }
      n = next;
    }
  }
  cur_tick_ = target + 1;
  while (expired.next != &expired) {
    WheelNode* n = expired.next;
    Unlink(n);
    count_--;
    fire(n);
  }
}

}  // namespace qrpc
