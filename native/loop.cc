// The per-thread epoll set, polled by libuv as ONE uv_poll_t on the epoll fd.
// On readiness: epoll_wait(timeout 0) on the JS thread, service every ready
// socket (accept, connect completion, reads through the frame parser into the
// batch, queued writes), then call JS once per batch.
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "state.h"

namespace qrpc {

static constexpr size_t kScratchSize = 64 * 1024;
// A full scratch chunk holds at most kScratchSize/16 frames, plus one from the
// tail and a close: room for that many records must exist before a read.
static constexpr size_t kRoomPerRead = kScratchSize / kHeaderSize + 8;
static constexpr int kReadsPerWake = 4;
static constexpr int kAcceptsPerWake = 128;
static constexpr uint64_t kAcceptBackoffMs = 100;
static constexpr uint64_t kListenerTag = 1ull << 32;

int State::Init(napi_env e) {
  env = e;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return -EINVAL;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return -errno;
  scratch = static_cast<uint8_t*>(malloc(kScratchSize));
  if (scratch == nullptr) return -ENOMEM;
  poll = new uv_poll_t;
  timer = new uv_timer_t;
  int r = uv_poll_init(loop, poll, epfd);
  if (r != 0) return r;
  poll->data = this;
  open_handles++;
  uv_timer_init(loop, timer);
  timer->data = this;
  open_handles++;
  uv_unref(reinterpret_cast<uv_handle_t*>(timer));
  uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  wheel.Start(Now());
  uv_poll_start(poll, UV_READABLE, [](uv_poll_t* h, int, int) {
    State* s = static_cast<State*>(h->data);
    if (s->closing) return;
    Napi::HandleScope scope(s->env);
    s->Service();
    s->FinishWake();
  });
  return 0;
}

static bool V4Of(const sockaddr_storage& ss, uint32_t* ip, uint32_t* port, bool* mapped) {
  if (ss.ss_family == AF_INET) {
    const sockaddr_in* a = reinterpret_cast<const sockaddr_in*>(&ss);
    *ip = ntohl(a->sin_addr.s_addr);
    *port = ntohs(a->sin_port);
    *mapped = false;
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    const sockaddr_in6* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (!IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return false;
    uint32_t w;
    memcpy(&w, a->sin6_addr.s6_addr + 12, 4);
    *ip = ntohl(w);
    *port = ntohs(a->sin6_port);
    *mapped = true;
    return true;
  }
  return false;
}

void State::PackAddrs(uint32_t* r, const sockaddr_storage& peer, const sockaddr_storage& local) {
  uint32_t pip, pport, lip, lport;
  bool pm, lm;
  if (!V4Of(peer, &pip, &pport, &pm) || !V4Of(local, &lip, &lport, &lm) || pm != lm) return;  // kind 0
  r[4] |= uint32_t(pm ? 2 : 1) << 24;
  r[5] = pip;
  r[6] = (pport << 16) | lport;
  r[7] = lip;
}

void State::UpdateRef() {
  bool want = conns.size() > 0 || open_listeners > 0;
  if (want == poll_refed || closing) return;
  poll_refed = want;
  if (want) uv_ref(reinterpret_cast<uv_handle_t*>(poll));
  else uv_unref(reinterpret_cast<uv_handle_t*>(poll));
}

// ---------------------------------------------------------------- batches

uint32_t* State::PushEvent(uint32_t type, uint32_t id) {
  // Callers guarantee room (EnsureRoom before reads; other events are few).
  if (ev_count >= ev_cap) Dispatch();
  uint32_t* r = ev + ev_count * kEventWords;
  ev_count++;
  memset(r, 0, kEventWords * 4);
  r[0] = type;
  r[1] = id;
  return r;
}

// Room for one more read: event records (payload memory is allocated per
// payload, see payload_memory.cc).
bool State::EnsureRoom() { return ev_count + kRoomPerRead <= ev_cap; }

void State::Dispatch() {
  if (ev_count == 0 || !initialized) return;
  // onEvents(count, buffers, carried): `carried` = index+1 of the one buffer
  // JS has seen (and marked untransferable) in an earlier batch, 0 if none.
  napi_value args[3];
  napi_create_uint32(env, uint32_t(ev_count), &args[0]);
  if (buffers) args[1] = buffers;
  else napi_get_undefined(env, &args[1]);
  napi_create_uint32(env, carried_index, &args[2]);
  ev_count = 0;
  AfterDispatch();
  napi_value recv, fn, result;
  napi_get_global(env, &recv);  // make_callback wants an object receiver
  fn = on_events.Value();
  // make_callback: runs nextTick/microtask queues afterwards (the JS flush).
  napi_status st = napi_make_callback(env, async_ctx, recv, fn, 3, args, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
}

// Collects frames of one connection into the batch.
struct BatchSink {
  State* s;
  uint32_t id;
  bool Frame(const uint8_t* f, size_t total, uint8_t*& owned) {
    uint32_t* r = s->PushEvent(kEvFrame, id);
    memcpy(r + 2, f + 4, 8);  // request id, big-endian
    r[4] = ReadU32BE(f + 12);
    size_t len = total - kHeaderSize;
    r[6] = uint32_t(len);
    if (len == 0) return true;
    if (s->PlacePayload(r, f + kHeaderSize, len, owned, total)) return true;
    s->ev_count--;  // not delivered: the connection closes with kCloseNoMemory
    return false;
  }
};

// ---------------------------------------------------------------- connections

void State::UpdateEvents(Conn* c) {
  uint32_t want = 0;
  if (c->flags & kConnecting) {
    want = EPOLLOUT;
  } else {
    if ((c->flags & (kAttached | kPaused | kEof)) == kAttached) want |= EPOLLIN;
    if (!c->out.Empty()) want |= EPOLLOUT;
  }
  if (want == c->ep_mask) return;
  struct epoll_event e;
  e.events = want;
  e.data.u64 = c->id;
  if (c->ep_mask == 0) epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e);
  else if (want == 0) epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, &e);
  else epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
  c->ep_mask = want;
}

void State::Reschedule(Conn* c) {
  uint64_t due = UINT64_MAX;
  if (c->flags & kConnecting) {
    if (c->idle_since) due = c->idle_since;
  } else {
    // Read idle and stalled payload measure the peer, so they do not run while we choose not to read (paused).
    const bool reading = (c->flags & (kAttached | kPaused)) == kAttached;
    if (c->read_timeout && reading) due = c->idle_since + c->read_timeout;
    if (c->write_timeout && c->write_since && c->write_since + c->write_timeout < due) due = c->write_since + c->write_timeout;
    if (c->stall_timeout && c->stall_since && reading && c->stall_since + c->stall_timeout < due) due = c->stall_since + c->stall_timeout;
  }
  if (due == UINT64_MAX) {
    wheel.Cancel(&c->timer);
    if (wheel.size() == 0 && timer_armed) RearmTimer();  // stops it
  } else if (!c->timer.Linked() || due < c->timer.due) {
    wheel.Schedule(&c->timer, due);
    ArmTimerFor(due);
  }
}

static void OnWheelTimer(uv_timer_t* t) {
  State* s = static_cast<State*>(t->data);
  s->timer_armed = false;
  if (s->closing) return;
  s->timer_wakeups++;
  Napi::HandleScope scope(s->env);
  s->OnTimer();
  s->FinishWake();
}

// O(1): only an earlier deadline than the armed one restarts the timer.
void State::ArmTimerFor(uint64_t due) {
  if (closing) return;
  uint64_t at = TimerWheel::TickOf(due) * TimerWheel::kTickMs;  // the end of its tick: Advance then reaches its slot
  if (timer_armed && timer_due <= at) return;
  uint64_t now = Now();
  timer_armed = true;
  timer_due = at;
  uv_timer_start(timer, OnWheelTimer, at > now ? at - now : 0, 0);
}

void State::RearmTimer() {
  if (closing) return;
  uint64_t next = wheel.NextDue();
  if (next == UINT64_MAX) {
    if (timer_armed) uv_timer_stop(timer);
    timer_armed = false;
    return;
  }
  timer_armed = false;
  ArmTimerFor(next);
}

void State::DropConn(Conn* c) {
  wheel.Cancel(&c->timer);
  if (c->ep_mask) {
    struct epoll_event e = {};
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, &e);
  }
  close(c->fd);
  conns.Destroy(c);
  UpdateRef();
}

void State::CloseConn(Conn* c, uint32_t reason, uint32_t detail) {
  uint32_t* r = PushEvent(kEvClose, c->id);
  r[4] = reason;
  r[5] = detail;
  DropConn(c);
}

void State::ApplyBufferSizes(int fd, const SockOpts& o) {
  if (o.sndbuf > 0) {
    int v = int(o.sndbuf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  }
  if (o.rcvbuf > 0) {
    int v = int(o.rcvbuf);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
}

void State::ApplySockOpts(int fd, const SockOpts& o) {
  int one = 1;
  ApplyBufferSizes(fd, o);
  if (o.no_delay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (o.keepalive > 0) {
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int idle = int((o.keepalive + 999) / 1000);
    if (idle < 1) idle = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    int intvl = 1, cnt = 10;  // what libuv/Node's setKeepAlive uses
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  }
}

Conn* State::NewConn(int fd, const SockOpts& o) {
  Conn* c = conns.Create(fd);
  if (c == nullptr) return nullptr;
  if (!eof_list.TryReserve(conns.capacity()) || !eof_spare.TryReserve(conns.capacity())) {
    conns.Destroy(c);
    return nullptr;
  }
  c->max_length = o.max_length;
  c->read_timeout = o.read_timeout;
  c->write_timeout = o.write_timeout;
  c->stall_timeout = o.stall_timeout;
  UpdateRef();
  return c;
}

void State::FailConn(Conn* c) {
  Report(c->id, kReportNoMemory, 0);
  DropConn(c);
}

void State::Report(uint32_t id, uint32_t kind, uint32_t value) {
  uint32_t n = report[0];
  if (1 + (n + 1) * 3 > report_cap) return;  // callers bound the count
  report[1 + n * 3] = id;
  report[2 + n * 3] = kind;
  report[3 + n * 3] = value;
  report[0] = n + 1;
}

// After output was queued natively: arm EPOLLOUT and the write timeout.
void State::AfterQueue(Conn* c) {
  if (c->out.Empty()) return;
  if (!c->write_since) {
    c->write_since = Now();
    if (c->write_since == 0) c->write_since = 1;
    Reschedule(c);
  }
  UpdateEvents(c);
  uint64_t b = c->out.bytes;
  Report(c->id, kReportQueued, b > 0xffffffffull ? 0xffffffffu : uint32_t(b));
}

void State::ReadConn(Conn* c) {
  uint32_t id = c->id;
  for (int i = 0; i < kReadsPerWake; i++) {
    if (!EnsureRoom()) {
      Dispatch();
      c = conns.Get(id);
      if (c == nullptr || (c->flags & (kAttached | kPaused | kEof)) != kAttached) return;
    }
    ssize_t n = recv(c->fd, scratch, kScratchSize, 0);
    if (n > 0) {
      c->idle_since = Now();
      BatchSink sink{this, id};
      const uint16_t partials = c->parser.partials;
      int e = c->parser.Push(scratch, size_t(n), c->max_length, sink);
      if (e != kParseOk) {
        if (e == kInvalidFrame) CloseConn(c, kCloseInvalidFrame, c->parser.bad_length);
        else if (e == kFrameTooLarge) CloseConn(c, kCloseTooLarge, c->parser.bad_length);
        else CloseConn(c, kCloseNoMemory, 0);
        return;
      }
      if (c->parser.AwaitingPayload()) {
        // The clock is per frame (as Go's payload deadline): it starts when an incomplete frame begins,
        // so a steady stream whose reads all end mid-frame is not taken for one stalled payload.
        if (c->stall_timeout && (!c->stall_since || c->parser.partials != partials)) {
          c->stall_since = Now();
          Reschedule(c);
        }
      } else {
        c->stall_since = 0;
      }
      if (size_t(n) < kScratchSize) return;
      continue;
    }
    if (n == 0) {
      c->flags |= kEof;
      UpdateEvents(c);
      if (!(c->flags & kEofListed)) {
        c->flags |= kEofListed;
        eof_list.TryPush(id);  // reserved for every connection in NewConn
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    CloseConn(c, kCloseSocket, uint32_t(errno));
    return;
  }
}

void State::WriteQueued(Conn* c) {
  int err = c->out.WriteTo(c->fd);
  if (err != 0) {
    CloseConn(c, kCloseSocket, uint32_t(err));
    return;
  }
  if (!c->out.Empty()) return;
  c->write_since = 0;
  UpdateEvents(c);
  if (c->flags & kCloseAfterDrain) {
    CloseConn(c, kCloseOrderly, 0);
    return;
  }
  if (c->flags & kEndWanted) shutdown(c->fd, SHUT_WR);
  PushEvent(kEvDrain, c->id);
}

void State::OnConnEvents(uint32_t id, uint32_t events) {
  Conn* c = conns.Get(id);
  if (c == nullptr) return;
  if (c->flags & kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    if (err != 0) {
      uint32_t* r = PushEvent(kEvConnectFailed, id);
      r[4] = uint32_t(err);
      DropConn(c);
      return;
    }
    c->flags &= ~kConnecting;
    c->idle_since = 0;
    wheel.Cancel(&c->timer);
    UpdateEvents(c);
    uint32_t* r = PushEvent(kEvConnected, id);
    sockaddr_storage peer = {}, local = {};
    socklen_t pl = sizeof peer, ll = sizeof local;
    if (getpeername(c->fd, reinterpret_cast<sockaddr*>(&peer), &pl) == 0 &&
        getsockname(c->fd, reinterpret_cast<sockaddr*>(&local), &ll) == 0)
      PackAddrs(r, peer, local);
    return;
  }
  if (!c->out.Empty() && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    WriteQueued(c);
    c = conns.Get(id);
    if (c == nullptr) return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (c->flags & (kAttached | kPaused | kEof)) == kAttached) {
    ReadConn(c);
  }
}

// ---------------------------------------------------------------- listeners

void State::UpdateListener(Listener* l) {
  bool want = l->fd >= 0 && !l->paused && !l->backoff;
  if (want == l->polled) return;
  struct epoll_event e;
  e.events = EPOLLIN;
  e.data.u64 = kListenerTag | l->id;
  epoll_ctl(epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, l->fd, &e);
  l->polled = want;
}

void State::OnListenerReady(Listener* l) {
  uint32_t lid = l->id;
  for (int i = 0; i < kAcceptsPerWake; i++) {
    if (ev_count + 4 > ev_cap) {
      Dispatch();
      if (lid - 1 >= listeners.size() || listeners[lid - 1] == nullptr) return;
      l = listeners[lid - 1];
      if (!l->polled) return;
    }
    sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(l->fd, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) return;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        // Out of descriptors: stop polling this listener for a while (the
        // pending connections wait in the backlog) and keep serving the rest.
        l->backoff = true;
        UpdateListener(l);
        wheel.Schedule(&l->timer, Now() + kAcceptBackoffMs);
        ArmTimerFor(Now() + kAcceptBackoffMs);
      }
      return;
    }
    ApplySockOpts(fd, l->opts);
    Conn* c = NewConn(fd, l->opts);
    if (c == nullptr) {
      close(fd);
      continue;
    }
    uint32_t* r = PushEvent(kEvAccept, c->id);
    r[4] = lid;
    if (l->wildcard) {
      sockaddr_storage local;
      socklen_t ll = sizeof local;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) == 0) PackAddrs(r, peer, local);
    } else {
      PackAddrs(r, peer, l->bound);
    }
  }
}

// ---------------------------------------------------------------- service

void State::Service() {
  struct epoll_event evs[256];
  for (int round = 0; round < 4; round++) {
    int n = epoll_wait(epfd, evs, 256, 0);
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag & kListenerTag) {
        uint32_t lid = uint32_t(tag);
        if (lid - 1 < listeners.size() && listeners[lid - 1] != nullptr && listeners[lid - 1]->polled)
          OnListenerReady(listeners[lid - 1]);
      } else {
        OnConnEvents(uint32_t(tag), evs[i].events);
      }
    }
    if (n < 256) return;
  }
}

// Deliver the batch (JS flushes its corked writes on the nextTick that
// follows), then close connections whose peer half-closed, once their output
// is flushed, and deliver those closes.
void State::FinishWake() {
  Dispatch();
  if (!eof_list.empty()) {
    // The spare list takes the ids (both have room for every connection), so nothing allocates here.
    CheckedArray<uint32_t>& ids = eof_spare;
    ids.clear();
    ids.Swap(eof_list);
    for (uint32_t id : ids) {
      Conn* c = conns.Get(id);
      if (c == nullptr) continue;
      c->flags &= ~kEofListed;
      if (c->out.Empty()) CloseConn(c, kCloseOrderly, 0);
      else c->flags |= kCloseAfterDrain;
    }
    Dispatch();
  }
}

void State::OnConnTimer(Conn* c, uint64_t now) {
  if (c->flags & kConnecting) {
    if (c->idle_since && now >= c->idle_since) {
      uint32_t* r = PushEvent(kEvConnectFailed, c->id);
      r[4] = 0;
      DropConn(c);
      return;
    }
  } else {
    uint32_t reason = 0;
    uint64_t first = UINT64_MAX;
    const bool reading = (c->flags & (kAttached | kPaused)) == kAttached;
    if (c->read_timeout && reading && c->idle_since + c->read_timeout <= now) {
      first = c->idle_since + c->read_timeout;
      reason = kCloseReadTimeout;
    }
    if (c->write_timeout && c->write_since && c->write_since + c->write_timeout <= now && c->write_since + c->write_timeout < first) {
      first = c->write_since + c->write_timeout;
      reason = kCloseWriteTimeout;
    }
    if (c->stall_timeout && c->stall_since && reading && c->stall_since + c->stall_timeout <= now && c->stall_since + c->stall_timeout < first) {
      reason = kCloseStalled;
    }
    if (reason) {
      CloseConn(c, reason, 0);
      return;
    }
  }
  Reschedule(c);
}

void State::OnTimer() {
  uint64_t now = Now();
  std::vector<uint32_t> due_listeners;
  wheel.Advance(now, [&](WheelNode* n) {
    if (n->kind == kTimerConn) {
      if (ev_count + 2 > ev_cap) Dispatch();
      OnConnTimer(reinterpret_cast<Conn*>(n), now);
    } else {
      Listener* l = reinterpret_cast<Listener*>(n);
      l->backoff = false;
      UpdateListener(l);
    }
  });
  RearmTimer();
}

void State::Teardown() {
  closing = true;
  conns.ForEach([&](Conn* c) {
    close(c->fd);
    conns.Destroy(c);
  });
  for (Listener*& l : listeners) {
    if (l == nullptr) continue;
    if (l->fd >= 0) close(l->fd);
    delete l;
    l = nullptr;
  }
  free(scratch);
  scratch = nullptr;
}

}  // namespace qrpc
