// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import { assertCmd } from '../protocol/cmd.js';
import { QrpcError, ResetReason } from '../protocol/errors.js';
import { Flags, isDone, isNonBlock } from '../protocol/flags.js';
import { MAX_REQUEST_ID, requestIdOf, toPayload, type Frame, type PayloadInput } from '../protocol/frame.js';
import { WRITE_CLOSED, WRITE_QUEUED, type ConnectionHandler, type TransportConnection } from '../transport/types.js';
import { Call, NO_WAIT_OPTIONS, type CallOwner, type WaitOptions } from './call.js';
import type { Codec } from './codec.js';
import type { Logger } from './logger.js';
import type { HandlerSource } from './mux.js';
import { PerSecondCounter } from './rate.js';
import { RequestFrame } from './request.js';
import { RequestQueue } from './request-queue.js';
import { StreamTable } from './stream-table.js';
import { SessionState } from './session-state.js';
import { FrameWriter, StreamWriter, quietReject } from './writer.js';

export type Role = 'server' | 'client';

export interface SessionOptions {
  role: Role;
  /** Requests from the peer; on a client, only even-ID non-blocking requests are accepted, and only with a handler. */
  handler: HandlerSource | null;
  codec: Codec | null;
  logger: Logger;
  /** Push frames from the peer. */
  onPush: ((frame: Frame, session: Session) => void) | null;
  /** What a request for an unregistered cmd gets: a reset (default) or, as in Go, a closed connection. */
  unknownCmd: 'reset' | 'close';
  /** 0 = unlimited. Exceeded → the connection is closed (ERR_RATE_LIMIT). */
  maxInboundFramesPerSecond: number;
  /** 0 = unlimited. Exceeded → the connection is closed (ERR_TOO_MANY_INFLIGHT). */
  maxInflightNonBlocking: number;
  /** Push IDs: the server's counter; a client takes them from its request IDs, as Go does. */
  nextPushId: (() => bigint) | null;
}

const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY = Buffer.alloc(0);
/** Shared empty tables: a connection that never had a request holds none of its own (only read, never added to). */
const NO_CALLS = new StreamTable<Call>();
const NO_SERVED = new StreamTable<RequestFrame>();
/** The generator wraps after this ID (2^64 - 2, even or odd both fit below it). */
const LAST_ID = MAX_REQUEST_ID - 1n;
const MAX_SAFE_KEY = Number.MAX_SAFE_INTEGER - 2;
const TWO_32 = 2 ** 32;
/** idHigh below this: idHigh * 2^32 + idLow is exact (below 2^53). */
const KEY_HIGH_LIMIT = 0x200000;

/** The request whose handler is running (handlers run one at a time, synchronously up to their first await). */
let dispatching: RequestFrame | null = null;

function oneFrameOnly(): QrpcError {
  return new QrpcError('ERR_INVALID_ARG', 'request() sends one frame: use streamRequest() for streams and reset() for resets');
}
/** Requests waiting behind a blocking handler above which reading pauses. */
const MAX_QUEUED_REQUESTS = 1024;

export interface RequestHandle {
  requestId: bigint;
  response: Call;
}

/**
 * The protocol engine of one connection, used by both ends: request IDs,
 * per-ID stream state (self / peer halves), dispatch (blocking in order,
 * non-blocking at once), resets, pushes, codec and close. It sees frames and
 * a TransportConnection, never a socket.
 */
export class Session extends SessionState implements ConnectionHandler, CallOwner {
  readonly transport: TransportConnection;
  protected readonly options: SessionOptions;
  /** Requests we sent whose answer is not complete (the shared empty table until the first). */
  private calls: StreamTable<Call> = NO_CALLS;
  /** Requests the peer opened toward us whose stream is not fully closed (shared empty table until the first). */
  private served: StreamTable<RequestFrame> = NO_SERVED;
  private nextId: bigint;
  /** Number(nextId), advanced alongside it. */
  private nextKey: number;
  private inflightNonBlocking = 0;
  private activeHandlers = 0;

  constructor(transport: TransportConnection, options: SessionOptions) {
    super();
    this.transport = transport;
    this.options = options;
    this.nextId = this.firstId;
    this.nextKey = Number(this.nextId);
    if (options.maxInboundFramesPerSecond > 0) this.more().fps = new PerSecondCounter();
  }

  get role(): Role {
    return this.options.role;
  }

  protected get logger(): Logger {
    return this.options.logger;
  }

  /** Go: a client's IDs are 2n+1 from n = 1 (first 3), a server's are 2n (first 2). */
  private get firstId(): bigint {
    return this.options.role === 'client' ? 3n : 2n;
  }

  /** Settles once the connection is closed and every close callback ran. */
  get closed(): Promise<void> {
    if (this.closedPromise === null) {
      this.closedPromise = this.isClosed ? RESOLVED : new Promise<void>((resolve) => this.onClose(() => resolve()));
    }
    return this.closedPromise;
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress;
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

  // ---------------------------------------------------------------- outgoing

  /** Takes the next free ID (its number key, nextKey, is advanced alongside so the tables never convert it). */
  private allocId(): bigint {
    const id = this.nextId;
    const key = this.nextKey;
    if (id >= LAST_ID) {
      this.nextId = this.firstId;
      this.nextKey = Number(this.nextId);
    } else {
      this.nextId = id + 2n;
      this.nextKey = key < MAX_SAFE_KEY ? key + 2 : Number(this.nextId);
    }
    if (this.calls.has(id, key) || this.findServed(id, key) !== undefined) {
      throw new QrpcError('ERR_ID_COLLISION', `request id ${id} is still in use on this connection`);
    }
    return id;
  }

  private newCall(): Call {
    const key = this.nextKey;
    return new Call(this, this.allocId(), key);
  }

  private assertOpen(): void {
    if (this.isClosed) throw new QrpcError('ERR_CONN_CLOSED', 'the connection is closed', { cause: this.closeError ?? undefined });
  }

  /**
   * Sends one request frame. With the Push flag nothing is awaited and
   * `response` is null. Throws ERR_CONN_CLOSED, ERR_INVALID_CMD, ERR_ID_COLLISION.
   */
  request(cmd: number, flags: number = 0, payload?: PayloadInput): { requestId: bigint; response: Call | null } {
    if (flags & Flags.Push) {
      assertCmd(cmd);
      this.assertOpen();
      if (flags & (Flags.Stream | Flags.StreamEnd | Flags.StreamRst)) throw oneFrameOnly();
      return { requestId: this.sendPush(cmd, payload, flags), response: null };
    }
    const call = this.openCall(cmd, flags, payload);
    return { requestId: call.requestId, response: call };
  }

  /** Sends a request's only frame (no Push flag) and returns its Call. Throws like request(). */
  private openCall(cmd: number, flags: number, payload: PayloadInput): Call {
    assertCmd(cmd);
    this.assertOpen();
    if (flags & (Flags.Stream | Flags.StreamEnd | Flags.StreamRst)) throw oneFrameOnly();
    const call = this.newCall();
    this.track(call);
    this.sendOpening(call, flags, cmd, payload);
    return call;
  }

  private track(call: Call): void {
    if (this.calls === NO_CALLS) this.calls = new StreamTable();
    this.calls.add(call);
  }

  private untrack(call: Call): void {
    // The table stays (a client making one call after another would make one per call); emptied, it holds no ring.
    this.calls.remove(call);
  }

  /**
   * The request being served under this id, including a one-frame request
   * whose handler is running right now (those are tracked only once their
   * handler returns unfinished, which spares the common synchronous answer a
   * table entry).
   */
  private findServed(requestId: bigint, key: number): RequestFrame | undefined {
    const r = this.served.get(requestId, key);
    if (r !== undefined) return r;
    const d = dispatching;
    return d !== null && d.connection === this && d.key === key && d.requestId === requestId ? d : undefined;
  }

  private serve(req: RequestFrame): void {
    if (this.served === NO_SERVED) this.served = new StreamTable();
    this.served.add(req);
  }

  /** Sends a request's first frame; if it cannot be sent (codec error, closed), the caller's wait fails with that error. */
  private sendOpening(call: Call, flags: number, cmd: number, payload: PayloadInput): void {
    const buf = toPayload(payload);
    let sent: Promise<void>;
    if ((flags & Flags.Codec) === 0) {
      // A fresh call on an open connection: nothing to look up or encode.
      if (isDone(flags)) call.selfClosed = true;
      sent = this.write(call.requestId, flags, cmd, buf);
    } else {
      sent = this.sendFrame(call.requestId, flags, cmd, buf, false, call);
    }
    if (sent === RESOLVED) return;
    sent.catch((err: QrpcError) => {
      this.untrack(call);
      call.selfClosed = true;
      call.fail(err);
    });
  }

  /** Non-blocking request, resolved with the answer's first frame. */
  call(cmd: number, payload?: PayloadInput, options: WaitOptions & { flags?: number } = NO_WAIT_OPTIONS): Promise<Frame> {
    const flags = (options.flags ?? 0) | Flags.NB;
    if (flags & Flags.Push) return quietReject(new QrpcError('ERR_INVALID_ARG', 'call() waits for an answer; a push has none: use push()'));
    let call: Call;
    try {
      call = this.openCall(cmd, flags, payload);
    } catch (err) {
      return quietReject(err);
    }
    return call.frame(options);
  }

  /** Opens a streamed request: the first frame carries `payload`; the writer sends the rest. */
  streamRequest(cmd: number, flags: number = 0, payload?: PayloadInput): { requestId: bigint; writer: StreamWriter; response: Call } {
    assertCmd(cmd);
    this.assertOpen();
    const call = this.newCall();
    this.track(call);
    const base = flags & (Flags.NB | Flags.Codec);
    this.sendOpening(call, base | Flags.Stream, cmd, payload);
    return { requestId: call.requestId, writer: new StreamWriter(this, call, cmd, base), response: call };
  }

  /** Sends a push (no answer, no stream state). Returns the push's ID. */
  push(cmd: number, payload?: PayloadInput, flags: number = 0): bigint {
    assertCmd(cmd);
    this.assertOpen();
    return this.sendPush(cmd, payload, flags);
  }

  private sendPush(cmd: number, payload: PayloadInput, flags: number): bigint {
    const id = this.options.nextPushId ? this.options.nextPushId() : this.allocId();
    void this.sendFrame(id, (flags & Flags.Codec) | Flags.Push, cmd, toPayload(payload), false, null);
    return id;
  }

  /**
   * Sends a reset for `requestId` (reason in cmd) and closes both halves
   * locally. Not sent when the ID has no open half.
   */
  reset(requestId: bigint, reason: number = ResetReason.None): Promise<void> {
    if (this.isClosed) return quietReject(new QrpcError('ERR_CONN_CLOSED', 'the connection is closed'));
    const served = this.findServed(requestId, Number(requestId));
    if (served !== undefined) {
      const wasOpen = !served.selfClosed || !served.peerClosed;
      served.selfClosed = true;
      served.cancel(new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset locally`, { reason }));
      this.release(served);
      return wasOpen ? this.writeReset(requestId, reason) : RESOLVED;
    }
    const call = this.calls.get(requestId);
    if (call !== undefined) {
      this.abortCall(call, new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset locally`, { reason }), reason);
    }
    return RESOLVED;
  }

  /** The caller gave up on `call`: tell the peer (reset) and fail the caller's wait. */
  abortCall(call: Call, error: QrpcError, reason: number = ResetReason.None): void {
    if (!(call.selfClosed && call.peerClosed) && !this.isClosed) void this.writeReset(call.requestId, reason);
    call.selfClosed = true;
    call.fail(error);
    this.untrack(call);
  }

  private writeReset(requestId: bigint, reason: number): Promise<void> {
    return this.write(requestId, Flags.StreamRst, reason & 0xffffff, EMPTY);
  }

  /**
   * Writes one frame with stream-state checks. `state` is the ID's record when
   * the caller has it (a handler's request, a stream writer's call); otherwise
   * the ID is looked up. Writing on a self-closed half sends nothing and
   * rejects with ERR_WRITE_AFTER_CLOSE.
   */
  sendFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer, preEncoded: boolean, state: RequestFrame | Call | null): Promise<void> {
    if (this.isClosed) return quietReject(new QrpcError('ERR_CONN_CLOSED', 'the connection is closed', { cause: this.closeError ?? undefined }));
    if (flags & Flags.StreamRst) return this.reset(requestId, cmd);
    if ((flags & Flags.Push) === 0) {
      if (state === null || state.requestId !== requestId) state = this.findServed(requestId, Number(requestId)) ?? this.calls.get(requestId) ?? null;
      if (state !== null) {
        if (state.selfClosed) {
          return quietReject(new QrpcError('ERR_WRITE_AFTER_CLOSE', `request ${requestId}: this side already sent its final frame or a reset`));
        }
        if (isDone(flags)) {
          state.selfClosed = true;
          if (state instanceof RequestFrame) this.release(state);
          else if (state.peerClosed) this.untrack(state);
        }
      }
    }
    if (flags & Flags.Codec) {
      if (payload.length === 0) {
        flags &= ~Flags.Codec;
      } else if (!preEncoded) {
        const codec = this.options.codec;
        if (codec === null) return quietReject(new QrpcError('ERR_NO_CODEC', 'the Codec flag needs a codec on this connection'));
        let encoded;
        try {
          encoded = codec.encode(payload);
        } catch (err) {
          return quietReject(new QrpcError('ERR_CODEC', 'codec.encode failed', { cause: err }));
        }
        if (encoded instanceof Promise) {
          return encoded.then(
            (buf) => this.writeEncoded(requestId, flags, cmd, payload, buf),
            (err) => Promise.reject(new QrpcError('ERR_CODEC', 'codec.encode failed', { cause: err })),
          );
        }
        return this.writeEncoded(requestId, flags, cmd, payload, encoded);
      }
    }
    return this.write(requestId, flags, cmd, payload);
  }

  /** Go's rule: when encoding makes the payload larger, send it plain and clear the flag. */
  private writeEncoded(requestId: bigint, flags: number, cmd: number, plain: Buffer, encoded: Buffer): Promise<void> {
    if (encoded.length > plain.length) return this.write(requestId, flags & ~Flags.Codec, cmd, plain);
    return this.write(requestId, flags, cmd, encoded);
  }

  private write(requestId: bigint, flags: number, cmd: number, payload: Buffer): Promise<void> {
    if (this.isClosed) return quietReject(new QrpcError('ERR_CONN_CLOSED', 'the connection is closed'));
    const result = this.transport.writeFrame(requestId, flags, cmd, payload);
    if (result === WRITE_QUEUED) return RESOLVED;
    if (result === WRITE_CLOSED) return quietReject(new QrpcError('ERR_CONN_CLOSED', 'the connection is closing: nothing more is sent', { cause: this.closeError ?? undefined }));
    return this.whenDrained();
  }

  /** Resolves once queued output is below the high-water mark again. */
  whenDrained(): Promise<void> {
    if (!this.transport.needDrain) return RESOLVED;
    if (this.drainWait === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => {});
      this.drainWait = { promise, resolve, reject };
    }
    return this.drainWait.promise;
  }

  // ---------------------------------------------------------------- incoming

  onFrame(idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer): void {
    // transport.closed: frames after a close decided earlier in the same chunk are not acted on.
    if (this.isClosed || this.transport.closed) return;
    if (this.fps !== null && this.fps.add(1, Date.now()) > this.options.maxInboundFramesPerSecond) {
      this.fail(new QrpcError('ERR_RATE_LIMIT', `more than ${this.options.maxInboundFramesPerSecond} frames per second`));
      return;
    }
    // Number(requestId) from the halves, without a BigInt (exact below 2^53; -1 marks a larger id).
    const key = idHigh < KEY_HIGH_LIMIT ? idHigh * TWO_32 + idLow : -1;
    if (this.ordered === null && (flags & (Flags.StreamRst | Flags.Push | Flags.Codec)) === 0 && key >= 0) {
      // An answer to one of our calls is found by number and carries the call's own BigInt: none is made per answer.
      const call = this.calls.getByKey(key);
      if (call !== undefined) {
        this.answer(call, { requestId: call.requestId, flags, cmd, payload });
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

  /** Keeps frames in order behind an asynchronous decode. */
  private chain(step: () => Promise<void> | void): void {
    this.orderedCount++;
    const prev = this.ordered ?? RESOLVED;
    this.ordered = prev.then(step).finally(() => {
      if (--this.orderedCount === 0) this.ordered = null;
    });
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
          (buf) => this.route(requestId, key, flags, cmd, buf),
          (err) => this.fail(new QrpcError('ERR_CODEC', `frame ${requestId} could not be decoded`, { cause: err })),
        );
      }
      payload = decoded;
    }
    this.route(requestId, key, flags, cmd, payload);
  }

  private route(requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer): void {
    if (this.isClosed) return;
    if (flags & Flags.StreamRst) {
      this.onPeerReset(requestId, key, cmd);
      return;
    }
    if (flags & Flags.Push) {
      this.onPushFrame({ requestId, flags, cmd, payload });
      return;
    }
    const call = this.calls.get(requestId, key);
    if (call !== undefined) {
      this.answer(call, { requestId, flags, cmd, payload });
      return;
    }
    const served = this.served.get(requestId, key);
    if (served !== undefined && !served.peerClosed) {
      const done = isDone(flags);
      served.pushContinuation({ requestId, flags, cmd, payload }, done);
      if (done) this.release(served);
      return;
    }
    this.onNewRequest(requestId, key, flags, cmd, payload);
  }

  /** A frame of the answer to one of our calls; the call leaves the table once both halves are done. */
  private answer(call: Call, frame: Frame): void {
    if (call.deliver(frame) && call.selfClosed) this.untrack(call);
  }

  private onPeerReset(requestId: bigint, key: number, reason: number): void {
    const served = this.findServed(requestId, key);
    if (served !== undefined) {
      served.selfClosed = true;
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
      call.selfClosed = true;
      call.fail(new QrpcError('ERR_STREAM_RESET', `request ${requestId} was reset by the peer (reason ${reason})`, { reason }));
      this.untrack(call);
    }
  }

  protected onPushFrame(frame: Frame): void {
    const onPush = this.options.onPush;
    if (onPush === null) {
      this.logger.debug({ cmd: frame.cmd, remoteAddress: this.remoteAddress }, 'qrpc: push without a subscriber dropped');
      return;
    }
    try {
      onPush(frame, this);
    } catch (err) {
      this.logger.error({ err, cmd: frame.cmd, remoteAddress: this.remoteAddress }, 'qrpc: push subscriber threw');
    }
  }

  private onNewRequest(requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer): void {
    if (this.role === 'client') {
      // Odd IDs are ours: a frame for one we no longer track is a late answer (after a reset or timeout).
      if ((requestId & 1n) === 1n) return;
      if (this.options.handler === null || !isNonBlock(flags)) {
        this.fail(new QrpcError('ERR_PROTOCOL', `unexpected request ${requestId} from the server (cmd ${cmd}, flags ${flags})`));
        return;
      }
    }
    const done = isDone(flags);
    const req = new RequestFrame(this, requestId, key, flags, cmd, payload, done);
    if (!done) {
      // A stream is tracked from its first frame so its continuation frames find it even while queued.
      if (this.findServed(requestId, key) !== undefined) {
        this.fail(new QrpcError('ERR_PROTOCOL', `request id ${requestId} reused while its stream is open`));
        return;
      }
      this.serve(req);
    }
    if (this.blockingBusy || (this.queue !== null && this.queue.size > 0)) {
      const queue = (this.queue ??= new RequestQueue());
      queue.push(req);
      if (queue.size > MAX_QUEUED_REQUESTS && !this.pausedForBacklog) {
        this.pausedForBacklog = true;
        this.transport.pause();
      }
      return;
    }
    this.dispatch(req);
  }

  private drainQueue(): void {
    const queue = this.queue;
    if (queue !== null) {
      while (!this.blockingBusy && !this.isClosed) {
        const req = queue.shift();
        if (req === undefined) break;
        this.dispatch(req);
      }
    }
    if (queue === null || queue.size === 0) {
      if (this.pausedForBacklog) {
        this.pausedForBacklog = false;
        this.transport.resume();
      }
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
    if (this.draining) {
      this.answerWithReset(req, ResetReason.Shutdown);
      return;
    }
    const handler = this.options.handler?.lookup(req.cmd) ?? null;
    if (handler === null) {
      this.onUnknownCmd(req);
      return;
    }
    const nonBlocking = isNonBlock(req.flags);
    if (nonBlocking) {
      if (this.options.maxInflightNonBlocking > 0 && this.inflightNonBlocking >= this.options.maxInflightNonBlocking) {
        this.fail(new QrpcError('ERR_TOO_MANY_INFLIGHT', `more than ${this.options.maxInflightNonBlocking} non-blocking requests in flight`));
        return;
      }
      this.inflightNonBlocking++;
    } else {
      this.blockingBusy = true;
    }
    this.activeHandlers++;
    let result;
    const outer = dispatching;
    dispatching = req;
    try {
      result = handler(new FrameWriter(this, req), req);
    } catch (err) {
      dispatching = outer;
      this.handlerDone(req, nonBlocking, err ?? new Error('handler threw'));
      return;
    }
    dispatching = outer;
    // endWrite() returns this very promise when the answer was written at once: the handler is done now.
    if (result === RESOLVED) {
      this.handlerDone(req, nonBlocking, null);
    } else if (result !== undefined && result !== null && typeof (result as Promise<void>).then === 'function') {
      // Still running: from now on resets, late writes and closes find it by id.
      if (!req.selfClosed && held === undefined && !this.isClosed) this.serve(req);
      (result as Promise<void>).then(
        () => this.handlerDone(req, nonBlocking, null),
        (err) => this.handlerDone(req, nonBlocking, err ?? new Error('handler rejected')),
      );
    } else {
      this.handlerDone(req, nonBlocking, null);
    }
  }

  /** Every request gets an answer: a handler that ends without its final frame is answered with a reset. */
  private handlerDone(req: RequestFrame, nonBlocking: boolean, error: unknown): void {
    this.activeHandlers--;
    if (nonBlocking) this.inflightNonBlocking--;
    else this.blockingBusy = false;
    if (error !== null) {
      this.logger.error({ err: error, cmd: req.cmd, requestId: String(req.requestId), remoteAddress: this.remoteAddress }, 'qrpc: handler failed');
    }
    if (!req.selfClosed && !this.isClosed) this.answerWithReset(req, ResetReason.None);
    if (!nonBlocking) this.drainQueue();
    else this.checkIdle();
  }

  private answerWithReset(req: RequestFrame, reason: number): void {
    req.selfClosed = true;
    this.release(req);
    void this.writeReset(req.requestId, reason);
  }

  protected onUnknownCmd(req: RequestFrame): void {
    this.logger.warn({ cmd: req.cmd, requestId: String(req.requestId), remoteAddress: this.remoteAddress }, 'qrpc: no handler for cmd');
    this.countUnknownCmd();
    if (this.options.unknownCmd === 'close') {
      this.fail(new QrpcError('ERR_UNKNOWN_CMD', `no handler for cmd ${req.cmd}`));
      return;
    }
    this.answerWithReset(req, ResetReason.UnknownCmd);
  }

  /** Hook for the server's counters. */
  protected countUnknownCmd(): void {}

  private release(req: RequestFrame): void {
    if (req.selfClosed && req.peerClosed) {
      this.served.remove(req);
      if (this.served.size === 0) this.served = NO_SERVED;
    }
  }

  // ---------------------------------------------------------------- life

  onDrain(): void {
    const wait = this.drainWait;
    if (wait !== null && !this.transport.needDrain) {
      this.drainWait = null;
      wait.resolve();
    }
  }

  /** Runs once when the connection closes (at once if it already has). */
  onClose(fn: (error: QrpcError | null) => void): void;
  /** @internal transport event */
  onClose(error: QrpcError | null): void;
  onClose(arg: ((error: QrpcError | null) => void) | QrpcError | null): void {
    if (typeof arg === 'function') {
      if (this.isClosed) queueMicrotask(() => arg(this.closeError));
      else (this.closeCallbacks ??= []).push(arg);
      return;
    }
    this.closedByTransport(arg);
  }

  private closedByTransport(error: QrpcError | null): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (error !== null && this.closeError === null) {
      // Closes the transport decided (bad frames, timeouts, socket errors); fail() logs the session's own.
      const quiet = error.code === 'ERR_READ_TIMEOUT' || error.code === 'ERR_SOCKET';
      this.logger[quiet ? 'debug' : 'warn']({ code: error.code, err: error, remoteAddress: this.remoteAddress }, 'qrpc: connection closed');
    }
    this.closeError ??= error;
    const closedError = new QrpcError('ERR_CONN_CLOSED', this.closeError ? `connection closed: ${this.closeError.message}` : 'connection closed', {
      cause: this.closeError ?? undefined,
    });
    for (const call of this.calls.values()) call.fail(closedError);
    this.calls.clear();
    for (const req of this.served.values()) req.cancel(closedError);
    this.served.clear();
    if (dispatching !== null && dispatching.connection === this) dispatching.cancel(closedError);
    this.queue?.cancelAll(closedError);
    if (this.drainWait !== null) {
      this.drainWait.reject(closedError);
      this.drainWait = null;
    }
    this.closedHook(this.closeError);
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

  /** Runs first when the connection closes (the server untracks its connection here). */
  protected closedHook(_error: QrpcError | null): void {}

  /** Closes after flushing what is queued; `reason` becomes the close reason seen by onClose callbacks. */
  close(reason?: QrpcError): void {
    if (this.isClosed) return;
    if (reason !== undefined) this.closeError ??= reason;
    this.transport.end();
  }

  /** Closes now with a reason (protocol errors, limits, kicks). */
  fail(error: QrpcError): void {
    if (this.isClosed) return;
    this.logger.warn({ code: error.code, err: error, remoteAddress: this.remoteAddress }, 'qrpc: closing connection');
    this.closeError = error;
    this.transport.destroy(error);
  }

  // ---------------------------------------------------------------- shutdown

  /** Graceful drain: requests that arrive from now on are answered with a Shutdown reset. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Resolves when no handler runs and nothing waits in the queue. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return RESOLVED;
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  private isIdle(): boolean {
    return this.isClosed || (this.activeHandlers === 0 && (this.queue === null || this.queue.size === 0));
  }

  private checkIdle(): void {
    const waiters = this.idleWaiters;
    if (waiters === null || !this.isIdle()) return;
    this.idleWaiters = null;
    for (const resolve of waiters) resolve();
  }

  /** Deadline passed: reset every request still being served, then close. */
  resetServedAndClose(reason: number): void {
    if (this.isClosed) return;
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
    this.close();
  }
}
