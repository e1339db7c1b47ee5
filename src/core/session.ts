import { assertCmd } from '../protocol/cmd.js';
import { QrpcError, ResetReason } from '../protocol/errors.js';
import { Flags, isDone } from '../protocol/flags.js';
import { describeValue as describe, toPayload, type Frame, type PayloadInput } from '../protocol/frame.js';
import type { ConnectionHandler, TransportConnection } from '../transport/types.js';
import { abortedError, NO_WAIT_OPTIONS, type Call, type CallOwner, type WaitOptions } from './call.js';
import type { SessionOptions } from './session-options.js';
import { SessionInbound } from './session-inbound.js';
import { PAUSE_THROTTLE } from './session-state.js';
import { RESET, SEND_DONE, step } from './stream-state.js';
import { WRITE_QUEUED } from '../transport/types.js';
import { StreamWriter, quietReject } from './writer.js';
import { freshNow, stretchNow } from './stretch-clock.js';
import { RESOLVED } from './resolved.js';

export type { Role, SessionOptions, SessionHooks } from './session-options.js';


function oneFrameOnly(): QrpcError {
  return new QrpcError('ERR_INVALID_ARG', 'request() sends one frame: use streamRequest() for streams and reset() for resets');
}

function checkFlags(flags: unknown): number {
  if (!Number.isInteger(flags) || (flags as number) < 0 || (flags as number) > 0xff) {
    throw new QrpcError('ERR_INVALID_ARG', `flags must be an integer 0..255 (see Flags), got ${describe(flags)}`);
  }
  return flags as number;
}

function checkRequestId(requestId: unknown): bigint {
  if (typeof requestId !== 'bigint') throw new QrpcError('ERR_INVALID_ARG', `requestId must be a bigint, got ${describe(requestId)}`);
  return requestId;
}


/** Options of a streamed request: as call()'s, covering the whole exchange. */
export type StreamOptions = WaitOptions;

/** What streamRequest() returns; `sent` settles once the opening frame is queued (rejects, never unhandled, when it cannot be sent). */
export interface OpenedStream {
  requestId: bigint;
  writer: StreamWriter;
  response: Call;
  sent: Promise<void>;
}

/**
 * The protocol engine of one connection, used by both ends (internal: the
 * server's ConnectionInfo and the client's Connection wrap it). Its layers:
 * session-streams (IDs and tables) ← session-outbound (writes, codec order,
 * backpressure) ← session-inbound (routing, dispatch) ← this file (the
 * operations callers start, and closing). It sees frames and a
 * TransportConnection, never a socket.
 */
export class Session<C = unknown> extends SessionInbound<C> implements ConnectionHandler, CallOwner {
  constructor(transport: TransportConnection, options: SessionOptions<C>) {
    super(transport, options);
    if (options.maxInboundFramesPerSecond > 0) this.countInbound();
  }

  /** Settles once the connection is closed and every close callback ran. */
  get closed(): Promise<void> {
    if (this.closedPromise === null) {
      this.closedPromise = this.isClosed ? RESOLVED : new Promise<void>((resolve) => this.whenClosed(() => resolve()));
    }
    return this.closedPromise;
  }

  get remotePort(): number {
    return this.transport.remotePort;
  }

  /** Why the connection closed (null while open or after an orderly close). */
  get closeReason(): QrpcError | null {
    return this.closeError;
  }

  /** Starts reading; call once, right after construction. */
  start(): void {
    this.transport.attach(this);
  }

  // ---------------------------------------------------------------- requests we start

  private assertOpen(): void {
    if (this.isClosing) throw this.closedError();
  }

  /**
   * Sends one request frame. With the Push flag nothing is awaited and
   * `response` is null. Throws ERR_CONN_CLOSED, ERR_INVALID_CMD, ERR_ID_COLLISION.
   */
  request(cmd: number, flags: number = 0, payload?: PayloadInput): { requestId: bigint; response: Call | null } {
    checkFlags(flags);
    if (flags & Flags.Push) {
      assertCmd(cmd);
      this.assertOpen();
      if (flags & (Flags.Stream | Flags.StreamEnd | Flags.StreamRst)) throw oneFrameOnly();
      const buf = toPayload(payload);
      this.checkSize(buf);
      const id = this.pushId();
      void this.emit(id, (flags & Flags.Codec) | Flags.Push, cmd, buf, false);
      this.options.metrics?.push('out', 1);
      return { requestId: id, response: null };
    }
    const call = this.openCall(cmd, flags, payload);
    return { requestId: call.requestId, response: call };
  }

  /** Sends a request's only frame (no Push flag) and returns its Call. Throws like request(). */
  private openCall(cmd: number, flags: number, payload: PayloadInput): Call {
    assertCmd(cmd);
    this.assertOpen();
    if (flags & (Flags.Stream | Flags.StreamEnd | Flags.StreamRst)) throw oneFrameOnly();
    const buf = toPayload(payload);
    if (buf.length > this.maxPayload) this.checkSize(buf);
    const call = this.newCall();
    this.track(call);
    if (this.options.metrics !== null) this.measure(call, cmd);
    if ((flags & Flags.Codec) === 0 && this.outChain === null) {
      // A fresh call on an open connection: nothing to look up, encode or wait behind.
      call.state = step(call.state, SEND_DONE);
      const result = this.transport.writeFrame(call.requestId, flags, cmd, buf);
      if (this.options.metrics !== null) this.countOut(result, buf);
      if (result !== WRITE_QUEUED) this.settleOpening(call, this.notQueued(result));
    } else {
      this.settleOpening(call, this.sendFrame(call.requestId, flags, cmd, buf, false, call));
    }
    return call;
  }

  /** A client's calls are measured from here (the request metric); a server's calls to its clients are not. */
  private measure(call: Call, cmd: number): void {
    if (this.options.role !== 'client') return;
    call.measuredCmd = cmd;
    call.measuredSince = freshNow();
  }

  /** CallOwner: the call's first answer frame arrived, or it failed; reported in the Call's own settle path (no promise reaction). */
  callSettled(call: Call, outcome: string): void {
    this.options.metrics!.request(call.measuredCmd, outcome, (stretchNow() - call.measuredSince!) / 1000);
  }

  /** A call refused before anything was sent still counts as a failed request (the time is 0: nothing was sent). */
  private refusedCall(cmd: number, err: unknown): Promise<never> {
    if (this.options.metrics !== null && this.options.role === 'client') {
      const code = (err as { code?: unknown })?.code;
      this.options.metrics.request(cmd, typeof code === 'string' ? code : 'error', 0);
    }
    return quietReject(err);
  }

  /** If a request's first frame cannot be sent (codec error, closed), the caller's wait fails with that error. */
  private settleOpening(call: Call, sent: Promise<void>): void {
    if (sent === RESOLVED) return;
    sent.catch((err: QrpcError) => {
      this.untrack(call);
      call.fail(err);
    });
  }

  /** Sends a request's first frame (a stream's: its half stays open); failures fail the caller's wait. */
  private sendOpening(call: Call, flags: number, cmd: number, buf: Buffer): Promise<void> {
    const sent = this.sendFrame(call.requestId, flags, cmd, buf, false, call);
    this.settleOpening(call, sent);
    return sent;
  }

  /** Non-blocking request, resolved with the answer's first frame. An already aborted signal sends nothing. */
  call(cmd: number, payload?: PayloadInput, options: WaitOptions & { flags?: number } = NO_WAIT_OPTIONS): Promise<Frame> {
    const signal = options.signal;
    if (signal !== undefined && signal.aborted) return this.refusedCall(cmd, abortedError(signal));
    let call: Call;
    try {
      const flags = checkFlags(options.flags ?? 0) | Flags.NB;
      if (flags & Flags.Push) throw new QrpcError('ERR_INVALID_ARG', 'call() waits for an answer; a push has none: use push()');
      call = this.openCall(cmd, flags, payload);
    } catch (err) {
      return this.refusedCall(cmd, err);
    }
    return call.frame(options);
  }

  /**
   * Opens a streamed request: the first frame carries `payload`; the writer
   * sends the rest. `signal` / `timeoutMs` cover the whole exchange (both
   * directions): giving up resets the stream. An already aborted signal sends nothing.
   */
  streamRequest(cmd: number, flags: number = 0, payload?: PayloadInput, options: StreamOptions = NO_WAIT_OPTIONS): OpenedStream {
    assertCmd(cmd);
    checkFlags(flags);
    const signal = options.signal;
    if (signal !== undefined && signal.aborted) throw abortedError(signal);
    this.assertOpen();
    const buf = toPayload(payload);
    this.checkSize(buf);
    const call = this.newCall();
    this.track(call);
    if (this.options.metrics !== null) this.measure(call, cmd);
    const base = flags & (Flags.NB | Flags.Codec);
    // StreamEnd in `flags` makes a one-frame stream (Go's StreamRequest with StreamEndFlag): our half ends with it.
    const sent = this.sendOpening(call, base | Flags.Stream | (flags & Flags.StreamEnd), cmd, buf);
    if (signal !== undefined || options.timeoutMs) call.watch(signal, options.timeoutMs);
    return { requestId: call.requestId, writer: new StreamWriter(this as never, call, cmd, base), response: call, sent };
  }

  /**
   * Sends a push (no answer, no stream state). Resolves with the push's ID
   * once queued; rejects (never unhandled) when it cannot be sent: closed
   * connection, a codec that fails, a payload over maxFrameSize.
   */
  push(cmd: number, payload?: PayloadInput, flags: number = 0): Promise<bigint> {
    let id: bigint;
    let sent: Promise<void>;
    try {
      assertCmd(cmd);
      checkFlags(flags);
      this.assertOpen();
      const buf = toPayload(payload);
      this.checkSize(buf);
      id = this.pushId();
      sent = this.emit(id, (flags & Flags.Codec) | Flags.Push, cmd, buf, false);
      this.options.metrics?.push('out', 1);
    } catch (err) {
      return quietReject(err);
    }
    const out = sent.then(() => id);
    out.catch(() => {});
    return out;
  }

  private pushId(): bigint {
    return this.options.nextPushId ? this.options.nextPushId() : this.allocId();
  }

  /**
   * Sends a reset for `requestId` (reason in cmd) and closes both halves
   * locally. Not sent when the ID has no open half.
   */
  reset(requestId: bigint, reason: number = ResetReason.None): Promise<void> {
    try {
      checkRequestId(requestId);
    } catch (err) {
      return quietReject(err);
    }
    if (this.isClosing) return quietReject(this.closedError());
    const key = Number(requestId);
    const served = this.findServed(requestId, key);
    if (served !== undefined) {
      const wasOpen = !served.selfClosed || !served.peerClosed;
      served.cancel(new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset locally`, { reason }));
      this.release(served);
      return wasOpen ? this.writeReset(requestId, reason) : RESOLVED;
    }
    const call = this.calls.get(requestId, key);
    if (call !== undefined) {
      this.abortCall(call, new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset locally`, { reason }), reason);
    }
    return RESOLVED;
  }

  /** The caller gave up on `call`: tell the peer (reset) and fail the caller's wait. */
  abortCall(call: Call, error: QrpcError, reason: number = ResetReason.None): void {
    const open = !(call.selfClosed && call.peerClosed);
    call.state = step(call.state, RESET);
    if (open && !this.isClosing) void this.writeReset(call.requestId, reason);
    call.fail(error);
    this.untrack(call);
  }

  // ---------------------------------------------------------------- close

  /** The peer's notice that it is closing us (ResetReason.Kicked / Shutdown): it becomes the close reason. */
  protected onNotice(reason: number): void {
    if (reason === ResetReason.Kicked) this.closeError ??= new QrpcError('ERR_KICKED', 'the server closed this connection: a newer connection logged in with the same id');
    else if (reason === ResetReason.Shutdown) this.closeError ??= new QrpcError('ERR_SHUTDOWN', 'the server is shutting down');
    else this.logger.debug({ reason, remoteAddress: this.remoteAddress }, 'qrpc: connection notice with an unknown reason ignored');
  }

  /** Transport event: the connection closed (exactly once). */
  onClose(error: QrpcError | null): void {
    if (this.isClosed) return;
    const byUs = this.isClosing;
    this.isClosed = true;
    const linger = byUs ? this.more().lingerTimer : null;
    if (linger !== null) clearTimeout(linger);
    if (error !== null && this.closeError === null) {
      // Closes the transport decided (bad frames, timeouts, socket errors); fail() logs the session's own.
      const quiet = error.code === 'ERR_READ_TIMEOUT' || error.code === 'ERR_SOCKET';
      this.logger[quiet ? 'debug' : 'warn']({ code: error.code, err: error, remoteAddress: this.remoteAddress }, 'qrpc: connection closed');
    }
    this.closeError ??= error;
    // After a peer's close (a crash looks the same: the kernel sends its FIN) the pending calls still say why.
    const cause = this.closeError ?? (byUs ? null : new QrpcError('ERR_SOCKET', 'the peer closed the connection'));
    const closedError = new QrpcError('ERR_CONN_CLOSED', cause ? `connection closed: ${cause.message}` : 'connection closed', { cause: cause ?? undefined });
    this.abandonAll(closedError);
    this.queue?.cancelAll(closedError);
    if (this.drainWait !== null) {
      this.drainWait.reject(closedError);
      this.drainWait = null;
    }
    this.options.metrics?.connectionClosed(this.closeError?.code ?? null);
    this.options.hooks?.closed(this.publicConnection, this.closeError);
    const callbacks = this.closeCallbacks ?? [];
    this.closeCallbacks = null;
    for (const fn of callbacks) {
      try {
        fn(this.closeError);
      } catch (err) {
        this.logger.error({ err, remoteAddress: this.remoteAddress }, 'qrpc: close callback threw');
      }
    }
    this.checkIdle();
  }

  /** Runs once when the connection closes (on a later microtask if it already has). */
  whenClosed(fn: (error: QrpcError | null) => void): void {
    if (this.isClosed) queueMicrotask(() => fn(this.closeError));
    else (this.closeCallbacks ??= []).push(fn);
  }

  /** Closes after flushing what is queued; `reason` becomes the close reason seen by onClose callbacks. Later writes fail. */
  close(reason?: QrpcError): void {
    if (this.isClosing) return;
    if (reason !== undefined) this.closeError ??= reason;
    this.markClosing();
    this.transport.end(this.closeError);
    if (!this.isClosed) {
      // A peer that never reads would hold the flush, and so the close, forever.
      const ms = this.options.closeTimeoutMs;
      const linger = setTimeout(() => this.transport.destroy(new QrpcError('ERR_WRITE_TIMEOUT', `output not taken within ${ms} ms of close()`)), ms);
      linger.unref();
      this.more().lingerTimer = linger;
    }
  }

  /** Tells the peer why (a connection notice: a reset of id 0), then closes after flushing. */
  closeWithNotice(reason: number, error: QrpcError): void {
    if (this.isClosing) return;
    void this.writeReset(0n, reason);
    this.close(error);
  }

  /** Closes now with a reason (protocol errors, limits, kicks). */
  fail(error: QrpcError): void {
    if (this.isClosed) return;
    this.logger.warn({ code: error.code, err: error, remoteAddress: this.remoteAddress }, 'qrpc: closing connection');
    this.closeError = error;
    this.markClosing();
    this.transport.destroy(error);
  }

  /** Throttle: stop reading until cleared (combined with the session's own reasons to pause). */
  setThrottled(on: boolean): void {
    this.pauseReading(PAUSE_THROTTLE, on);
  }

  // ---------------------------------------------------------------- shutdown

  /** Graceful drain: requests that arrive from now on are answered with a Shutdown reset. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Deadline passed: reset every request still being served, then close with a notice (ERR_SHUTDOWN). */
  resetServedAndClose(reason: number): void {
    if (this.isClosing) return;
    for (const req of this.served.values()) {
      if (!req.selfClosed) {
        req.cancel(new QrpcError('ERR_SHUTDOWN', 'the server is shutting down'));
        this.answerWithReset(req, reason);
      }
    }
    for (const req of this.queue?.pending() ?? []) {
      // Cancelled as well, so the queue drained by a finishing handler does not dispatch or answer it again.
      req.cancel(new QrpcError('ERR_SHUTDOWN', 'the server is shutting down'));
      this.answerWithReset(req, reason);
    }
    this.closeWithNotice(ResetReason.Shutdown, new QrpcError('ERR_SHUTDOWN', 'the server shut down'));
  }
}
