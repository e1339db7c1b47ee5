// Addon entry: per-environment State (instance data + async cleanup hook, so
// every worker thread gets its own epoll set and tears it down on exit) and
// the JS-facing functions. Functions called from JS never call back into JS:
// what they find out (write errors, queued bytes) goes into the report area,
// read by the caller right after the call.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>

#include <sys/epoll.h>

#include "pidfd.h"
#include "state.h"

namespace qrpc {

static constexpr size_t kEventCap = 8192;            // records (32 bytes each)
static constexpr size_t kSendAreaSize = 256 * 1024;  // bytes
static constexpr size_t kOpsCap = 4096;              // flush ops (4 words each)
static constexpr size_t kReportCap = 1 + 3 * 8192;   // words

static State* GetState(const Napi::CallbackInfo& info) { return info.Env().GetInstanceData<State>(); }

static uint32_t U32(const Napi::Value& v) { return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : 0; }

static double Dbl(const Napi::Value& v) { return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0; }

// JS compares `length > maxFrameSize` on doubles; this keeps the same answer for u32 lengths.
static uint64_t MaxLength(double m) {
  if (std::isnan(m) || m >= 4294967295.0) return 0xffffffffull;
  if (m < 0) return 0;
  return uint64_t(std::floor(m));
}

static uint32_t Ms(double v) {
  if (!(v > 0)) return 0;
  if (v > 2147483647.0) return 2147483647u;
  return uint32_t(std::ceil(v));
}

// [maxFrameSize, highWaterMark, readTimeoutMs, writeTimeoutMs, stalledPayloadMs, keepAliveMs, noDelay,
//  sendBufferSize, receiveBufferSize]
// A socket buffer size: 0 (kernel default) for anything not a positive finite number; at most 1 GiB.
static uint32_t BufferSize(double v) {
  if (!(v > 0) || !std::isfinite(v)) return 0;
  return v > 1073741824.0 ? 1073741824u : uint32_t(v);
}

static SockOpts ParseOpts(const Napi::Value& v) {
  SockOpts o;
  if (!v.IsArray()) return o;
  Napi::Array a = v.As<Napi::Array>();
  o.max_length = MaxLength(Dbl(a.Get(0u)));
  o.hwm = Ms(Dbl(a.Get(1u)));
  o.read_timeout = Ms(Dbl(a.Get(2u)));
  o.write_timeout = Ms(Dbl(a.Get(3u)));
  o.stall_timeout = Ms(Dbl(a.Get(4u)));
  o.keepalive = Ms(Dbl(a.Get(5u)));
  o.no_delay = a.Get(6u).ToBoolean().Value();
  if (a.Length() > 8) {
    o.sndbuf = BufferSize(Dbl(a.Get(7u)));
    o.rcvbuf = BufferSize(Dbl(a.Get(8u)));
  }
  return o;
}

static bool ParseAddr(const std::string& ip, uint32_t port, int family, sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    sockaddr_in6* a = reinterpret_cast<sockaddr_in6*>(ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(uint16_t(port));
    *len = sizeof *a;
    return inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) == 1;
  }
  sockaddr_in* a = reinterpret_cast<sockaddr_in*>(ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(uint16_t(port));
  *len = sizeof *a;
  return inet_pton(AF_INET, ip.c_str(), &a->sin_addr) == 1;
}

static Napi::Value FormatAddr(Napi::Env env, const sockaddr_storage& ss, uint32_t* port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET6) {
    const sockaddr_in6* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    *port = ntohs(a->sin6_port);
  } else if (ss.ss_family == AF_INET) {
    const sockaddr_in* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    *port = ntohs(a->sin_port);
  }
  return Napi::String::New(env, buf);
}

// init(onEvents) -> { events, sendArea, ops, report }
static Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  if (!info[0].IsFunction()) {
    Napi::TypeError::New(env, "init(onEvents)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  s->on_events = Napi::Persistent(info[0].As<Napi::Function>());
  Napi::Object out = Napi::Object::New(env);
  if (!s->initialized) {
    Napi::ArrayBuffer ev = Napi::ArrayBuffer::New(env, kEventCap * kEventWords * 4);
    Napi::ArrayBuffer send = Napi::ArrayBuffer::New(env, kSendAreaSize);
    Napi::ArrayBuffer ops = Napi::ArrayBuffer::New(env, kOpsCap * 16);
    Napi::ArrayBuffer rep = Napi::ArrayBuffer::New(env, kReportCap * 4);
    s->events_ref = Napi::Persistent(ev);
    s->send_ref = Napi::Persistent(send);
    s->ops_ref = Napi::Persistent(ops);
    s->report_ref = Napi::Persistent(rep);
    s->ev = static_cast<uint32_t*>(ev.Data());
    s->ev_cap = kEventCap;
    s->send_area = static_cast<uint8_t*>(send.Data());
    s->send_cap = kSendAreaSize;
    s->ops = static_cast<uint32_t*>(ops.Data());
    s->ops_cap = kOpsCap;
    s->report = static_cast<uint32_t*>(rep.Data());
    s->report_cap = kReportCap;
    // Flush scratch, bounded by the op area: reserved once, so a flush never allocates.
    s->op_next.resize(kOpsCap);
    s->touched.reserve(kOpsCap);
    s->iov.reserve(kOpsCap);
    s->iov_sent.reserve(kOpsCap);
    napi_value name;
    napi_create_string_utf8(env, "qrpc_native", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, Napi::Object::New(env), name, &s->async_ctx);
    s->initialized = true;
  }
  out.Set("events", s->events_ref.Value());
  out.Set("sendArea", s->send_ref.Value());
  out.Set("ops", s->ops_ref.Value());
  out.Set("report", s->report_ref.Value());
  out.Set("connSize", Napi::Number::New(env, double(sizeof(Conn))));
  return out;
}

// A listening socket becomes a Listener of this thread's epoll set: [id, bound port, bound address].
static Napi::Value AddListener(Napi::Env env, State* s, int fd, const SockOpts& opts) {
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  uint32_t bport = 0;
  Napi::Value addr = FormatAddr(env, bound, &bport);
  Listener* l = new Listener();
  l->fd = fd;
  l->bound = bound;
  if (bound.ss_family == AF_INET6) {
    const sockaddr_in6* a6 = reinterpret_cast<const sockaddr_in6*>(&bound);
    l->wildcard = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
  } else {
    l->wildcard = reinterpret_cast<const sockaddr_in*>(&bound)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  l->opts = opts;
  l->timer.kind = kTimerListener;
  s->listeners.push_back(l);
  l->id = uint32_t(s->listeners.size());
  s->open_listeners++;
  s->UpdateListener(l);
  s->UpdateRef();
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, l->id));
  out.Set(1u, Napi::Number::New(env, bport));
  out.Set(2u, addr);
  return out;
}

// listen(ip, port, family, backlog, reusePort, opts) -> [id, port] | -errno
static Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  if (!info[0].IsString()) return Napi::Number::New(env, -EINVAL);
  std::string ip = info[0].As<Napi::String>().Utf8Value();
  uint32_t port = U32(info[1]);
  int family = int(U32(info[2]));
  int backlog = int(U32(info[3]));
  bool reuse_port = info[4].ToBoolean().Value();
  sockaddr_storage ss;
  socklen_t len;
  if (port > 65535 || !ParseAddr(ip, port, family, &ss, &len)) return Napi::Number::New(env, -EINVAL);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(env, -errno);
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  // Buffer sizes on the listening socket, before listen(): accepted sockets inherit them and
  // the window scale offered in the handshake already matches the receive buffer.
  SockOpts lo = ParseOpts(info[5]);
  s->ApplyBufferSizes(fd, lo);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, backlog > 0 ? backlog : 511) < 0) {
    int e = errno;
    close(fd);
    return Napi::Number::New(env, -e);
  }
  return AddListener(env, s, fd, ParseOpts(info[5]));
}

// listenFd(fd, opts) -> [id, port, address] | -errno: serve a listening socket this process inherited
// (a graceful restart hands the very same socket over, so the connections in its accept queue survive).
// The fd is checked before it is taken: a number that is not a listening TCP socket is refused (and left
// open, it is not ours); once accepted the listener owns it and closes it on close.
static Napi::Value ListenFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  if (!info[0].IsNumber()) return Napi::Number::New(env, -EBADF);
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 2147483647.0 || d != std::floor(d)) return Napi::Number::New(env, -EBADF);
  int fd = int(d);
  // Already one of our listeners: two owners would close it twice.
  for (Listener* l : s->listeners)
    if (l != nullptr && l->fd == fd) return Napi::Number::New(env, -EEXIST);
  int type = 0, accepting = 0;
  socklen_t olen = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0) return Napi::Number::New(env, -errno);
  if (type != SOCK_STREAM) return Napi::Number::New(env, -EINVAL);
  olen = sizeof accepting;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &olen) < 0) return Napi::Number::New(env, -errno);
  if (!accepting) return Napi::Number::New(env, -EINVAL);
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen) < 0) return Napi::Number::New(env, -errno);
  if (bound.ss_family != AF_INET && bound.ss_family != AF_INET6) return Napi::Number::New(env, -EAFNOSUPPORT);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return Napi::Number::New(env, -errno);
  // Not handed on by accident to processes we start; a restart passes it on explicitly (dup2 clears the flag).
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return AddListener(env, s, fd, ParseOpts(info[1]));
}

// listenerFd(id) -> fd | -1: the listening socket, for a graceful restart to hand on.
static Listener* GetListener(State* s, const Napi::Value& v) {
  uint32_t id = U32(v);
  if (id == 0 || id > s->listeners.size()) return nullptr;
  return s->listeners[id - 1];
}

// listenerFd(id) -> fd | -1: the listening socket, for a graceful restart to hand on.
static Napi::Value ListenerFd(const Napi::CallbackInfo& info) {
  Listener* l = GetListener(GetState(info), info[0]);
  return Napi::Number::New(info.Env(), l == nullptr ? -1 : l->fd);
}

// listenerCtl(id, op): 0 pause, 1 resume, 2 close
static Napi::Value ListenerCtl(const Napi::CallbackInfo& info) {
  State* s = GetState(info);
  Listener* l = GetListener(s, info[0]);
  if (l == nullptr) return info.Env().Undefined();
  switch (U32(info[1])) {
    case 0:
      l->paused = true;
      s->UpdateListener(l);
      break;
    case 1:
      l->paused = false;
      s->UpdateListener(l);
      break;
    case 2:
      l->paused = true;
      s->UpdateListener(l);
      s->wheel.Cancel(&l->timer);
      close(l->fd);
      s->listeners[l->id - 1] = nullptr;
      delete l;
      s->open_listeners--;
      s->UpdateRef();
      break;
  }
  return info.Env().Undefined();
}

// connect(ip, port, family, connectTimeoutMs, opts) -> id | -errno
static Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  if (!info[0].IsString()) return Napi::Number::New(env, -EINVAL);
  std::string ip = info[0].As<Napi::String>().Utf8Value();
  uint32_t port = U32(info[1]);
  sockaddr_storage ss;
  socklen_t len;
  if (port > 65535 || !ParseAddr(ip, port, int(U32(info[2])), &ss, &len)) return Napi::Number::New(env, -EINVAL);
  uint32_t timeout = Ms(Dbl(info[3]));
  SockOpts o = ParseOpts(info[4]);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(env, -errno);
  s->ApplySockOpts(fd, o);
  int r;
  do r = connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return Napi::Number::New(env, -e);
  }
  Conn* c = s->NewConn(fd, o);
  if (c == nullptr) {
    close(fd);
    return Napi::Number::New(env, -ENOMEM);
  }
  // Even an immediate success is reported through the poll (EPOLLOUT), so
  // the result always arrives asynchronously, as an event.
  c->flags |= kConnecting;
  if (timeout) {
    c->idle_since = s->Now() + timeout;
    s->Reschedule(c);
  }
  s->UpdateEvents(c);
  return Napi::Number::New(env, c->id);
}

// connCtl(id, op, arg): 0 attach, 1 pause, 2 resume, 3 setReadTimeout(arg), 4 end, 5 close
static Napi::Value ConnCtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  Conn* c = s->conns.Get(U32(info[0]));
  if (c == nullptr || (c->flags & kConnecting)) return Napi::Boolean::New(env, false);
  switch (U32(info[1])) {
    case 0:
      c->flags |= kAttached;
      c->idle_since = s->Now();
      s->UpdateEvents(c);
      s->Reschedule(c);
      break;
    case 1:
      c->flags |= kPaused;
      s->UpdateEvents(c);
      break;
    case 2:
      // Resumed: the peer's idle and stall clocks restart now (they stood still while we did not read).
      c->flags &= ~kPaused;
      c->idle_since = s->Now();
      if (c->stall_since) c->stall_since = c->idle_since;
      s->UpdateEvents(c);
      s->Reschedule(c);
      break;
    case 3:
      c->read_timeout = Ms(Dbl(info[2]));
      c->idle_since = s->Now();
      s->Reschedule(c);
      break;
    case 4:
      c->flags |= kEndWanted;
      if (c->out.Empty()) shutdown(c->fd, SHUT_WR);
      break;
    case 5:
      s->DropConn(c);
      break;
  }
  return Napi::Boolean::New(env, true);
}

// addresses(id) -> [remoteAddress, remotePort, localAddress, localPort, family] | undefined
static Napi::Value Addresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  Conn* c = s->conns.Get(U32(info[0]));
  if (c == nullptr) return env.Undefined();
  sockaddr_storage peer = {}, local = {};
  socklen_t pl = sizeof peer, ll = sizeof local;
  getpeername(c->fd, reinterpret_cast<sockaddr*>(&peer), &pl);
  getsockname(c->fd, reinterpret_cast<sockaddr*>(&local), &ll);
  uint32_t pport = 0, lport = 0;
  Napi::Array out = Napi::Array::New(env, 5);
  out.Set(0u, FormatAddr(env, peer, &pport));
  out.Set(1u, Napi::Number::New(env, pport));
  out.Set(2u, FormatAddr(env, local, &lport));
  out.Set(3u, Napi::Number::New(env, lport));
  out.Set(4u, Napi::String::New(env, local.ss_family == AF_INET6 ? "IPv6" : "IPv4"));
  return out;
}

static bool BufferData(Napi::Env env, napi_value v, uint8_t** data, size_t* len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return false;
  napi_typedarray_type type;
  size_t length, offset;
  void* p;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(p);
  *len = length;
  return true;
}

// flush(opCount, extras?) -> number of report entries
// sockBuffers(id) -> [SO_SNDBUF, SO_RCVBUF] as the kernel reports them (tests)
static Napi::Value SockBuffers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  Conn* c = s->conns.Get(U32(info[0]));
  if (c == nullptr) return env.Undefined();
  int snd = 0, rcv = 0;
  socklen_t l1 = sizeof snd, l2 = sizeof rcv;
  getsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &snd, &l1);
  getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l2);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, snd));
  out.Set(1u, Napi::Number::New(env, rcv));
  return out;
}

// inputQueued(id) -> [bytes the kernel holds unread for the socket, reading (EPOLLIN armed)] (tests: pause/resume)
static Napi::Value InputQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  Conn* c = s->conns.Get(U32(info[0]));
  if (c == nullptr) return env.Undefined();
  int n = 0;
  if (ioctl(c->fd, FIONREAD, &n) < 0) n = -errno;
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, n));
  out.Set(1u, Napi::Boolean::New(env, (c->ep_mask & EPOLLIN) != 0));
  return out;
}

static Napi::Value Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  if (!s->initialized) return Napi::Number::New(env, 0);
  size_t nops = U32(info[0]);
  if (nops > s->ops_cap) nops = s->ops_cap;
  napi_value extras = info[1].IsArray() ? napi_value(info[1]) : nullptr;
  s->report[0] = 0;
  if (++s->flush_epoch == 0) s->flush_epoch = 1;
  s->touched.clear();
  const uint32_t kEnd = 0xffffffffu;
  for (size_t i = 0; i < nops; i++) {
    Conn* c = s->conns.Get(s->ops[i * 4]);
    if (c == nullptr || (c->flags & kConnecting)) continue;
    s->op_next[i] = kEnd;
    if (c->fl_epoch != s->flush_epoch) {
      c->fl_epoch = s->flush_epoch;
      c->fl_head = uint32_t(i);
      s->touched.push_back(c);
    } else {
      s->op_next[c->fl_tail] = uint32_t(i);
    }
    c->fl_tail = uint32_t(i);
  }
  std::vector<struct iovec>& sent = s->iov_sent;  // WriteIov advances these; PushIov needs the originals
  for (Conn* c : s->touched) {
    s->iov.clear();
    for (uint32_t i = c->fl_head; i != kEnd; i = s->op_next[i]) {
      const uint32_t* op = s->ops + i * 4;
      uint32_t extra = op[1], off = op[2], len = op[3];
      uint8_t* base;
      size_t cap;
      if (extra == 0) {
        base = s->send_area;
        cap = s->send_cap;
      } else {
        napi_value v;
        if (extras == nullptr || napi_get_element(env, extras, extra - 1, &v) != napi_ok || !BufferData(env, v, &base, &cap)) continue;
      }
      if (len == 0 || size_t(off) > cap || size_t(len) > cap - off) continue;  // bounds
      s->iov.push_back({base + off, len});
    }
    if (s->iov.empty()) continue;
    if (c->out.Empty()) {
      sent = s->iov;
      ssize_t n = WriteIov(c->fd, sent.data(), sent.size());
      if (n < 0) {
        s->Report(c->id, kReportError, uint32_t(-n));
        s->DropConn(c);
        continue;
      }
      if (!c->out.PushIov(s->iov.data(), s->iov.size(), size_t(n))) {
        s->FailConn(c);
        continue;
      }
    } else if (!c->out.PushIov(s->iov.data(), s->iov.size(), 0)) {
      s->FailConn(c);
      continue;
    }
    s->AfterQueue(c);
  }
  return Napi::Number::New(env, s->report[0]);
}

// broadcast(ids: Uint32Array, count, bytes: Buffer) -> connections that took it
static Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  if (!s->initialized) return Napi::Number::New(env, 0);
  s->report[0] = 0;
  napi_typedarray_type type;
  size_t nids = 0, off;
  void* idp = nullptr;
  napi_value ab;
  bool is_ta = false;
  if (napi_is_typedarray(env, info[0], &is_ta) != napi_ok || !is_ta) return Napi::Number::New(env, 0);
  if (napi_get_typedarray_info(env, info[0], &type, &nids, &idp, &ab, &off) != napi_ok || type != napi_uint32_array)
    return Napi::Number::New(env, 0);
  size_t count = U32(info[1]);
  if (count > nids) count = nids;
  if (count > (s->report_cap - 1) / 3) count = (s->report_cap - 1) / 3;
  uint8_t* data;
  size_t len;
  if (!BufferData(env, info[2], &data, &len)) return Napi::Number::New(env, 0);
  const uint32_t* ids = static_cast<const uint32_t*>(idp);
  SharedBlock* blk = nullptr;
  uint32_t took = 0;
  for (size_t i = 0; i < count; i++) {
    Conn* c = s->conns.Get(ids[i]);
    if (c == nullptr || (c->flags & kConnecting)) continue;
    took++;
    if (len == 0) continue;
    size_t skip = 0;
    if (c->out.Empty()) {
      struct iovec v = {data, len};
      ssize_t n = WriteIov(c->fd, &v, 1);
      if (n < 0) {
        s->Report(c->id, kReportError, uint32_t(-n));
        s->DropConn(c);
        continue;
      }
      if (size_t(n) == len) continue;
      skip = size_t(n);
    }
    if ((blk == nullptr && (blk = SharedBlock::Create(data, len)) == nullptr) || !c->out.PushShared(blk, skip)) {
      // It did not take the bytes after all: out of memory closes it (its close is reported).
      took--;
      s->FailConn(c);
      continue;
    }
    s->AfterQueue(c);
  }
  if (blk) blk->Unref();
  return Napi::Number::New(env, took);
}

// parseForTest(chunks: Buffer[], maxFrameSize) -> { frames: [idHi, idLo, flags, cmd, payload][], error, length }
struct TestSink {
  Napi::Env env;
  Napi::Array frames;
  uint32_t n = 0;
  bool Frame(const uint8_t* f, size_t total, uint8_t*&) {
    Napi::Array fr = Napi::Array::New(env, 5);
    uint32_t word = ReadU32BE(f + 12);
    fr.Set(0u, Napi::Number::New(env, ReadU32BE(f + 4)));
    fr.Set(1u, Napi::Number::New(env, ReadU32BE(f + 8)));
    fr.Set(2u, Napi::Number::New(env, word >> 24));
    fr.Set(3u, Napi::Number::New(env, word & 0xffffff));
    fr.Set(4u, Napi::Buffer<uint8_t>::Copy(env, f + kHeaderSize, total - kHeaderSize));
    frames.Set(n++, fr);
    return true;
  }
};

static Napi::Value ParseForTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) return env.Undefined();
  Napi::Array chunks = info[0].As<Napi::Array>();
  FrameParser parser;
  TestSink sink{env, Napi::Array::New(env)};
  uint64_t max = MaxLength(Dbl(info[1]));
  int err = 0;
  for (uint32_t i = 0; i < chunks.Length() && err == 0; i++) {
    uint8_t* data;
    size_t len;
    if (!BufferData(env, chunks.Get(i), &data, &len)) continue;
    err = parser.Push(data, len, max, sink);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("frames", sink.frames);
  out.Set("error", Napi::Number::New(env, err));
  out.Set("length", Napi::Number::New(env, parser.bad_length));
  out.Set("partial", Napi::Boolean::New(env, parser.HasPartialFrame()));
  parser.Reset();
  return out;
}

static Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State* s = GetState(info);
  Napi::Object o = Napi::Object::New(env);
  o.Set("connections", Napi::Number::New(env, double(s->conns.size())));
  o.Set("listeners", Napi::Number::New(env, double(s->open_listeners)));
  o.Set("timers", Napi::Number::New(env, double(s->wheel.size())));
  o.Set("connSize", Napi::Number::New(env, double(sizeof(Conn))));
  o.Set("epollFd", Napi::Number::New(env, s->epfd));
  // Capacity of the buffers holding partial frames on this thread (grows with
  // the bytes received, not with the lengths the headers claim).
  o.Set("tailBytes", Napi::Number::New(env, double(g_tail_bytes)));
  // The wheel's uv timer: how often it woke the loop, and when it is due next
  // (-1 = not armed). It is armed only for the earliest deadline.
  o.Set("timerWakeups", Napi::Number::New(env, double(s->timer_wakeups)));
  o.Set("timerDueInMs", Napi::Number::New(env, s->timer_armed ? double(uv_timer_get_due_in(s->timer)) : -1.0));
  return o;
}

// __failAllocations(n): test-only fault injection, the next n allocations on
// peer-driven paths (payload memory, parser tails, send queues) fail. Returns
// how many were still pending.
static Napi::Value FailAllocations(const Napi::CallbackInfo& info) {
  uint32_t before = g_fail_allocations;
  g_fail_allocations = U32(info[0]);
  return Napi::Number::New(info.Env(), before);
}

// ---------------------------------------------------------------- teardown

static void OnHandleClosed(uv_handle_t* h) {
  State* s = static_cast<State*>(h->data);
  if (--s->open_handles > 0) return;
  if (s->epfd >= 0) close(s->epfd);
  napi_remove_async_cleanup_hook(s->cleanup);
  delete s->poll;
  delete s->timer;
  delete s;
}

static void Cleanup(napi_async_cleanup_hook_handle, void* arg) {
  State* s = static_cast<State*>(arg);
  s->Teardown();
  s->on_events.Reset();
  s->events_ref.Reset();
  s->send_ref.Reset();
  s->ops_ref.Reset();
  s->report_ref.Reset();
  if (s->pool_ref) napi_delete_reference(s->env, s->pool_ref);
  s->pool_ref = nullptr;
  if (s->async_ctx) napi_async_destroy(s->env, s->async_ctx);
  s->async_ctx = nullptr;
  uv_poll_stop(s->poll);
  uv_timer_stop(s->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(s->poll), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(s->timer), OnHandleClosed);
}

static Napi::Object Module(Napi::Env env, Napi::Object exports) {
  State* s = new State();
  int r = s->Init(env);
  if (r != 0) {
    Napi::Error::New(env, std::string("qrpc_native: cannot create epoll set: ") + strerror(-r)).ThrowAsJavaScriptException();
    return exports;
  }
  // No finalizer: the async cleanup hook owns the State (freed after its uv handles close).
  napi_set_instance_data(env, s, nullptr, nullptr);
  napi_add_async_cleanup_hook(env, Cleanup, s, &s->cleanup);
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("listenFd", Napi::Function::New(env, ListenFd, "listenFd"));
  exports.Set("listenerFd", Napi::Function::New(env, ListenerFd, "listenerFd"));
  exports.Set("listenerCtl", Napi::Function::New(env, ListenerCtl, "listenerCtl"));
  exports.Set("dupFromProcess", Napi::Function::New(env, DupFromProcess, "dupFromProcess"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("connCtl", Napi::Function::New(env, ConnCtl, "connCtl"));
  exports.Set("addresses", Napi::Function::New(env, Addresses, "addresses"));
  exports.Set("flush", Napi::Function::New(env, Flush, "flush"));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast, "broadcast"));
  exports.Set("parseForTest", Napi::Function::New(env, ParseForTest, "parseForTest"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("sockBuffers", Napi::Function::New(env, SockBuffers, "sockBuffers"));
  exports.Set("inputQueued", Napi::Function::New(env, InputQueued, "inputQueued"));
  exports.Set("__failAllocations", Napi::Function::New(env, FailAllocations, "__failAllocations"));
  return exports;
}

}  // namespace qrpc

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return qrpc::Module(env, exports); }

NODE_API_MODULE(qrpc_native, InitModule)
