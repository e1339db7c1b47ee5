// Per-environment (per JS thread) state and the fixed-size connection struct.
#pragma once
#include <napi.h>
#include <uv.h>

#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "checked_array.h"
#include "frame_parser.h"
#include "send_queue.h"
#include "timer_wheel.h"

namespace qrpc {

// Event records shared with JS: 8 x uint32 (32 bytes) each.
//   [0] type  [1] conn id  [2..3] request id, big-endian bytes (FRAME)
//   [4] flags<<24|cmd (FRAME) / a   [5] payload offset / b   [6] payload length
//   [7] index+1 of the payload's ArrayBuffer in the batch's buffer array (0 = empty payload)
// ACCEPT and CONNECTED carry the socket's addresses (so JS keeps three small
// integers per connection instead of strings, and needs no call to fetch them):
//   [4] bits 24..31 address kind: 1 IPv4, 2 IPv4-mapped IPv6, 0 not packed (ask addresses())
//   [5] remote IPv4 (host order)  [6] remote port<<16 | local port  [7] local IPv4
enum EventType : uint32_t {
  kEvFrame = 1,
  kEvAccept = 2,         // [4] listener id | address kind<<24, [5..7] addresses
  kEvClose = 3,          // [4] reason, [5] errno or bad length
  kEvDrain = 4,          // queue emptied
  kEvConnected = 5,      // [4] address kind<<24, [5..7] addresses
  kEvConnectFailed = 6,  // [4] errno (0 = timed out)
};
constexpr size_t kEventWords = 8;

enum CloseReason : uint32_t {
  kCloseOrderly = 0,
  kCloseInvalidFrame = 1,
  kCloseTooLarge = 2,
  kCloseReadTimeout = 3,
  kCloseWriteTimeout = 4,
  kCloseStalled = 5,
  kCloseSocket = 6,
  kCloseNoMemory = 7,  // an allocation for this connection failed: ERR_NO_MEMORY
};

enum ConnFlags : uint16_t {
  kAttached = 1,
  kPaused = 2,
  kEof = 4,            // peer sent FIN; reading stopped
  kEndWanted = 8,      // JS called end(): shutdown(SHUT_WR) once drained
  kConnecting = 16,
  kCloseAfterDrain = 32,
  kEofListed = 64,
};

struct SockOpts {
  uint64_t max_length = 10 * 1024 * 1024;
  uint32_t hwm = 1024 * 1024;
  uint32_t read_timeout = 0;
  uint32_t write_timeout = 0;
  uint32_t stall_timeout = 3000;
  uint32_t keepalive = 20000;
  uint32_t sndbuf = 0;  // SO_SNDBUF; 0 keeps the kernel's default
  uint32_t rcvbuf = 0;  // SO_RCVBUF; 0 keeps the kernel's default
  bool no_delay = true;
};

// One per socket; about 150 bytes. Timer node first (the wheel hands it back).
struct Conn {
  WheelNode timer;
  SendQueue out;
  FrameParser parser;
  uint64_t max_length;
  uint64_t idle_since;   // last read (or attach / setReadTimeout); connect deadline while connecting
  uint64_t write_since;  // output queued since (0 = queue empty)
  uint64_t stall_since;  // header arrived, payload incomplete since (0 = not waiting)
  uint32_t id;
  int fd;
  uint32_t ep_mask;
  uint32_t read_timeout, write_timeout, stall_timeout;
  uint32_t fl_epoch, fl_head, fl_tail;  // flush(): this tick's ops for this conn, chained
  uint16_t flags;
};

struct Listener {
  WheelNode timer;  // accept back-off after EMFILE/ENFILE
  uint32_t id;
  int fd;
  bool paused;
  bool backoff;
  bool polled;
  bool wildcard;            // bound to 0.0.0.0 / ::: the local address differs per connection
  sockaddr_storage bound;   // the local address of every accepted socket unless wildcard
  SockOpts opts;
};

class ConnTable {
 public:
  static constexpr uint32_t kSlotBits = 20;
  static constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
  Conn* Get(uint32_t id) const {
    uint32_t slot = id & kSlotMask;
    if (slot >= slots_.size()) return nullptr;
    Conn* c = slots_[slot];
    return (c != nullptr && c->id == id) ? c : nullptr;
  }
  Conn* Create(int fd);  // null when out of slots or memory
  void Destroy(Conn* c);
  size_t size() const { return count_; }
  // Slots the table can hold without growing: what per-connection lists must be able to hold too.
  size_t capacity() const { return slots_.capacity(); }
  template <class F>
  void ForEach(F&& f) {
    for (Conn* c : slots_)
      if (c) f(c);
  }

 private:
  // Grown together, checked: a peer opening connections must not be able to make growth abort().
  // free_ always has room for every slot, so Destroy never allocates.
  CheckedArray<Conn*> slots_;
  CheckedArray<uint16_t> gens_;
  CheckedArray<uint32_t> free_;
  size_t free_head_ = 0;
  size_t count_ = 0;
};

struct State {
  napi_env env = nullptr;
  uv_loop_t* loop = nullptr;
  int epfd = -1;
  uv_poll_t* poll = nullptr;
  uv_timer_t* timer = nullptr;
  // The wheel's one-shot uv timer, armed for the earliest deadline only (an
  // idle server with far timeouts is not woken every tick).
  bool timer_armed = false;
  uint64_t timer_due = 0;       // loop time it is armed for
  uint64_t timer_wakeups = 0;   // times it fired (stats())
  bool poll_refed = false;
  bool closing = false;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  int open_handles = 0;

  ConnTable conns;
  std::vector<Listener*> listeners;  // index = id - 1
  size_t open_listeners = 0;
  TimerWheel wheel;

  // JS side
  Napi::FunctionReference on_events;
  Napi::Reference<Napi::ArrayBuffer> events_ref, send_ref, ops_ref, report_ref;
  napi_async_context async_ctx = nullptr;
  bool initialized = false;

  // Event table
  uint32_t* ev = nullptr;
  size_t ev_cap = 0;
  size_t ev_count = 0;
  // Payload memory (payload_memory.cc). Small payloads are copied into the
  // current pool, an 8 KiB JS ArrayBuffer filled front to back across
  // batches (every byte written once; JS views are never rewritten); bigger
  // ones get an ArrayBuffer of their own. Every ArrayBuffer a batch uses is
  // listed once in `buffers`; records point at it by index.
  uint8_t* pool = nullptr;
  size_t pool_used = 0, pool_cap = 0;
  napi_ref pool_ref = nullptr;
  uint32_t pool_index = 0;       // index+1 of the pool in this batch's buffers (0 = not listed yet)
  bool pool_checked = false;     // checked for detachment since JS last ran
  bool pool_carried = false;     // the pool was handed to JS in an earlier batch
  uint32_t carried_index = 0;    // index+1 of that carried pool in buffers (JS marked it already)
  napi_value buffers = nullptr;  // JS array of this batch's ArrayBuffers
  uint32_t buffers_len = 0;
  // Read scratch, reused: nothing JS can see points into it.
  uint8_t* scratch = nullptr;
  // Connections whose peer half-closed, each listed once (kEofListed); both
  // lists are kept as large as the connection table (NewConn), so listing never allocates.
  CheckedArray<uint32_t> eof_list;
  CheckedArray<uint32_t> eof_spare;

  // Send path
  uint8_t* send_area = nullptr;
  size_t send_cap = 0;
  uint32_t* ops = nullptr;  // [conn id, extra index+1 (0 = send area), offset, length]
  size_t ops_cap = 0;
  uint32_t* report = nullptr;  // [count, (conn id, kind, value)...]
  size_t report_cap = 0;
  uint32_t flush_epoch = 0;
  std::vector<uint32_t> op_next;
  std::vector<Conn*> touched;
  std::vector<struct iovec> iov;
  std::vector<struct iovec> iov_sent;

  uint64_t Now() const { return uv_now(loop); }

  // loop.cc
  int Init(napi_env env);
  void Service();  // epoll_wait(0) and handle everything ready
  void FinishWake();
  void OnTimer();
  void Dispatch();
  bool EnsureRoom();
  // payload_memory.cc: copies (or adopts) one payload into JS memory and
  // fills r[5] (offset) and r[7] (buffer index+1); false = out of memory.
  bool PlacePayload(uint32_t* r, const uint8_t* p, size_t len, uint8_t*& owned, size_t owned_total);
  bool UsablePool(size_t len);
  bool NewPool();
  uint32_t ListBuffer(napi_value ab);
  void ForgetPool();
  void AfterDispatch();
  uint32_t* PushEvent(uint32_t type, uint32_t id);
  void UpdateEvents(Conn* c);
  void UpdateRef();
  void Reschedule(Conn* c);
  void ArmTimerFor(uint64_t due);  // a node was scheduled at `due`
  void RearmTimer();               // after the wheel advanced
  void CloseConn(Conn* c, uint32_t reason, uint32_t detail);  // emits kEvClose
  void DropConn(Conn* c);                                      // silent
  void Report(uint32_t id, uint32_t kind, uint32_t value);
  void FailConn(Conn* c);  // out of memory while queueing output: report and drop
  void AfterQueue(Conn* c);
  void ApplySockOpts(int fd, const SockOpts& o);
  void ApplyBufferSizes(int fd, const SockOpts& o);
  static void PackAddrs(uint32_t* r, const sockaddr_storage& peer, const sockaddr_storage& local);
  Conn* NewConn(int fd, const SockOpts& o);
  void UpdateListener(Listener* l);
  void Teardown();

 private:
  void OnConnEvents(uint32_t id, uint32_t events);
  void ReadConn(Conn* c);
  void WriteQueued(Conn* c);
  void OnListenerReady(Listener* l);
  void OnConnTimer(Conn* c, uint64_t now);
};

enum ReportKind : uint32_t { kReportQueued = 1, kReportError = 2, kReportNoMemory = 3 };

}  // namespace qrpc
