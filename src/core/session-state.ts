import type { QrpcError } from '../protocol/errors.js';
import type { PerSecondCounter } from './rate.js';
import type { RequestQueue } from './request-queue.js';

// SessionState.bits
const S_CLOSED = 1;
const S_BLOCKING_BUSY = 2;
const S_DRAINING = 4;
/** close() was called: the transport flushes and closes; nothing new is written. */
const S_CLOSING = 8;
/** Why reading is paused (any bit set = paused; the transport is told on the first and the last). */
export const PAUSE_BACKLOG = 16;
export const PAUSE_OUTPUT = 32;
export const PAUSE_THROTTLE = 64;
export const PAUSE_STREAMS = 128;
const PAUSE_ANY = PAUSE_BACKLOG | PAUSE_OUTPUT | PAUSE_THROTTLE | PAUSE_STREAMS;

export type DrainWait = { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };

/** The rarely used part of a session (blocking queue, codec ordering, close waiters, rate counter). */
class SessionExtras {
  /** New requests waiting behind a blocking handler. */
  queue: RequestQueue | null = null;
  idleWaiters: Array<() => void> | null = null;
  fps: PerSecondCounter | null = null;
  /** Set while an asynchronous decode is in progress: later frames wait their turn. */
  ordered: Promise<void> | null = null;
  orderedCount = 0;
  /** Set while an asynchronous encode is in progress: later writes wait their turn. */
  outChain: Promise<void> | null = null;
  outCount = 0;
  /** Frame queues of streams holding more unread frames than their bound. */
  pressured = 0;
  drainWait: DrainWait | null = null;
  closeCallbacks: Array<(error: QrpcError | null) => void> | null = null;
  closeError: QrpcError | null = null;
  closedPromise: Promise<void> | null = null;
  /** Destroys a closing connection whose output the peer never takes (close() must not hang forever). */
  lingerTimer: NodeJS.Timeout | null = null;
}

/**
 * The per-connection state of a Session, laid out for idle connections: every
 * field costs 8 bytes on each of them, so the booleans share one bits field
 * and what most connections never need lives in an object made on first use.
 * The accessors keep the engine's code reading as plain fields.
 */
export abstract class SessionState {
  /** State bits (S_*, PAUSE_*). */
  private bits = 0;
  /** Made on first use: an idle connection carries one null here. */
  private extras: SessionExtras | null = null;

  protected more(): SessionExtras {
    return (this.extras ??= new SessionExtras());
  }

  private flag(bit: number): boolean {
    return (this.bits & bit) !== 0;
  }

  private setFlag(bit: number, v: boolean): void {
    this.bits = v ? this.bits | bit : this.bits & ~bit;
  }

  get isClosed(): boolean {
    return this.flag(S_CLOSED);
  }
  protected set isClosed(v: boolean) {
    this.setFlag(S_CLOSED, v);
  }

  /** Closed, or closing (close() called): nothing new is written. */
  get isClosing(): boolean {
    return (this.bits & (S_CLOSED | S_CLOSING)) !== 0;
  }
  protected markClosing(): void {
    this.setFlag(S_CLOSING, true);
  }

  protected get blockingBusy(): boolean {
    return this.flag(S_BLOCKING_BUSY);
  }
  protected set blockingBusy(v: boolean) {
    this.setFlag(S_BLOCKING_BUSY, v);
  }

  protected get draining(): boolean {
    return this.flag(S_DRAINING);
  }
  protected set draining(v: boolean) {
    this.setFlag(S_DRAINING, v);
  }

  protected isPausedFor(reason: number): boolean {
    return this.flag(reason);
  }

  /**
   * Sets or clears one reason to pause reading; returns +1 when reading must
   * stop now, -1 when it may resume, 0 when nothing changes.
   */
  protected changePause(reason: number, on: boolean): number {
    const before = (this.bits & PAUSE_ANY) !== 0;
    this.setFlag(reason, on);
    const after = (this.bits & PAUSE_ANY) !== 0;
    return before === after ? 0 : after ? 1 : -1;
  }

  protected get queue(): RequestQueue | null {
    const x = this.extras;
    return x === null ? null : x.queue;
  }
  protected set queue(v: RequestQueue | null) {
    if (this.extras !== null || v !== null) this.more().queue = v;
  }

  protected get idleWaiters(): Array<() => void> | null {
    const x = this.extras;
    return x === null ? null : x.idleWaiters;
  }
  protected set idleWaiters(v: Array<() => void> | null) {
    if (this.extras !== null || v !== null) this.more().idleWaiters = v;
  }

  protected get fps(): PerSecondCounter | null {
    const x = this.extras;
    return x === null ? null : x.fps;
  }

  protected get ordered(): Promise<void> | null {
    const x = this.extras;
    return x === null ? null : x.ordered;
  }

  protected get outChain(): Promise<void> | null {
    const x = this.extras;
    return x === null ? null : x.outChain;
  }

  protected get drainWait(): DrainWait | null {
    const x = this.extras;
    return x === null ? null : x.drainWait;
  }
  protected set drainWait(v: DrainWait | null) {
    if (this.extras !== null || v !== null) this.more().drainWait = v;
  }

  protected get closeCallbacks(): Array<(error: QrpcError | null) => void> | null {
    const x = this.extras;
    return x === null ? null : x.closeCallbacks;
  }
  protected set closeCallbacks(v: Array<(error: QrpcError | null) => void> | null) {
    if (this.extras !== null || v !== null) this.more().closeCallbacks = v;
  }

  protected get closeError(): QrpcError | null {
    const x = this.extras;
    return x === null ? null : x.closeError;
  }
  protected set closeError(v: QrpcError | null) {
    if (this.extras !== null || v !== null) this.more().closeError = v;
  }

  protected get closedPromise(): Promise<void> | null {
    const x = this.extras;
    return x === null ? null : x.closedPromise;
  }
  protected set closedPromise(v: Promise<void> | null) {
    if (this.extras !== null || v !== null) this.more().closedPromise = v;
  }
}
