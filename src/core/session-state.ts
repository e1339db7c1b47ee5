import type { QrpcError } from '../protocol/errors.js';
import type { PerSecondCounter } from './rate.js';
import type { RequestQueue } from './request-queue.js';

// SessionState.bits
const S_CLOSED = 1;
const S_BLOCKING_BUSY = 2;
const S_PAUSED_FOR_BACKLOG = 4;
const S_DRAINING = 8;

export type DrainWait = { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };

/** The rarely used part of a session (blocking queue, async-codec ordering, close waiters, rate counter). */
class SessionExtras {
  /** New requests waiting behind a blocking handler. */
  queue: RequestQueue | null = null;
  idleWaiters: Array<() => void> | null = null;
  fps: PerSecondCounter | null = null;
  /** Set while an asynchronous decode is in progress: later frames wait their turn. */
  ordered: Promise<void> | null = null;
  orderedCount = 0;
  drainWait: DrainWait | null = null;
  closeCallbacks: Array<(error: QrpcError | null) => void> | null = null;
  closeError: QrpcError | null = null;
  closedPromise: Promise<void> | null = null;
}

/**
 * The per-connection state of a Session, laid out for idle connections: every
 * field costs 8 bytes on each of them, so four booleans share one bits field
 * and what most connections never need (blocking queue, async-codec ordering,
 * close waiters, rate counter) lives in an object made on first use. The
 * accessors keep the engine's code reading as plain fields.
 */
export abstract class SessionState {
  /** State bits (S_*). */
  private bits = 0;
  /** Made on first use: an idle connection carries one null here. */
  private extras: SessionExtras | null = null;

  protected more(): SessionExtras {
    return (this.extras ??= new SessionExtras());
  }

  get isClosed(): boolean {
    return (this.bits & S_CLOSED) !== 0;
  }

  protected set isClosed(v: boolean) {
    this.bits = v ? this.bits | S_CLOSED : this.bits & ~S_CLOSED;
  }

  protected get blockingBusy(): boolean {
    return (this.bits & S_BLOCKING_BUSY) !== 0;
  }

  protected set blockingBusy(v: boolean) {
    this.bits = v ? this.bits | S_BLOCKING_BUSY : this.bits & ~S_BLOCKING_BUSY;
  }

  protected get pausedForBacklog(): boolean {
    return (this.bits & S_PAUSED_FOR_BACKLOG) !== 0;
  }

  protected set pausedForBacklog(v: boolean) {
    this.bits = v ? this.bits | S_PAUSED_FOR_BACKLOG : this.bits & ~S_PAUSED_FOR_BACKLOG;
  }

  protected get draining(): boolean {
    return (this.bits & S_DRAINING) !== 0;
  }

  protected set draining(v: boolean) {
    this.bits = v ? this.bits | S_DRAINING : this.bits & ~S_DRAINING;
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

  protected set fps(v: PerSecondCounter | null) {
    if (this.extras !== null || v !== null) this.more().fps = v;
  }

  protected get ordered(): Promise<void> | null {
    const x = this.extras;
    return x === null ? null : x.ordered;
  }

  protected set ordered(v: Promise<void> | null) {
    if (this.extras !== null || v !== null) this.more().ordered = v;
  }

  protected get orderedCount(): number {
    const x = this.extras;
    return x === null ? 0 : x.orderedCount;
  }

  protected set orderedCount(v: number) {
    if (this.extras !== null || v !== 0) this.more().orderedCount = v;
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
