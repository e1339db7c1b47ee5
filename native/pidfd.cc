// dupFromProcess(pid, fd) -> fd | -errno: a duplicate, in this process, of the
// file descriptor `fd` of process `pid` (pidfd_open(2) + pidfd_getfd(2),
// Linux >= 5.6). serveWorkers' primary keeps its workers' listening sockets
// this way, so a worker's accept queue outlives the worker. The caller needs
// ptrace access to `pid` (a parent has it to its children unless a security
// module says otherwise). Never aborts: bad arguments are -EINVAL (pid) or
// -EBADF (fd), kernel refusals their -errno (ENOSYS on old kernels, EPERM,
// ESRCH, EBADF), and the pidfd is closed on every path. The new fd has
// FD_CLOEXEC set (pidfd_getfd always sets it).
#include "pidfd.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>

namespace qrpc {

// A whole number in [lo, 2^31 - 1], else -1.
static int WholeInt(const Napi::Value& v, double lo) {
  if (!v.IsNumber()) return -1;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo) || d > 2147483647.0 || d != std::floor(d)) return -1;
  return int(d);
}

static int DupFrom(int pid, int fd) {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
  int pidfd = int(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return -errno;
  int dup = int(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  int e = errno;
  close(pidfd);
  return dup < 0 ? -e : dup;
#else
  (void)pid;
  (void)fd;
  return -ENOSYS;
#endif
}

Napi::Value DupFromProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = WholeInt(info[0], 1);
  if (pid < 0) return Napi::Number::New(env, -EINVAL);
  int fd = WholeInt(info[1], 0);
  if (fd < 0) return Napi::Number::New(env, -EBADF);
  return Napi::Number::New(env, DupFrom(pid, fd));
}

}  // namespace qrpc
