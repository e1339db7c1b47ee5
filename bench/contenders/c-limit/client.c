/* c-limit client: epoll, N connections, K requests in flight per connection.
 *   client <port> <mode> <conns> <inflight> <requests> <warmup> <duration_ms> [lifetime_s]
 *   mode: throughput | latency | gateway | memory | fanout
 * Request "xu" (cmd 0, flags NB); every answer is checked: same request id
 * (answers of one connection come in order) and payload "hello world xu".
 * Prints "connected <n>", waits for "go" on stdin (throughput/latency/gateway),
 * prints "result <json>". Stdin EOF exits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF (256 * 1024)
#define REQ_LEN 18  /* 16 + "xu" */
#define REP_LEN 30  /* 16 + "hello world xu" */

typedef struct conn {
  int fd;
  uint64_t next_id, expect_id;
  int inflight;
  uint8_t tail[REP_LEN + 64 + 16]; int tail_len;
  int got_push;
} conn;

static conn *cs; static int nc;
static int ep;
static uint8_t rbuf[RBUF + 256];
static uint8_t *wbuf;
static long errors, completed, sent, target;
static int K;
static const char EXP[] = "hello world xu";
static int counting = 1;
static int stop_sending;
static double *lat; static long nlat; static uint64_t t_sent;
static int record_lat;
static long pushes, bad_push; static uint64_t first_push = UINT64_MAX, last_push;

static uint64_t mono_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec; }
static uint64_t wall_us(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return (uint64_t)t.tv_sec * 1000000u + t.tv_nsec / 1000; }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static void send_reqs(conn *c, int n) {
  if (n <= 0) return;
  for (int i = 0; i < n; i++) {
    uint8_t *f = wbuf + i * REQ_LEN;
    c->next_id += 2;
    wr32(f, 12 + 2); wr32(f + 4, c->next_id >> 32); wr32(f + 8, (uint32_t)c->next_id);
    wr32(f + 12, (8u << 24) | 0); f[16] = 'x'; f[17] = 'u';
  }
  size_t len = (size_t)n * REQ_LEN, off = 0;
  if (record_lat) t_sent = mono_ns();
  while (off < len) {  /* blocking-ish: K*18 bytes always fit the socket buffer in practice */
    ssize_t w = write(c->fd, wbuf + off, len - off);
    if (w > 0) { off += w; continue; }
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) { struct pollfd p = { c->fd, POLLOUT, 0 }; poll(&p, 1, 1000); continue; }
    perror("write"); exit(1);
  }
  c->inflight += n; sent += n;
}

/* one complete frame */
static void on_frame(conn *c, const uint8_t *f, uint32_t total) {
  if (f[12] & 16) { /* push */
    uint64_t t = wall_us();
    if (total != 16 + 64) bad_push++;
    if (!c->got_push) { c->got_push = 1; pushes++; }
    if (t < first_push) first_push = t;
    if (t > last_push) last_push = t;
    return;
  }
  uint64_t id = (uint64_t)rd32(f + 4) << 32 | rd32(f + 8);
  c->expect_id += 2;
  if (id != c->expect_id || total != REP_LEN || memcmp(f + 16, EXP, 14)) errors++;
  c->inflight--;
  if (counting) completed++;
  if (record_lat && nlat < target) lat[nlat++] = (mono_ns() - t_sent) / 1000.0;
}

static void on_readable(conn *c) {
  for (;;) {
    memcpy(rbuf, c->tail, c->tail_len);
    ssize_t r = read(c->fd, rbuf + c->tail_len, RBUF);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) { fprintf(stderr, "connection closed\n"); exit(1); }
    size_t end = c->tail_len + r, off = 0;
    int before = c->inflight;
    while (end - off >= 16) {
      uint32_t len = rd32(rbuf + off);
      if (len < 12 || len > 1 << 20) { fprintf(stderr, "bad frame\n"); exit(1); }
      if (end - off < 4 + (size_t)len) break;
      on_frame(c, rbuf + off, 4 + len);
      off += 4 + len;
    }
    c->tail_len = end - off;
    if (c->tail_len > (int)sizeof c->tail) { fprintf(stderr, "tail too big\n"); exit(1); }
    memcpy(c->tail, rbuf + off, c->tail_len);
    int done = before - c->inflight;
    if (!stop_sending && done > 0) {
      long room = target > 0 ? target - sent : done;
      send_reqs(c, done < room ? done : (int)room);
    }
    if ((size_t)r < RBUF) return;
  }
}

static void loop_until(int (*done)(void), uint64_t deadline_ns) {
  struct epoll_event evs[512];
  while (!done()) {
    int timeout = -1;
    if (deadline_ns) { uint64_t now = mono_ns(); if (now >= deadline_ns) return; timeout = (int)((deadline_ns - now) / 1000000) + 1; }
    int n = epoll_wait(ep, evs, 512, timeout);
    if (n < 0) { if (errno == EINTR) continue; perror("epoll"); exit(1); }
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u32 == 0xffffffffu) { char b[64]; if (read(0, b, sizeof b) <= 0) exit(0); continue; }
      on_readable(&cs[evs[i].data.u32]);
    }
  }
}

static int all_idle(void) { for (int i = 0; i < nc; i++) if (cs[i].inflight) return 0; return 1; }
static int target_done(void) { return completed >= target; }
static int all_pushed(void) { return pushes >= nc; }
static int never(void) { return 0; }
static int cmpd(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  if (argc < 8) { fprintf(stderr, "usage\n"); return 2; }
  int port = atoi(argv[1]); const char *mode = argv[2];
  nc = atoi(argv[3]); K = atoi(argv[4]); long requests = atol(argv[5]), warmup = atol(argv[6]); long dur = atol(argv[7]);
  alarm(argc > 8 ? atoi(argv[8]) : 600);
  wbuf = malloc((size_t)(K > 1 ? K : 1) * REQ_LEN + 64);
  cs = calloc(nc, sizeof(conn));
  ep = epoll_create1(0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  for (int i = 0; i < nc; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    cs[i].fd = fd; cs[i].next_id = 1; cs[i].expect_id = 1;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  struct epoll_event sev = { .events = EPOLLIN, .data.u32 = 0xffffffffu };
  int many = nc > 1;
  if (many) { /* one request each: the server has accepted and served every connection */
    stop_sending = 1; counting = 0;
    for (int i = 0; i < nc; i++) send_reqs(&cs[i], 1);
    loop_until(all_idle, 0);
    stop_sending = 0; counting = 1; sent = 0;
  }
  printf("connected %d\n", nc); fflush(stdout);
  if (!strcmp(mode, "memory")) { char b[64]; while (read(0, b, sizeof b) > 0) {} return 0; }
  if (!strcmp(mode, "fanout")) {
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);
    stop_sending = 1;
    loop_until(all_pushed, 0);
    printf("result {\"received\":%ld,\"firstUs\":%llu,\"lastUs\":%llu,\"badPush\":%ld}\n", pushes,
           (unsigned long long)first_push, (unsigned long long)last_push, bad_push);
    return 0;
  }
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 0; /* "go" */
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);
  if (!strcmp(mode, "throughput") || !strcmp(mode, "latency")) {
    conn *c = &cs[0];
    record_lat = 0;
    if (warmup > 0) { completed = 0; sent = 0; target = warmup; send_reqs(c, K < target ? K : (int)target); loop_until(target_done, 0); }
    completed = 0; sent = 0; target = requests; errors = errors;
    if (!strcmp(mode, "latency")) { lat = malloc(sizeof(double) * requests); record_lat = 1; }
    uint64_t t0 = mono_ns();
    send_reqs(c, K < target ? K : (int)target);
    loop_until(target_done, 0);
    double ms = (mono_ns() - t0) / 1e6;
    if (record_lat) {
      qsort(lat, nlat, sizeof(double), cmpd);
      double p50 = lat[(long)(nlat * 0.5 + 0.999999) - 1], p99 = lat[(long)(nlat * 0.99 + 0.999999) - 1];
      printf("result {\"value\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"count\":%ld,\"errors\":%ld}\n", p50, p50, p99, nlat, errors);
    } else {
      printf("result {\"value\":%.1f,\"count\":%ld,\"ms\":%.3f,\"errors\":%ld}\n", requests / (ms / 1000), requests, ms, errors);
    }
    return 0;
  }
  if (!strcmp(mode, "gateway")) {
    target = 0; completed = 0; sent = 0;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    for (int i = 0; i < nc; i++) send_reqs(&cs[i], K);
    uint64_t t0 = mono_ns();
    loop_until(never, t0 + (uint64_t)dur * 1000000u);
    getrusage(RUSAGE_SELF, &ru1);
    /* CPU over the window, as the Node clients report it (cpuUs) */
    long long cpu_us = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1000000LL
                     + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
    printf("result {\"value\":%.1f,\"count\":%ld,\"ms\":%ld,\"errors\":%ld,\"cpuUs\":%lld}\n", completed / (dur / 1000.0), completed, dur, errors, cpu_us);
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
