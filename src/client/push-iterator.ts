import { QrpcError } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';

export interface PushIteratorOptions {
  /**
   * Payload bytes held for a reader that is behind (default: the connection's
   * highWaterMark, 1 MiB). One frame is always taken when none is held.
   */
  maxBufferedBytes?: number;
}

const DONE: IteratorResult<Frame> = Object.freeze({ done: true, value: undefined });

/**
 * One `conn.pushes()` reader. Pushes are never held back for it (reading
 * stays with the connection: a paused socket would also stall the answers
 * the reader may be awaiting), so it is bounded instead: a reader more than
 * `maxBufferedBytes` behind gets the frames held so far, then ERR_PUSH_OVERFLOW.
 */
export class PushIterator implements AsyncIterableIterator<Frame> {
  private held: Frame[] = [];
  private heldBytes = 0;
  private waiting: { resolve: (r: IteratorResult<Frame>) => void; reject: (e: Error) => void } | null = null;
  /** Set once nothing more is taken: the end (null) or the error that follows the held frames. */
  private finished: { error: QrpcError | null } | null = null;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly unsubscribe: (it: PushIterator) => void,
  ) {}

  /** @internal a push arrived */
  offer(frame: Frame): void {
    if (this.finished !== null) return;
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      waiting.resolve({ done: false, value: frame });
      return;
    }
    if (this.held.length > 0 && this.heldBytes + frame.payload.length > this.maxBufferedBytes) {
      this.finish(new QrpcError('ERR_PUSH_OVERFLOW', `the pushes() reader fell more than ${this.maxBufferedBytes} bytes behind; pushes from cmd ${frame.cmd} on were not kept for it`));
      return;
    }
    this.held.push(frame);
    this.heldBytes += frame.payload.length;
  }

  /** @internal the connection closed for good (or overflow): the reader gets what is held, then the end (or the error). */
  finish(error: QrpcError | null = null): void {
    if (this.finished !== null) return;
    this.finished = { error };
    this.unsubscribe(this);
    const waiting = this.waiting;
    if (waiting !== null && this.held.length === 0) {
      this.waiting = null;
      if (error === null) waiting.resolve(DONE);
      else waiting.reject(error);
    }
  }

  next(): Promise<IteratorResult<Frame>> {
    const frame = this.held.shift();
    if (frame !== undefined) {
      this.heldBytes -= frame.payload.length;
      return Promise.resolve({ done: false, value: frame });
    }
    const finished = this.finished;
    if (finished !== null) {
      if (finished.error === null) return Promise.resolve(DONE);
      const error = finished.error;
      // Thrown once; the iterator is done after that, as a generator is.
      finished.error = null;
      return Promise.reject(error);
    }
    if (this.waiting !== null) return Promise.reject(new QrpcError('ERR_INVALID_ARG', 'pushes(): next() called again before the previous one settled'));
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Leaving the loop (break, throw): stops taking pushes and drops what is held. */
  return(): Promise<IteratorResult<Frame>> {
    this.held = [];
    this.heldBytes = 0;
    this.finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
