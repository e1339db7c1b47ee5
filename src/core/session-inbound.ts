import { QrpcError, ResetReason } from '../protocol/errors.js';
import { Flags, isDone, isNonBlock } from '../protocol/flags.js';
import { HEADER_SIZE, ReceivedFrame, asBytes, describeValue, requestIdOf, type Frame } from '../protocol/frame.js';
import type { Call } from './call.js';
import { PerSecondCounter } from './rate.js';
import { RequestFrame } from './request.js';
import { RequestQueue } from './request-queue.js';
import { SessionOutbound } from './session-outbound.js';
import { PAUSE_BACKLOG, PAUSE_OUTPUT } from './session-state.js';
import { setDispatching } from './session-streams.js';
import { freshNow, stretchNow } from './stretch-clock.js';
import { FrameWriter } from './writer.js';
import { RESOLVED } from './resolved.js';
// The global is an accessor (as Buffer's): the module binding skips a getter call per measured request.

const TWO_32 = 2 ** 32;
/** idHigh below this: idHigh * 2^32 + idLow is exact (below 2^53). */
const KEY_HIGH_LIMIT = 0x200000;
/** Requests waiting behind a blocking handler above which reading pauses. */
const MAX_QUEUED_REQUESTS = 1024;

/**
 * Layer 3 of a session: everything that arrives. Decoding (in order, also
 * behind an asynchronous decode), routing by ID (answers to our calls,
 * continuations of streams we serve, resets, pushes, new requests) and
 * dispatch: blocking requests one at a time in arrival order, non-blocking
 * ones at once, every request answered.
 */
export abstract class SessionInbound<C> extends SessionOutbound<C> {
  /** Handlers running: the non-blocking ones plus the blocking one, if any (blockingBusy); one field for both (idle memory). */
  private activeHandlers = 0;

  private get inflightNonBlocking(): number {
    return this.activeHandlers - (this.blockingBusy ? 1 : 0);
  }

  /** A connection-level notice from the peer (a reset of request id 0): it is closing us for `reason`. */
  protected abstract onNotice(reason: number): void;

  /** Transport event: one frame. */
  onFrame(idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer): void {
    // transport.closed: frames after a close decided earlier in the same chunk are not acted on.
    if (this.isClosed || this.transport.closed) return;
    const metrics = this.options.metrics;
    if (metrics !== null) metrics.bytes('in', HEADER_SIZE + payload.length);
    const fps = this.fps;
    if (fps !== null && fps.add(1, Date.now()) > this.options.maxInboundFramesPerSecond) {
      this.fail(new QrpcError('ERR_RATE_LIMIT', `more than ${this.options.maxInboundFramesPerSecond} frames per second`));
      return;
    }
    // Number(requestId) from the halves, without a BigInt (exact below 2^53; -1 marks a larger id).
    const key = idHigh < KEY_HIGH_LIMIT ? idHigh * TWO_32 + idLow : -1;
    if (this.ordered === null && (flags & (Flags.StreamRst | Flags.Push | Flags.Codec)) === 0 && key >= 0) {
      // An answer to one of our calls is found by number and carries the call's own BigInt: none is made per answer.
      const call = this.calls.getByKey(key);
      if (call !== undefined) {
        this.answer(call, new ReceivedFrame(call.requestId, flags, cmd, payload));
        return;
      }
    }
    const requestId = requestIdOf(idHigh, idLow);
    const exactKey = key >= 0 ? key : Number(requestId);
    if (this.ordered !== null) {
      this.chain(() => this.inbound(requestId, exactKey, flags, cmd, payload));
      return;
    }
    const pending = this.inbound(requestId, exactKey, flags, cmd, payload);
    if (pending !== undefined) this.chain(() => pending);
  }

  /** Starts counting inbound frames (the binding's maxInboundFramesPerSecond). */
  protected countInbound(): void {
    this.more().fps = new PerSecondCounter();
  }

  /**
   * Keeps frames in order behind an asynchronous decode. A failing step is
   * contained (logged, and the connection closed as a protocol error) so it
   * never skips the frames after it or leaves a rejection unhandled.
   */
  private chain(step: () => Promise<void> | void): void {
    const x = this.more();
    x.orderedCount++;
    const prev = x.ordered ?? RESOLVED;
    x.ordered = prev
      .then(step)
      .catch((err: unknown) => {
        this.logger.error({ err, remoteAddress: this.remoteAddress }, 'qrpc: processing an inbound frame failed');
        this.fail(err instanceof QrpcError ? err : new QrpcError('ERR_PROTOCOL', 'processing an inbound frame failed', { cause: err }));
      })
      .finally(() => {
        if (--x.orderedCount === 0) x.ordered = null;
      });
  }

  protected get logger() {
    return this.options.logger;
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  /** Decodes (Codec flag) then routes; returns a promise only when the codec is asynchronous. */
  private inbound(requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer): Promise<void> | void {
    if (this.isClosed) return;
    if ((flags & Flags.Codec) !== 0 && payload.length > 0) {
      const codec = this.options.codec;
      if (codec === null) {
        this.fail(new QrpcError('ERR_NO_CODEC', `frame ${requestId} has the Codec flag but this connection has no codec`));
        return;
      }
      let decoded;
      try {
        decoded = codec.decode(payload);
      } catch (err) {
        this.fail(new QrpcError('ERR_CODEC', `frame ${requestId} could not be decoded`, { cause: err }));
        return;
      }
      if (decoded instanceof Promise) {
        return decoded.then(
          (buf) => this.routeDecoded(requestId, key, flags, cmd, buf),
          (err) => this.fail(new QrpcError('ERR_CODEC', `frame ${requestId} could not be decoded`, { cause: err })),
        );
      }
      this.routeDecoded(requestId, key, flags, cmd, decoded);
      return;
    }
    this.route(requestId, key, flags, cmd, payload);
  }

  /** A codec's output must be bytes: anything else is the codec's failure (ERR_CODEC), not a crash later on. */
  private routeDecoded(requestId: bigint, key: number, flags: number, cmd: number, decoded: unknown): void {
    const payload = asBytes(decoded);
    if (payload === null) {
      this.fail(new QrpcError('ERR_CODEC', `codec.decode returned ${describeValue(decoded)} for frame ${requestId}, not a Buffer or Uint8Array`));
      return;
    }
    this.route(requestId, key, flags, cmd, payload);
  }

  private route(requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer): void {
    if (this.isClosed) return;
    if (flags & Flags.StreamRst) {
      if (key === 0) this.onNotice(cmd);
      else {
        this.options.metrics?.reset('in', cmd);
        this.onPeerReset(requestId, key, cmd);
      }
      return;
    }
    if (flags & Flags.Push) {
      this.onPushFrame(new ReceivedFrame(requestId, flags, cmd, payload));
      return;
    }
    const call = this.calls.get(requestId, key);
    if (call !== undefined) {
      this.answer(call, new ReceivedFrame(requestId, flags, cmd, payload));
      return;
    }
    const served = this.served.get(requestId, key);
    if (served !== undefined && !served.peerClosed) {
      served.pushContinuation(new ReceivedFrame(requestId, flags, cmd, payload), isDone(flags));
      this.release(served);
      return;
    }
    this.onNewRequest(requestId, key, flags, cmd, payload);
  }

  /** A frame of the answer to one of our calls; the call leaves the table once both halves are done. */
  private answer(call: Call, frame: Frame): void {
    if (call.deliver(frame)) this.releaseCall(call);
  }

  private onPeerReset(requestId: bigint, key: number, reason: number): void {
    const served = this.findServed(requestId, key);
    if (served !== undefined) {
      served.cancel(new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset by the peer`, { reason }));
      this.release(served);
      return;
    }
    // A request still queued behind a blocking handler is not tracked by id yet.
    const queued = this.queue?.find(requestId);
    if (queued !== undefined) {
      queued.cancel(new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset by the peer`, { reason }));
      return;
    }
    const call = this.calls.get(requestId, key);
    if (call !== undefined) {
      // Go's client leaves the caller waiting here; ours fails the pending answer.
      call.fail(new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset by the peer (reason ${reason})`, { reason }));
      this.untrack(call);
    }
  }

  private onPushFrame(frame: Frame): void {
    this.options.metrics?.push('in', 1);
    const onPush = this.options.onPush;
    if (onPush === null) {
      this.logger.debug({ cmd: frame.cmd, remoteAddress: this.remoteAddress }, 'qrpc: push without a subscriber dropped');
      return;
    }
    try {
      onPush(frame, this.publicConnection);
    } catch (err) {
      this.logger.error({ err, cmd: frame.cmd, remoteAddress: this.remoteAddress }, 'qrpc: push subscriber threw');
    }
  }

  private onNewRequest(requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer): void {
    if (this.options.role === 'client') {
      // Odd IDs are ours: a frame for one we no longer track is a late answer (after a reset or timeout).
      if ((requestId & 1n) === 1n) return;
      if (this.options.handler === null || !isNonBlock(flags)) {
        this.fail(new QrpcError('ERR_PROTOCOL', `unexpected request ${requestId} from the server (cmd ${cmd}, flags ${flags})`));
        return;
      }
    }
    const done = isDone(flags);
    const req = new RequestFrame(this as never, requestId, key, flags, cmd, payload, done);
    if (!done) {
      // A stream is tracked from its first frame so its continuation frames find it even while queued.
      if (this.findServed(requestId, key) !== undefined) {
        this.fail(new QrpcError('ERR_PROTOCOL', `request id ${requestId} reused while its stream is open`));
        return;
      }
      this.serve(req);
    }
    // Behind a running blocking handler (Go's order), or while our output is above the high-water mark: the
    // answers would only pile up, so the rest of this batch waits as requests (a few hundred bytes each) instead.
    if (this.blockingBusy || (this.queue !== null && this.queue.size > 0) || this.isPausedFor(PAUSE_OUTPUT)) {
      const queue = (this.queue ??= new RequestQueue());
      queue.push(req);
      if (queue.size > MAX_QUEUED_REQUESTS) this.pauseReading(PAUSE_BACKLOG, true);
      return;
    }
    this.dispatch(req);
  }

  /** Output went back below the high-water mark: requests held meanwhile are dispatched. */
  protected override outputDrained(): void {
    if (this.queue !== null && this.queue.size > 0) this.drainQueue();
  }

  private drainQueue(): void {
    const queue = this.queue;
    if (queue !== null) {
      while (!this.blockingBusy && !this.isClosed && !this.isPausedFor(PAUSE_OUTPUT)) {
        const req = queue.shift();
        if (req === undefined) break;
        this.dispatch(req);
      }
      if (queue.size <= MAX_QUEUED_REQUESTS / 2) this.pauseReading(PAUSE_BACKLOG, false);
    }
    this.checkIdle();
  }

  private dispatch(req: RequestFrame): void {
    const id = req.requestId;
    if (req.cancelled) return; // reset while it waited: the peer asked for no answer
    // A stream is tracked from its first frame; a one-frame request only if its handler does not finish at once (below).
    const held = this.served.get(id, req.key);
    if (held !== undefined && held !== req) {
      this.fail(new QrpcError('ERR_PROTOCOL', `request id ${id} reused while its previous request is still being served`));
      return;
    }
    const metrics = this.options.metrics;
    if (this.draining) {
      metrics?.request(req.cmd, 'shutdown', 0);
      this.answerWithReset(req, ResetReason.Shutdown);
      return;
    }
    const handler = this.options.handler?.lookup(req.cmd) ?? null;
    if (handler === null) {
      metrics?.request(req.cmd, 'unknown_cmd', 0);
      this.onUnknownCmd(req);
      return;
    }
    // Back to back synchronous handlers share a reading: the end of one is the start of the next.
    const started = metrics !== null ? stretchNow() : 0;
    const nonBlocking = isNonBlock(req.flags);
    if (nonBlocking) {
      if (this.options.maxInflightNonBlocking > 0 && this.inflightNonBlocking >= this.options.maxInflightNonBlocking) {
        this.fail(new QrpcError('ERR_TOO_MANY_INFLIGHT', `more than ${this.options.maxInflightNonBlocking} non-blocking requests in flight`));
        return;
      }
    } else {
      this.blockingBusy = true;
    }
    this.activeHandlers++;
    let result;
    const outer = setDispatching(req);
    try {
      result = handler(new FrameWriter(this as never, req), req);
    } catch (err) {
      setDispatching(outer);
      this.handlerDone(req, nonBlocking, err ?? new Error('handler threw'), started);
      return;
    }
    setDispatching(outer);
    // endWrite() returns this very promise when the answer was written at once: the handler is done now.
    if (result === RESOLVED) {
      this.handlerDone(req, nonBlocking, null, started);
    } else if (result !== undefined && result !== null && typeof (result as Promise<void>).then === 'function') {
      // Still running: from now on resets, late writes and closes find it by id.
      if (!req.selfClosed && held === undefined && !this.isClosed) this.serve(req);
      (result as Promise<void>).then(
        () => this.handlerDone(req, nonBlocking, null, started),
        (err) => this.handlerDone(req, nonBlocking, err ?? new Error('handler rejected'), started),
      );
    } else {
      this.handlerDone(req, nonBlocking, null, started);
    }
  }

  /** Every request gets an answer: a handler that ends without its final frame is answered with a reset. `started`: stretchNow() at dispatch, with metrics. */
  private handlerDone(req: RequestFrame, nonBlocking: boolean, error: unknown, started: number): void {
    const metrics = this.options.metrics;
    if (metrics !== null) {
      const outcome = error !== null ? 'error' : req.selfClosed && !req.cancelled ? 'ok' : 'reset';
      metrics.request(req.cmd, outcome, (freshNow() - started) / 1000);
    }
    this.activeHandlers--;
    if (!nonBlocking) this.blockingBusy = false;
    if (error !== null) {
      this.logger.error({ err: error, cmd: req.cmd, requestId: String(req.requestId), remoteAddress: this.remoteAddress }, 'qrpc: handler failed');
      this.options.hooks?.handlerFailed(this.publicConnection, error, req.cmd);
    }
    if (!req.selfClosed && !this.isClosing) this.answerWithReset(req, ResetReason.None);
    if (!nonBlocking) this.drainQueue();
    else this.checkIdle();
  }

  protected answerWithReset(req: RequestFrame, reason: number): void {
    req.cancel(new QrpcError('ERR_STREAM_RESET', `request ${req.requestId} was answered with a reset (reason ${reason})`, { reason }));
    this.release(req);
    void this.writeReset(req.requestId, reason);
  }

  private onUnknownCmd(req: RequestFrame): void {
    this.logger.warn({ cmd: req.cmd, requestId: String(req.requestId), remoteAddress: this.remoteAddress }, 'qrpc: no handler for cmd');
    this.options.hooks?.unknownCmd(this.publicConnection);
    if (this.options.unknownCmd === 'close') {
      this.fail(new QrpcError('ERR_UNKNOWN_CMD', `no handler for cmd ${req.cmd}`));
      return;
    }
    this.answerWithReset(req, ResetReason.UnknownCmd);
  }

  // ---------------------------------------------------------------- idle (for the graceful drain)

  /** Resolves when no handler runs and nothing waits in the queue. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return RESOLVED;
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  private isIdle(): boolean {
    return this.isClosed || (this.activeHandlers === 0 && (this.queue === null || this.queue.size === 0));
  }

  protected checkIdle(): void {
    const waiters = this.idleWaiters;
    if (waiters === null || !this.isIdle()) return;
    this.idleWaiters = null;
    for (const resolve of waiters) resolve();
  }
}
