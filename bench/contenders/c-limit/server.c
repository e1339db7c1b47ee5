/* c-limit server: a minimal epoll qrpc responder.
 * Every complete frame of one read is answered ("hello world " + payload,
 * cmd 1, same request id) and all answers of that read go out in one write.
 * Line protocol on stdin/stdout like the Node servers:
 *   prints "ready <port>"; stdin "gc" -> "gc-done", "push" -> 64-byte push
 *   frame to every connection, prints "pushed <count> <t0us> <cpuus>";
 *   "cpu" -> "cpu <us since the push started>";
 *   stdin EOF or "stop" exits. alarm() bounds the lifetime. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536
#define RBUF (256 * 1024)
#define MAXFRAME (10 * 1024 * 1024)

typedef struct conn {
  uint8_t *tail; uint32_t tail_len;   /* incomplete frame carried over */
  uint8_t *out; uint32_t out_len;     /* unsent answers (socket buffer full) */
} conn;

static conn *conns[MAXFD];
static int nconns;
static int ep;
static uint8_t rbuf[RBUF + 64];
static uint8_t *wbuf; static size_t wcap;
static const char HELLO[] = "hello world ";
#define HL 12

static uint64_t wall_us(void) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}
static uint64_t cpu_us(void) {
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static void close_conn(int fd) {
  conn *c = conns[fd];
  if (!c) return;
  free(c->tail); free(c->out); free(c);
  conns[fd] = NULL; nconns--;
  close(fd);
}

/* write all or queue the rest and wait for EPOLLOUT */
static int send_all(int fd, conn *c, const uint8_t *p, size_t n) {
  if (c->out_len) { /* keep order */
    c->out = realloc(c->out, c->out_len + n); memcpy(c->out + c->out_len, p, n); c->out_len += n; return 0;
  }
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w > 0) { p += w; n -= w; continue; }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      c->out = malloc(n); memcpy(c->out, p, n); c->out_len = n;
      struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd }; /* stop reading until drained */
      epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
      return 0;
    }
    return -1;
  }
  return 0;
}

static void on_writable(int fd, conn *c) {
  size_t off = 0;
  while (off < c->out_len) {
    ssize_t w = write(fd, c->out + off, c->out_len - off);
    if (w > 0) { off += w; continue; }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    close_conn(fd); return;
  }
  if (off == c->out_len) {
    free(c->out); c->out = NULL; c->out_len = 0;
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
  } else {
    memmove(c->out, c->out + off, c->out_len - off); c->out_len -= off;
  }
}

static void on_readable(int fd, conn *c) {
  for (;;) {
    uint8_t *buf = rbuf; size_t have = 0; uint8_t *heap = NULL;
    if (c->tail_len) { /* tail first, then the new bytes */
      heap = malloc(c->tail_len + RBUF);
      memcpy(heap, c->tail, c->tail_len); have = c->tail_len; buf = heap;
      free(c->tail); c->tail = NULL; c->tail_len = 0;
    }
    ssize_t r = read(fd, buf + have, RBUF);
    if (r <= 0) {
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (have) { c->tail = malloc(have); memcpy(c->tail, buf, have); c->tail_len = have; }
        free(heap); return;
      }
      free(heap); close_conn(fd); return;
    }
    size_t end = have + r, off = 0, w = 0;
    size_t need = end + (end / 16 + 1) * HL;
    if (need > wcap) { wcap = need * 2; wbuf = realloc(wbuf, wcap); }
    while (end - off >= 16) {
      uint32_t len = rd32(buf + off);
      if (len < 12 || len > MAXFRAME) { free(heap); close_conn(fd); return; }
      if (end - off < 4 + (size_t)len) break;
      uint32_t plen = len - 12;
      wr32(wbuf + w, len + HL);
      memcpy(wbuf + w + 4, buf + off + 4, 8);        /* same request id */
      wr32(wbuf + w + 12, 1);                         /* flags 0, cmd 1 */
      memcpy(wbuf + w + 16, HELLO, HL);
      memcpy(wbuf + w + 16 + HL, buf + off + 16, plen);
      w += 16 + HL + plen; off += 4 + len;
    }
    if (off < end) { c->tail_len = end - off; c->tail = malloc(c->tail_len); memcpy(c->tail, buf + off, c->tail_len); }
    free(heap);
    if (w && send_all(fd, c, wbuf, w) < 0) { close_conn(fd); return; }
    if ((size_t)r < RBUF) return; /* drained (level-triggered: epoll tells us again otherwise) */
  }
}

static uint64_t push_id, push_cpu0;
static void push_all(void) {
  uint8_t f[16 + 64];
  uint64_t t0 = wall_us(), c0 = cpu_us();
  push_cpu0 = c0;
  wr32(f, 12 + 64);
  ++push_id; wr32(f + 4, push_id >> 32); wr32(f + 8, (uint32_t)push_id);
  wr32(f + 12, (16u << 24) | 2);                      /* flags Push, cmd 2 */
  memset(f + 16, 'p', 64);
  int n = 0;
  for (int fd = 0; fd < MAXFD; fd++) {
    conn *c = conns[fd];
    if (!c) continue;
    if (send_all(fd, c, f, sizeof f) == 0) n++;
  }
  uint64_t c1 = cpu_us();
  printf("pushed %d %llu %llu\n", n, (unsigned long long)t0, (unsigned long long)(c1 - c0));
  fflush(stdout);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  alarm(argc > 2 ? atoi(argv[2]) : 600);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) { perror("listen"); return 1; }
  socklen_t al = sizeof a; getsockname(ls, (struct sockaddr *)&a, &al);
  ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  ev.data.fd = 0; epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  printf("ready %d\n", ntohs(a.sin_port)); fflush(stdout);
  struct epoll_event evs[512];
  char line[256]; size_t ll = 0;
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    if (n < 0) { if (errno == EINTR) continue; return 1; }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        for (;;) {
          int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
          if (cfd < 0) break;
          if (cfd >= MAXFD) { close(cfd); continue; }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns[cfd] = calloc(1, sizeof(conn)); nconns++;
          struct epoll_event e2 = { .events = EPOLLIN, .data.fd = cfd };
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &e2);
        }
      } else if (fd == 0) {
        ssize_t r = read(0, line + ll, sizeof line - 1 - ll);
        if (r <= 0) return 0;
        ll += r; line[ll] = 0;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
          *nl = 0;
          if (!strcmp(line, "push")) push_all();
          else if (!strcmp(line, "cpu")) { printf("cpu %llu\n", (unsigned long long)(cpu_us() - push_cpu0)); fflush(stdout); }
          else if (!strcmp(line, "gc")) { printf("gc-done\n"); fflush(stdout); }
          else if (!strcmp(line, "stop")) return 0;
          size_t rest = ll - (nl + 1 - line);
          memmove(line, nl + 1, rest); ll = rest; line[ll] = 0;
        }
        if (ll >= sizeof line - 1) ll = 0;
      } else {
        conn *c = conns[fd];
        if (!c) continue;
        if (evs[i].events & EPOLLOUT) { on_writable(fd, c); if (!conns[fd]) continue; }
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) { if (!c->out_len) on_readable(fd, c); else if (evs[i].events & (EPOLLHUP|EPOLLERR)) close_conn(fd); }
      }
    }
  }
}
