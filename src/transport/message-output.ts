import { Buffer } from 'node:buffer';
import { HEADER_SIZE, writeHeader } from '../protocol/frame.js';
import { WRITE_FULL, WRITE_QUEUED, type WriteResult } from './types.js';

/** One frame in a buffer of its own (header encoded here): a WebSocket transport sends it as exactly one binary message. */
export function frameMessage(requestId: bigint, flags: number, cmd: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  writeHeader(frame, 0, payload.length, requestId, flags, cmd);
  payload.copy(frame, HEADER_SIZE);
  return frame;
}

/** Calls `visit` with each frame of `bytes` (already encoded frames; a trailing partial frame as it is). */
export function forEachFrame(bytes: Buffer, visit: (frame: Buffer) => void): void {
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const end = Math.min(bytes.length, offset + 4 + bytes.readUInt32BE(offset));
    visit(bytes.subarray(offset, end));
    offset = end;
  }
  if (offset < bytes.length) visit(bytes.subarray(offset));
}

/** The socket under a message transport: what it still holds counts toward the high-water mark. */
export interface BufferedSocket {
  readonly bufferedAmount: number;
}

/**
 * The output side of the WebSocket transports (the Node overlay and the
 * browser build): messages queued this tick for one flush, and the
 * high-water bookkeeping (queued plus what the socket still holds, as the TCP
 * backends count the socket's buffer).
 */
export class MessageOutput {
  private readonly pending: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  /** A write returned WRITE_FULL: onDrain() is owed once below the mark. */
  wantDrain = false;
  private readonly socket: BufferedSocket;
  private readonly highWaterMark: number;
  private readonly defer: (fn: () => void) => void;
  private readonly flush: () => void;

  /** `flush` runs once per `defer` turn after the first queued message (nextTick in Node, a microtask in a page). */
  constructor(socket: BufferedSocket, highWaterMark: number, defer: (fn: () => void) => void, flush: () => void) {
    this.socket = socket;
    this.highWaterMark = highWaterMark;
    this.defer = defer;
    this.flush = flush;
  }

  /** What counts toward the high-water mark: queued this tick plus what the socket still holds. */
  get queuedOutputBytes(): number {
    return this.queuedBytes + this.socket.bufferedAmount;
  }

  queue(message: Buffer): WriteResult {
    this.pending.push(message);
    return this.count(message.length);
  }

  /** Bytes the transport queued itself (already encoded for its socket): scheduled and counted like queued messages. */
  count(bytes: number): WriteResult {
    this.queuedBytes += bytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Called unbound: a page's queueMicrotask throws when invoked on another object.
      const defer = this.defer;
      defer(this.flush);
    }
    return this.wrote();
  }

  /** The transport wrote straight to the socket (nothing was queued), or queued: WRITE_FULL once above the mark. */
  wrote(): WriteResult {
    if (this.queuedBytes + this.socket.bufferedAmount > this.highWaterMark) {
      this.wantDrain = true;
      return WRITE_FULL;
    }
    return WRITE_QUEUED;
  }

  /** Bytes that already are encoded frames, one message per frame (a trailing partial frame as it is); the last result. */
  queueFrames(bytes: Buffer): WriteResult {
    let result: WriteResult = WRITE_QUEUED;
    forEachFrame(bytes, (frame) => (result = this.queue(frame)));
    return result;
  }

  /**
   * Hands the queued messages to `send` in order and returns how many; the
   * queue starts empty again. The array is kept, not replaced per tick: a replaced one, once
   * promoted, keeps the next tick's young buffers alive through scavenges
   * (bench/README.md, "Young-generation survival").
   */
  flushTo(send: (message: Buffer) => void): number {
    const pending = this.pending;
    const n = pending.length;
    this.taken();
    for (let i = 0; i < n; i++) send(pending[i]!);
    pending.length = 0;
    return n;
  }

  /** The flush took everything queued (for a transport that keeps its own encoded bytes and only count()s them). */
  taken(): void {
    this.flushScheduled = false;
    this.queuedBytes = 0;
  }

  /** True once after WRITE_FULL, when the output is back below the mark (the caller then owes onDrain()). */
  drained(): boolean {
    if (this.wantDrain && this.queuedBytes + this.socket.bufferedAmount <= this.highWaterMark) {
      this.wantDrain = false;
      return true;
    }
    return false;
  }

  clear(): void {
    this.pending.length = 0;
    this.queuedBytes = 0;
  }
}
