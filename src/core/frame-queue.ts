import type { Frame } from '../protocol/frame.js';
import { QrpcError } from '../protocol/errors.js';

/** Told when a queue holds more than its bound of unread frames, and again once it is back under half of it. */
export interface QueuePressure {
  queuePressure(over: boolean): void;
}

/** Frames buffered per queue above which the connection stops reading (besides the byte bound). */
const MAX_BUFFERED_FRAMES = 1024;
/** Per-frame overhead counted against the byte bound, so empty frames count too. */
const FRAME_OVERHEAD = 16;

/**
 * An ordered, single-consumer sequence of frames fed by the connection's read
 * side and read with `for await`. Frames that arrive before the consumer asks
 * are kept, up to a bound: past it the queue tells its `pressure` owner (the
 * session stops reading the connection until the consumer catches up). The
 * sequence ends normally (done frame) or with an error (reset, connection
 * closed), which the iterator throws after the frames before it.
 */
export class FrameQueue implements AsyncIterable<Frame> {
  private items: Frame[] = [];
  private head = 0;
  private ended = false;
  private error: Error | null = null;
  private waiter: { resolve: (r: IteratorResult<Frame>) => void; reject: (e: Error) => void } | null = null;
  private iterating = false;
  private bytes = 0;
  private over = false;
  private readonly limit: number;
  private readonly pressure: QueuePressure | null;

  constructor(limitBytes: number = 0, pressure: QueuePressure | null = null) {
    this.limit = limitBytes;
    this.pressure = pressure;
  }

  push(frame: Frame): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: frame, done: false });
      return;
    }
    this.items.push(frame);
    this.bytes += frame.payload.length + FRAME_OVERHEAD;
    if (!this.over && this.pressure !== null && (this.bytes > this.limit || this.items.length - this.head > MAX_BUFFERED_FRAMES)) {
      this.over = true;
      this.pressure.queuePressure(true);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.wakeAtEnd();
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.release();
    this.wakeAtEnd();
  }

  /** Nothing more will be added: what is buffered no longer holds the connection back. */
  private release(): void {
    if (this.over) {
      this.over = false;
      this.pressure!.queuePressure(false);
    }
  }

  private wakeAtEnd(): void {
    const waiter = this.waiter;
    if (waiter === null) return;
    this.waiter = null;
    if (this.error) waiter.reject(this.error);
    else waiter.resolve({ value: undefined, done: true });
  }

  private next(): Promise<IteratorResult<Frame>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++];
      this.bytes -= value.payload.length + FRAME_OVERHEAD;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      if (this.over && this.bytes * 2 <= this.limit && (this.items.length - this.head) * 2 <= MAX_BUFFERED_FRAMES) this.release();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer stopped early: drop what is buffered and anything later. */
  abandon(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    this.ended = true;
    this.release();
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    if (this.iterating) throw new QrpcError('ERR_INVALID_ARG', 'a frame sequence can be iterated only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        this.abandon();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
