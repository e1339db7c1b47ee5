import type { Frame } from '../protocol/frame.js';
import { isDone } from '../protocol/flags.js';
import { QrpcError } from '../protocol/errors.js';
import { FrameQueue, type QueuePressure } from './frame-queue.js';
import { PEER_CLOSED, SELF_CLOSED, RECEIVE, RECEIVE_DONE, RESET, step } from './stream-state.js';

// One shared executor instead of a closure per call (Promise.withResolvers arrives after Node 20).
let capturedResolve: ((f: Frame) => void) | null = null;
let capturedReject: ((e: Error) => void) | null = null;
function captureResolvers(resolve: (f: Frame) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export interface WaitOptions {
  /** Aborting fails the call with ERR_ABORTED and resets the request on the wire (the peer's handler is cancelled). */
  signal?: AbortSignal;
  /** The whole answer (every frame of a streamed one) must arrive within this; else ERR_TIMEOUT and a reset. */
  timeoutMs?: number;
}

/** Shared default for calls without options (no object per call). */
export const NO_WAIT_OPTIONS: Readonly<WaitOptions & { flags?: number }> = Object.freeze({});

/** The connection a call belongs to: it sends the reset when the caller gives up, and bounds buffered answers. */
export interface CallOwner extends QueuePressure {
  abortCall(call: Call, error: QrpcError): void;
  /** The client's request metric: the call's first answer frame arrived ('ok') or it failed (the error's code). */
  callSettled(call: Call, outcome: string): void;
  /** Bytes of a streamed answer buffered unread before the connection stops reading. */
  readonly queueLimit: number;
}

export function abortedError(signal: AbortSignal): QrpcError {
  return new QrpcError('ERR_ABORTED', 'the request was aborted', { cause: signal.reason });
}

/**
 * A request this side sent, from the first frame to the peer's done frame
 * (exported as the type `Response`). Holds the ID's stream state and the
 * caller's view of the answer: the first frame as a promise, the rest as an
 * async sequence.
 */
export class Call {
  readonly requestId: bigint;
  /** @internal Number(requestId), for the stream table. */
  readonly key: number;
  /** @internal stream-state.ts bits; changed only through step(). */
  state = 0;
  private first: Frame | null = null;
  private error: QrpcError | null = null;
  private resolveFirst: ((f: Frame) => void) | null = null;
  private rejectFirst: ((e: Error) => void) | null = null;
  private promise: Promise<Frame> | null = null;
  /** Frames after the first of a streamed answer; created when the first frame says more will come. */
  private rest: FrameQueue | null = null;
  /** Runs when the whole answer is in, or failed (timers, abort listeners). */
  private cleanup: (() => void) | null = null;
  private readonly owner: CallOwner;
  /**
   * @internal Set when the client's metrics measure this call: its cmd and when it was sent; null = not
   * measured. Null rather than -1 keeps the field tagged: a double-typed field would box a number on
   * every Call, measured or not.
   */
  measuredCmd = 0;
  measuredSince: number | null = null;

  /** @internal this side sent its done frame or a reset */
  get selfClosed(): boolean {
    return (this.state & SELF_CLOSED) !== 0;
  }

  /** @internal the peer's done frame or a reset arrived, or the connection closed */
  get peerClosed(): boolean {
    return (this.state & PEER_CLOSED) !== 0;
  }

  /** @internal */
  constructor(owner: CallOwner, requestId: bigint, key: number) {
    this.owner = owner;
    this.requestId = requestId;
    this.key = key;
  }

  /**
   * The first frame of the answer. With `signal` or `timeoutMs`, giving up
   * (before the whole answer is in) fails it with ERR_ABORTED / ERR_TIMEOUT
   * and sends the peer a reset so its handler is cancelled too.
   */
  frame(options: WaitOptions = NO_WAIT_OPTIONS): Promise<Frame> {
    if (options.signal !== undefined || options.timeoutMs) this.watch(options.signal, options.timeoutMs);
    return this.firstFrame();
  }

  /** @internal Starts watching a signal / deadline for the rest of the answer. */
  watch(signal: AbortSignal | undefined, timeoutMs: number | undefined): void {
    if (this.state & PEER_CLOSED) return;
    if (signal?.aborted) {
      this.owner.abortCall(this, abortedError(signal));
      return;
    }
    const onAbort = () => this.owner.abortCall(this, abortedError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs
      ? setTimeout(() => this.owner.abortCall(this, new QrpcError('ERR_TIMEOUT', `no complete answer to request ${this.requestId} within ${timeoutMs} ms`)), timeoutMs)
      : null;
    const previous = this.cleanup;
    this.cleanup = () => {
      previous?.();
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /** @internal Delivers one frame of the answer; returns true once the peer's half is done. */
  deliver(frame: Frame): boolean {
    const done = isDone(frame.flags);
    const next = step(this.state, done ? RECEIVE_DONE : RECEIVE);
    if (next < 0) return true; // after the peer's done frame: nothing more belongs to this answer
    this.state = next;
    if (this.first === null) {
      this.first = frame;
      if (this.measuredSince !== null) this.owner.callSettled(this, 'ok');
      if (!done) this.rest = new FrameQueue(this.owner.queueLimit, this.owner);
      const resolve = this.resolveFirst;
      if (resolve !== null) {
        this.resolveFirst = this.rejectFirst = null;
        resolve(frame);
      }
    } else {
      this.rest?.push(frame);
    }
    if (done) {
      this.runCleanup();
      this.rest?.end();
    }
    return done;
  }

  /** @internal Fails whatever the caller still waits for (reset, close, timeout, abort): both halves end. */
  fail(error: QrpcError): void {
    this.state = step(this.state, RESET);
    this.runCleanup();
    if (this.first === null) {
      if (this.error !== null) return;
      this.error = error;
      if (this.measuredSince !== null) this.owner.callSettled(this, error.code);
      const reject = this.rejectFirst;
      if (reject !== null) {
        this.resolveFirst = this.rejectFirst = null;
        reject(error);
      }
    } else {
      this.rest?.fail(error);
    }
  }

  private runCleanup(): void {
    const cleanup = this.cleanup;
    if (cleanup !== null) {
      this.cleanup = null;
      cleanup();
    }
  }

  private firstFrame(): Promise<Frame> {
    if (this.promise !== null) return this.promise;
    if (this.first !== null) this.promise = Promise.resolve(this.first);
    else if (this.error !== null) this.promise = Promise.reject(this.error);
    else {
      this.promise = new Promise<Frame>(captureResolvers);
      this.resolveFirst = capturedResolve;
      this.rejectFirst = capturedReject;
    }
    return this.promise;
  }

  /**
   * Every frame of the answer in order, the first included; ends after the
   * done frame. Leaving the loop early (break, throw) resets the request
   * and stops tracking it.
   */
  async *frames(options: WaitOptions = NO_WAIT_OPTIONS): AsyncGenerator<Frame> {
    let complete = false;
    try {
      yield await this.frame(options);
      if (this.rest !== null) yield* this.rest;
      complete = true;
    } finally {
      if (!complete && !(this.state & PEER_CLOSED)) {
        this.owner.abortCall(this, new QrpcError('ERR_ABORTED', `the caller stopped reading the answer to request ${this.requestId}`));
      }
    }
  }
}
