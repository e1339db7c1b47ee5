// Fuzz target for native/frame_parser.h.
//
// Two builds from this one file:
//  - libFuzzer (clang -fsanitize=fuzzer,address,undefined): LLVMFuzzerTestOneInput.
//  - standalone (g++ -fsanitize=address,undefined -DQRPC_STANDALONE_FUZZ): a
//    self-contained random/mutation driver that runs for a bounded time.
//
// Each input is split into chunks at positions taken from its own bytes and
// fed through the parser; the frames (and the error) must equal what a naive
// whole-buffer reference parser finds, whatever the split, and every frame
// must lie inside the bytes it was given. Sanitizers catch the rest.
//
// Tail growth (a partial frame's buffer grows with the bytes received): after
// every chunk the tail's capacity must cover what it holds, never exceed
// 4 + length, and stay within max(kTailInitial, 2 x held) (what a peer can
// make a connection hold is proportional to what it sent); the per-thread
// g_tail_bytes counter must equal the capacity. Some inputs make a chosen
// allocation or the sink fail: the result must then be kNoMemory after a
// prefix of the reference frames, with nothing leaked.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../frame_parser.h"

using qrpc::FrameParser;

namespace {

struct Rec {
  std::string bytes;  // whole frame incl. header
};

struct Collect {
  std::vector<Rec>* out;
  uint32_t fail_at = 0;  // 1-based index of the frame the sink refuses (0 = never)
  bool Frame(const uint8_t* f, size_t total, uint8_t*& owned) {
    if (total < qrpc::kHeaderSize) abort();
    if (qrpc::ReadU32BE(f) + size_t(4) != total) abort();
    if (owned != nullptr && qrpc::g_tail_bytes != 0) abort();  // released before the handover
    if (fail_at != 0 && out->size() + 1 == fail_at) return false;
    out->push_back({std::string(reinterpret_cast<const char*>(f), total)});
    if (owned != nullptr && (total & 1)) {  // sometimes take ownership, like the addon
      free(owned);
      owned = nullptr;
    }
    return true;
  }
};

// The tail invariants after a Push that did not fail.
void CheckTail(const FrameParser& p) {
  if (qrpc::g_tail_bytes != p.cap) abort();
  if (p.used > p.cap) abort();
  if (p.used == 0) {
    if (p.cap != 0 || p.tail != nullptr) abort();
    return;
  }
  if (p.need > 0 && p.cap > p.need) abort();
  if (p.need == 0 && p.cap > qrpc::kHeaderSize) abort();
  size_t bound = 2 * p.used > qrpc::kTailInitial ? 2 * p.used : qrpc::kTailInitial;
  if (p.cap > bound) abort();
}

// Reference: parse the whole stream at once, the obvious way.
int Reference(const uint8_t* d, size_t n, uint64_t max, std::vector<Rec>* out, uint32_t* bad) {
  size_t at = 0;
  while (n - at >= 4) {
    uint32_t len = qrpc::ReadU32BE(d + at);
    if (len < 12) return *bad = len, qrpc::kInvalidFrame;
    if (len > max) return *bad = len, qrpc::kFrameTooLarge;
    if (n - at < 4 + size_t(len)) return 0;
    out->push_back({std::string(reinterpret_cast<const char*>(d + at), 4 + size_t(len))});
    at += 4 + size_t(len);
  }
  return 0;
}

// The first 2 bytes choose maxFrameSize and the split seed; the rest is the stream.
void RunOne(const uint8_t* data, size_t size) {
  if (size < 2) return;
  static const uint64_t kMax[] = {12, 13, 16, 64, 1000, 4096, 65536, 10 * 1024 * 1024, 16 * 1024 * 1024, 0};
  uint64_t max = kMax[data[0] % 10];
  uint32_t seed = data[1] * 2654435761u + 1;
  const uint8_t* d = data + 2;
  size_t n = size - 2;

  std::vector<Rec> want;
  uint32_t want_bad = 0;
  int want_err = Reference(d, n, max, &want, &want_bad);

  // data[0] / 10 picks a failure mode: 0-19 none, 20 the sink refuses frame
  // (seed % 8) + 1, 21-24 the first allocation inside some Push calls fails
  // (one in 2..5).
  uint32_t mode = data[0] / 10;
  FrameParser p;
  std::vector<Rec> got;
  Collect sink{&got};
  if (mode == 20) sink.fail_at = seed % 8 + 1;
  uint32_t fail_every = mode >= 21 ? mode - 19 : 0;
  int err = 0;
  size_t at = 0;
  while (at <= n && err == 0) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    size_t len = (seed % 8 == 0) ? seed % 3 : (seed % 8 < 3) ? seed % 17 : (seed % 8 == 7) ? seed % 70000 : seed % 300;
    if (len > n - at) len = n - at;
    // Copy each chunk into its own heap block so ASan sees any overread.
    uint8_t* chunk = static_cast<uint8_t*>(malloc(len ? len : 1));
    if (len) memcpy(chunk, d + at, len);
    // Arm the injected failure for one Push at a time (the chunk copy above must not use it up).
    if (fail_every && seed % fail_every == 0) qrpc::g_fail_allocations = 1;
    err = p.Push(chunk, len, max, sink);
    qrpc::g_fail_allocations = 0;
    free(chunk);
    if (err == 0) CheckTail(p);
    at += len;
    if (at == n) break;
  }
  if (err == qrpc::kNoMemory) {
    // Injected, or a 4 GiB frame on a small machine: the frames so far must be
    // a prefix of the reference, and resetting must give everything back.
    if (got.size() > want.size()) abort();
    for (size_t i = 0; i < got.size(); i++)
      if (got[i].bytes != want[i].bytes) abort();
    if (p.Push(nullptr, 0, max, sink) != qrpc::kNoMemory) abort();
    p.Reset();
    if (qrpc::g_tail_bytes != 0) abort();
    return;
  }
  if (err != want_err) abort();
  if (err != 0 && p.bad_length != want_bad) abort();
  if (got.size() != want.size()) abort();
  for (size_t i = 0; i < got.size(); i++)
    if (got[i].bytes != want[i].bytes) abort();
  if (err == 0 && p.Push(nullptr, 0, max, sink) != 0) abort();
  p.Reset();
  if (qrpc::g_tail_bytes != 0) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RunOne(data, size);
  return 0;
}

#ifdef QRPC_STANDALONE_FUZZ
#include <chrono>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t Rand() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void AppendFrame(std::vector<uint8_t>* s, uint32_t payload) {
  uint32_t len = 12 + payload;
  uint8_t h[16];
  h[0] = uint8_t(len >> 24), h[1] = uint8_t(len >> 16), h[2] = uint8_t(len >> 8), h[3] = uint8_t(len);
  for (int i = 4; i < 16; i++) h[i] = uint8_t(Rand());
  s->insert(s->end(), h, h + 16);
  for (uint32_t i = 0; i < payload; i++) s->push_back(uint8_t(Rand()));
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 30;
  if (argc > 2) rng_state = strtoull(argv[2], nullptr, 10) | 1;
  auto start = std::chrono::steady_clock::now();
  uint64_t execs = 0, bytes = 0;
  std::vector<uint8_t> input;
  for (;;) {
    input.clear();
    input.push_back(uint8_t(Rand() % 250));
    input.push_back(uint8_t(Rand()));
    int frames = int(Rand() % 20);
    for (int i = 0; i < frames; i++) {
      uint64_t r = Rand() % 100;
      AppendFrame(&input, r < 60 ? uint32_t(Rand() % 16) : r < 96 ? uint32_t(Rand() % 500) : uint32_t(Rand() % 200000));
    }
    // mutations: flip bytes, truncate, insert garbage, corrupt a length
    int muts = int(Rand() % 4);
    for (int m = 0; m < muts && input.size() > 2; m++) {
      size_t at = 2 + Rand() % (input.size() - 2);
      switch (Rand() % 4) {
        case 0: input[at] ^= uint8_t(1u << (Rand() % 8)); break;
        case 1: input.resize(at); break;
        case 2: input.insert(input.begin() + long(at), uint8_t(Rand())); break;
        case 3: input[at] = uint8_t(Rand() % 2 ? 0 : 0xff); break;
      }
    }
    RunOne(input.data(), input.size());
    execs++;
    bytes += input.size();
    if ((execs & 15) == 0) {
      double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (el >= seconds) {
        printf("standalone fuzz: %llu executions, %llu bytes, %.1f s, no failure\n", (unsigned long long)execs,
               (unsigned long long)bytes, el);
        return 0;
      }
    }
  }
}
#endif
