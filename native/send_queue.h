// Per-connection output the kernel has not taken yet. Empty (two null
// pointers and a counter) for almost every connection; chunks are appended
// only when a writev/send came back short. Broadcast leftovers share one
// refcounted block instead of one copy per connection.
#pragma once
#include <sys/uio.h>
#include <cstddef>
#include <cstdint>

namespace qrpc {

struct SharedBlock {
  uint32_t refs;
  uint32_t len;
  uint8_t data[1];
  static SharedBlock* Create(const uint8_t* p, size_t len);
  void Ref() { refs++; }
  void Unref();
};

struct Chunk {
  Chunk* next;
  const uint8_t* p;  // unsent bytes start here
  size_t len;        // unsent bytes
  SharedBlock* shared;  // null: bytes live inline after this header
};

struct SendQueue {
  Chunk* head = nullptr;
  Chunk* tail = nullptr;
  uint64_t bytes = 0;

  bool Empty() const { return head == nullptr; }
  // Copies the unsent part of iov[0..cnt) (skipping `skip` bytes) into one chunk.
  bool PushIov(const struct iovec* iov, size_t cnt, size_t skip);
  bool PushCopy(const uint8_t* p, size_t len);
  bool PushShared(SharedBlock* b, size_t skip);
  // Writes as much as the kernel takes. 0 = all written or EAGAIN; else errno.
  int WriteTo(int fd);
  void Clear();

 private:
  void Append(Chunk* c);
};

// Writes iov (cnt entries) with sendmsg(MSG_NOSIGNAL), retrying on EINTR and
// continuing short writes until EAGAIN. Returns bytes written, or -errno.
ssize_t WriteIov(int fd, struct iovec* iov, size_t cnt);

}  // namespace qrpc
