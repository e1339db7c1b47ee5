import type { QrpcError } from '../protocol/errors.js';
import type { RequestFrame } from './request.js';

/**
 * New requests waiting behind a running blocking handler, in arrival order
 * (Go reads nothing more from the connection meanwhile; we read, and queue).
 */
export class RequestQueue {
  private items: Array<RequestFrame | undefined> = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(req: RequestFrame): void {
    this.items.push(req);
  }

  /** The oldest waiting request, or undefined. */
  shift(): RequestFrame | undefined {
    if (this.head === this.items.length) return undefined;
    const req = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return req;
  }

  /** A waiting request with this id that is not cancelled yet (a reset may name it). */
  find(requestId: bigint): RequestFrame | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const req = this.items[i]!;
      if (req.requestId === requestId && !req.cancelled) return req;
    }
    return undefined;
  }

  /** Cancels everything still waiting (the connection closed). */
  cancelAll(reason: QrpcError): void {
    for (let i = this.head; i < this.items.length; i++) this.items[i]!.cancel(reason);
    this.items = [];
    this.head = 0;
  }

  /** The waiting requests not cancelled yet, in order. */
  pending(): RequestFrame[] {
    return this.items.slice(this.head).filter((req): req is RequestFrame => req !== undefined && !req.cancelled);
  }
}
