// dupFromProcess: a duplicate of another process's file descriptor (pidfd_getfd).
#pragma once

#include <napi.h>

namespace qrpc {

// dupFromProcess(pid, fd) -> fd | -errno (see pidfd.cc).
Napi::Value DupFromProcess(const Napi::CallbackInfo& info);

}  // namespace qrpc
