import type { Frame } from '../protocol/frame.js';
import { isDone } from '../protocol/flags.js';
import { QrpcError } from '../protocol/errors.js';
import { FrameQueue } from './frame-queue.js';

// One shared executor instead of a closure per call (Promise.withResolvers arrives after Node 20).
let capturedResolve: ((f: Frame) => void) | null = null;
let capturedReject: ((e: Error) => void) | null = null;
function captureResolvers(resolve: (f: Frame) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Shared default for calls without options (no object per call). */
export const NO_WAIT_OPTIONS: Readonly<WaitOptions & { flags?: number }> = Object.freeze({});

/** The connection a call belongs to: it sends the reset when the caller gives up. */
export interface CallOwner {
  abortCall(call: Call, error: QrpcError): void;
}

function abortedError(signal: AbortSignal): QrpcError {
  return new QrpcError('ERR_ABORTED', 'the request was aborted', { cause: signal.reason });
}

/**
 * A request this side sent, from the first frame to the peer's done frame.
 * Holds both halves of the ID's stream state and the caller's view of the answer.
 */
export class Call {
  readonly requestId: bigint;
  /** Number(requestId), for the stream table. */
  readonly key: number;
  /** We sent our done frame (or a reset). */
  selfClosed = false;
  /** The peer sent its done frame (or a reset), or the connection closed. */
  peerClosed = false;
  private first: Frame | null = null;
  private error: QrpcError | null = null;
  private resolveFirst: ((f: Frame) => void) | null = null;
  private rejectFirst: ((e: Error) => void) | null = null;
  private promise: Promise<Frame> | null = null;
  /** Frames after the first of a streamed answer; created when the first frame says more will come. */
  private rest: FrameQueue | null = null;
  /** Runs when the caller's wait ends (timers, abort listeners). */
  private cleanup: (() => void) | null = null;
  private readonly owner: CallOwner;

  constructor(owner: CallOwner, requestId: bigint, key: number) {
    this.owner = owner;
    this.requestId = requestId;
    this.key = key;
  }

  /**
   * The first frame of the answer. With `signal` or `timeoutMs`, giving up
   * fails it with ERR_ABORTED / ERR_TIMEOUT and sends the peer a reset so
   * its handler is cancelled too.
   */
  frame(options: WaitOptions = NO_WAIT_OPTIONS): Promise<Frame> {
    const { signal, timeoutMs } = options;
    if (this.first === null && this.error === null && (signal || timeoutMs)) this.watch(signal, timeoutMs);
    return this.firstFrame();
  }

  private watch(signal: AbortSignal | undefined, timeoutMs: number | undefined): void {
    if (signal?.aborted) {
      this.owner.abortCall(this, abortedError(signal));
      return;
    }
    const onAbort = () => this.owner.abortCall(this, abortedError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs
      ? setTimeout(() => this.owner.abortCall(this, new QrpcError('ERR_TIMEOUT', `no answer to request ${this.requestId} within ${timeoutMs} ms`)), timeoutMs)
      : null;
    const previous = this.cleanup;
    this.cleanup = () => {
      previous?.();
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /** Delivers one frame of the answer; returns true once the peer's half is done. */
  deliver(frame: Frame): boolean {
    const done = isDone(frame.flags);
    if (this.first === null) {
      this.first = frame;
      if (!done) this.rest = new FrameQueue();
      this.runCleanup();
      const resolve = this.resolveFirst;
      if (resolve !== null) {
        this.resolveFirst = this.rejectFirst = null;
        resolve(frame);
      }
    } else {
      this.rest?.push(frame);
    }
    if (done) {
      this.peerClosed = true;
      this.rest?.end();
    }
    return done;
  }

  /** Fails whatever the caller still waits for (reset, close, timeout, abort). */
  fail(error: QrpcError): void {
    this.peerClosed = true;
    if (this.first === null) {
      if (this.error !== null) return;
      this.error = error;
      this.runCleanup();
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

  /** Every frame of the answer in order, the first included; ends after the done frame. */
  async *frames(options: WaitOptions = {}): AsyncGenerator<Frame> {
    const first = await this.frame(options);
    yield first;
    if (this.rest !== null) yield* this.rest;
  }
}
