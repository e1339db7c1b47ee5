import type { Frame } from '../protocol/frame.js';

/**
 * An ordered, single-consumer sequence of frames fed by the connection's read
 * side and read with `for await`. Frames that arrive before the consumer asks
 * are kept; the sequence ends normally (done frame) or with an error (reset,
 * connection closed), which the iterator throws after the frames before it.
 */
export class FrameQueue implements AsyncIterable<Frame> {
  private items: Frame[] = [];
  private head = 0;
  private ended = false;
  private error: Error | null = null;
  private waiter: { resolve: (r: IteratorResult<Frame>) => void; reject: (e: Error) => void } | null = null;
  private iterating = false;

  push(frame: Frame): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: frame, done: false });
    } else {
      this.items.push(frame);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wakeAtEnd();
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.wakeAtEnd();
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
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    if (this.iterating) throw new Error('a frame sequence can be iterated only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        // The consumer stopped early: drop what is buffered and anything later.
        this.items = [];
        this.head = 0;
        this.ended = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
