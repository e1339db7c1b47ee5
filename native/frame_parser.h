// Frame parser: byte chunks in, complete frames out. Pure C++ (no N-API) so the
// fuzz harness links it alone. Mirrors src/protocol/parser.ts (FrameParser)
// state for state: a bad `length` is rejected as soon as its 4 bytes are known,
// before anything is allocated for the payload; after an error the parser
// refuses further input.
//
// A partial frame is held in a malloc'd tail that grows with the bytes that
// actually arrived (geometrically, capped at 4 + length), so a header claiming
// 10 MiB costs what was received, not 10 MiB. When the frame completes the
// capacity equals 4 + length exactly (the cap), so the sink can adopt the
// buffer as the payload's memory without waste.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "alloc.h"

namespace qrpc {

constexpr uint32_t kHeaderSize = 16;
constexpr uint32_t kMinLength = 12;
// First capacity of a tail whose length is known: small enough that thousands
// of connections holding a header each cost little, big enough that a small
// frame split across two reads needs no second allocation.
constexpr size_t kTailInitial = 1024;

enum ParseResult : int { kParseOk = 0, kInvalidFrame = 1, kFrameTooLarge = 2, kNoMemory = 3 };

inline uint32_t ReadU32BE(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// Capacity of every live parser tail on this thread (stats(): tailBytes).
inline thread_local size_t g_tail_bytes = 0;

// Sink concept: bool Frame(const uint8_t* frame, size_t total, uint8_t*& owned)
//   `frame` points at the 16-byte header, `total` = 4 + length bytes are valid.
//   `owned` is non-null when the frame was assembled in a malloc'd tail buffer
//   (== frame, capacity == total); the sink may take it by setting
//   owned = nullptr, otherwise the parser frees it after the call.
//   Returns false when it could not take the frame (out of memory): the parser
//   fails with kNoMemory.
struct FrameParser {
  uint8_t* tail = nullptr;  // malloc'd; exists only while a frame is partial
  size_t used = 0;          // bytes of the partial frame held in tail
  size_t cap = 0;           // capacity of tail
  size_t need = 0;          // 4 + length once the length is known, else 0
  uint32_t bad_length = 0;  // the offending length after an error
  uint8_t failed = kParseOk;
  // Counts partial frames begun (wraps): a reader compares it around Push() to
  // tell "the same frame is still incomplete" from "another frame is".
  uint16_t partials = 0;

  bool HasPartialFrame() const { return used > 0; }
  bool AwaitingPayload() const { return need > 0; }
  void Reset() {
    ReleaseTail();
    free(tail);
    tail = nullptr;
    used = 0;
    need = 0;
  }

  // max_length: largest accepted `length` field (frames with length > max are rejected).
  template <class Sink>
  int Push(const uint8_t* chunk, size_t end, uint64_t max_length, Sink& sink) {
    if (failed) return failed;
    size_t offset = 0;
    if (used > 0) {
      long r = FillTail(chunk, end, max_length, sink);
      if (r == -1) return kParseOk;
      if (r < 0) return failed;
      offset = size_t(r);
    }
    while (end - offset >= kHeaderSize) {
      uint32_t length = ReadU32BE(chunk + offset);
      if (Check(length, max_length)) return failed;
      size_t total = 4 + size_t(length);
      if (end - offset < total) break;
      uint8_t* owned = nullptr;
      if (!sink.Frame(chunk + offset, total, owned)) return failed = kNoMemory;
      offset += total;
    }
    if (offset < end) return StartTail(chunk + offset, end - offset, max_length);
    return kParseOk;
  }

 private:
  int Check(uint32_t length, uint64_t max_length) {
    if (length < kMinLength) {
      bad_length = length;
      return failed = kInvalidFrame;
    }
    if (uint64_t(length) > max_length) {
      bad_length = length;
      return failed = kFrameTooLarge;
    }
    return kParseOk;
  }

  void ReleaseTail() {
    g_tail_bytes -= cap;
    cap = 0;
  }

  // Makes room for `want` bytes in total (want <= need, or <= kHeaderSize
  // while the length is unknown): at least doubles, never beyond need.
  bool Reserve(size_t want) {
    if (want <= cap) return true;
    size_t limit = need > 0 ? need : kHeaderSize;
    size_t next = cap * 2;
    if (next < want) next = want;
    if (next < kTailInitial) next = kTailInitial;
    if (next > limit) next = limit;
    uint8_t* grown = static_cast<uint8_t*>(TryRealloc(tail, next));
    if (grown == nullptr) return false;
    tail = grown;
    g_tail_bytes += next - cap;
    cap = next;
    return true;
  }

  int StartTail(const uint8_t* p, size_t rest, uint64_t max_length) {
    if (rest >= 4) {
      uint32_t length = ReadU32BE(p);
      if (Check(length, max_length)) return failed;  // validated before allocating
      need = 4 + size_t(length);
    } else {
      need = 0;
    }
    if (!Reserve(rest)) return failed = kNoMemory;
    memcpy(tail, p, rest);
    used = rest;
    partials++;
    return kParseOk;
  }

  // Returns the offset after the completed frame, -1 if the chunk was used up,
  // -2 on error.
  template <class Sink>
  long FillTail(const uint8_t* chunk, size_t len, uint64_t max_length, Sink& sink) {
    size_t offset = 0;
    if (need == 0) {
      size_t take = 4 - used < len ? 4 - used : len;
      if (take > 0) memcpy(tail + used, chunk, take);
      used += take;
      offset = take;
      if (used < 4) return -1;
      uint32_t length = ReadU32BE(tail);
      if (Check(length, max_length)) return -2;
      need = 4 + size_t(length);
    }
    size_t want = need - used;
    size_t take = want < len - offset ? want : len - offset;
    if (!Reserve(used + take)) {
      failed = kNoMemory;
      return -2;
    }
    if (take > 0) memcpy(tail + used, chunk + offset, take);
    used += take;
    offset += take;
    if (used < need) return -1;
    // Complete: cap == need (Reserve never goes past need). The bytes stop
    // being a parser tail here, whoever keeps them.
    uint8_t* owned = tail;
    size_t total = need;
    ReleaseTail();
    tail = nullptr;
    used = 0;
    need = 0;
    bool ok = sink.Frame(owned, total, owned);
    free(owned);
    if (!ok) {
      failed = kNoMemory;
      return -2;
    }
    return long(offset);
  }
};

}  // namespace qrpc
