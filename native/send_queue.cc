#include "send_queue.h"

#include "alloc.h"

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <cstdlib>
#include <cstring>

namespace qrpc {

SharedBlock* SharedBlock::Create(const uint8_t* p, size_t len) {
  SharedBlock* b = static_cast<SharedBlock*>(TryMalloc(sizeof(SharedBlock) + len));
  if (b == nullptr) return nullptr;
  b->refs = 1;
  b->len = uint32_t(len);
  if (len > 0) memcpy(b->data, p, len);
  return b;
}

void SharedBlock::Unref() {
  if (--refs == 0) free(this);
}

void SendQueue::Append(Chunk* c) {
  c->next = nullptr;
  if (tail) tail->next = c;
  else head = c;
  tail = c;
  bytes += c->len;
}

bool SendQueue::PushIov(const struct iovec* iov, size_t cnt, size_t skip) {
  size_t total = 0;
  for (size_t i = 0; i < cnt; i++) total += iov[i].iov_len;
  if (total <= skip) return true;
  total -= skip;
  Chunk* c = static_cast<Chunk*>(TryMalloc(sizeof(Chunk) + total));
  if (c == nullptr) return false;
  uint8_t* out = reinterpret_cast<uint8_t*>(c + 1);
  size_t at = 0;
  for (size_t i = 0; i < cnt; i++) {
    const uint8_t* p = static_cast<const uint8_t*>(iov[i].iov_base);
    size_t l = iov[i].iov_len;
    if (skip >= l) {
      skip -= l;
      continue;
    }
    p += skip;
    l -= skip;
    skip = 0;
    memcpy(out + at, p, l);
    at += l;
  }
  c->p = out;
  c->len = total;
  c->shared = nullptr;
  Append(c);
  return true;
}

bool SendQueue::PushCopy(const uint8_t* p, size_t len) {
  struct iovec v = {const_cast<uint8_t*>(p), len};
  return PushIov(&v, 1, 0);
}

bool SendQueue::PushShared(SharedBlock* b, size_t skip) {
  if (skip >= b->len) return true;
  Chunk* c = static_cast<Chunk*>(TryMalloc(sizeof(Chunk)));
  if (c == nullptr) return false;
  b->Ref();
  c->shared = b;
  c->p = b->data + skip;
  c->len = b->len - skip;
  Append(c);
  return true;
}

static void FreeChunk(Chunk* c) {
  if (c->shared) c->shared->Unref();
  free(c);
}

ssize_t WriteIov(int fd, struct iovec* iov, size_t cnt) {
  size_t done = 0;
  while (cnt > 0) {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = cnt > IOV_MAX ? IOV_MAX : cnt;
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return ssize_t(done);
      return -errno;
    }
    done += size_t(n);
    size_t left = size_t(n);
    while (cnt > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      cnt--;
    }
    if (cnt > 0 && left > 0) {
      iov->iov_base = static_cast<uint8_t*>(iov->iov_base) + left;
      iov->iov_len -= left;
      return ssize_t(done);  // short write: the kernel buffer is full
    }
  }
  return ssize_t(done);
}

int SendQueue::WriteTo(int fd) {
  while (head != nullptr) {
    struct iovec iov[64];
    size_t cnt = 0;
    for (Chunk* c = head; c != nullptr && cnt < 64; c = c->next) {
      iov[cnt].iov_base = const_cast<uint8_t*>(c->p);
      iov[cnt].iov_len = c->len;
      cnt++;
    }
    size_t before = 0;
    for (size_t i = 0; i < cnt; i++) before += iov[i].iov_len;
    ssize_t n = WriteIov(fd, iov, cnt);
    if (n < 0) return int(-n);
    size_t left = size_t(n);
    bytes -= left;
    while (left > 0) {
      Chunk* c = head;
      if (left >= c->len) {
        left -= c->len;
        head = c->next;
        if (head == nullptr) tail = nullptr;
        FreeChunk(c);
      } else {
        c->p += left;
        c->len -= left;
        left = 0;
      }
    }
    if (size_t(n) < before) return 0;  // kernel full; EPOLLOUT will call again
  }
  return 0;
}

void SendQueue::Clear() {
  while (head != nullptr) {
    Chunk* c = head;
    head = c->next;
    FreeChunk(c);
  }
  tail = nullptr;
  bytes = 0;
}

}  // namespace qrpc
