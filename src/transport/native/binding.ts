/** The shape of build/Release/qrpc_native.node (see native/addon.cc). */
export interface NativeShared {
  /** Event records, 8 x uint32 each (see native/state.h). */
  events: ArrayBuffer;
  /** Corked output area: frames encoded here by JS, flushed once per tick. */
  sendArea: ArrayBuffer;
  /** Flush ops, 4 x uint32 each: [conn id, extra index + 1 (0 = sendArea), offset, length]. */
  ops: ArrayBuffer;
  /** Results of flush()/broadcast(): [count, (conn id, kind, value) ...]. */
  report: ArrayBuffer;
  connSize: number;
}

/** [maxFrameSize, highWaterMark, readTimeoutMs, writeTimeoutMs, stalledPayloadMs, keepAliveMs, noDelay] */
export type NativeOpts = [number, number, number, number, number, number, boolean, number, number];

export interface NativeParseResult {
  frames: Array<[number, number, number, number, Buffer]>;
  /** 0 none, 1 ERR_INVALID_FRAME, 2 ERR_FRAME_TOO_LARGE, 3 out of memory */
  error: number;
  length: number;
  partial: boolean;
}

export interface NativeAddon {
  /**
   * onEvents(count, buffers, carried): `buffers` lists every ArrayBuffer the batch's payloads live in (a FRAME
   * record's word 7 is its index + 1); small payloads share 8 KiB pools filled front to back across batches,
   * bigger ones have their own. `carried` is the index + 1 of the one buffer already listed in an earlier batch
   * (0 = none): every other one is new to JS. Native never writes into a buffer again once JS has seen its bytes.
   */
  init(onEvents: (count: number, buffers: ArrayBuffer[] | undefined, carried: number) => void): NativeShared;
  /** [listener id, bound port, bound address] or -errno */
  listen(ip: string, port: number, family: number, backlog: number, reusePort: boolean, opts: NativeOpts): [number, number, string] | number;
  /** Serve an inherited listening socket (taken over on success): as listen(), or -errno (EBADF, ENOTSOCK, EINVAL: not listening, EEXIST: ours already). */
  listenFd(fd: number, opts: NativeOpts): [number, number, string] | number;
  /** The listening socket of a listener, or -1. */
  listenerFd(id: number): number;
  /** op: 0 pause, 1 resume, 2 close */
  listenerCtl(id: number, op: number): void;
  /** A duplicate of process `pid`'s fd `fd` in this process (pidfd_getfd, FD_CLOEXEC), or -errno (EINVAL: bad pid, EBADF, ENOSYS, EPERM, ESRCH). */
  dupFromProcess(pid: number, fd: number): number;
  /** connection id (result arrives as an event) or -errno */
  /** Test aid: the kernel's SO_SNDBUF / SO_RCVBUF of a connection. */
  sockBuffers(id: number): [number, number] | undefined;
  connect(ip: string, port: number, family: number, connectTimeoutMs: number, opts: NativeOpts): number;
  /** op: 0 attach, 1 pause, 2 resume, 3 setReadTimeout(arg), 4 end, 5 close */
  connCtl(id: number, op: number, arg?: number): boolean;
  addresses(id: number): [string, number, string, number, string] | undefined;
  flush(opCount: number, extras: Buffer[] | undefined): number;
  broadcast(ids: Uint32Array, count: number, bytes: Buffer): number;
  parseForTest(chunks: Buffer[], maxFrameSize: number): NativeParseResult;
  stats(): NativeStats;
  /** Test aid: [bytes the kernel holds unread for the socket, whether native polls it for input]. */
  inputQueued(id: number): [number, boolean] | undefined;
  /** Test-only fault injection: the next n allocations on peer-driven paths fail; returns how many were pending. */
  __failAllocations(n: number): number;
}

export interface NativeStats {
  connections: number;
  listeners: number;
  timers: number;
  connSize: number;
  epollFd: number;
  /** Capacity of the buffers holding partial frames (grows with the bytes received). */
  tailBytes: number;
  /** Times the wheel's uv timer woke the loop. */
  timerWakeups: number;
  /** ms until the wheel's uv timer fires (-1 = not armed); armed only for the earliest deadline. */
  timerDueInMs: number;
}

export const EV_FRAME = 1;
export const EV_ACCEPT = 2;
export const EV_CLOSE = 3;
export const EV_DRAIN = 4;
export const EV_CONNECTED = 5;
export const EV_CONNECT_FAILED = 6;

export const REPORT_QUEUED = 1;
export const REPORT_ERROR = 2;
/** Out of memory while queueing output: native dropped the connection. */
export const REPORT_NO_MEMORY = 3;

export const CTL_ATTACH = 0;
export const CTL_PAUSE = 1;
export const CTL_RESUME = 2;
export const CTL_READ_TIMEOUT = 3;
export const CTL_END = 4;
export const CTL_CLOSE = 5;
