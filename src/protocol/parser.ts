// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, MIN_LENGTH } from './frame.js';
import { QrpcError } from './errors.js';

/**
 * Receives a frame from the parser. `payload` is a view that stays valid and
 * unchanged for as long as it is referenced: the parser never writes into a
 * buffer it has handed out.
 */
export interface FrameSink {
  /** The request id comes as its two big-endian 32-bit halves; requestIdOf(idHigh, idLow) makes the BigInt. */
  onFrame(idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer): void;
}
export type FrameCallback = ((idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer) => void) | FrameSink;

/**
 * Batch frame parser: one chunk in, every complete frame out, the partial
 * tail kept. Header validation happens as soon as 4 bytes of length are
 * known, before any payload is buffered.
 *
 * States: collecting a header (tail < 16 bytes) or collecting a payload whose
 * size is already validated (`need` bytes total for the current frame).
 */
export class FrameParser {
  readonly maxFrameSize: number;
  /** Bytes of an incomplete frame carried over from earlier chunks. */
  private tail: Buffer | null = null;
  /** Preallocated buffer the tail is assembled in once the frame size is known. */
  private tailUsed = 0;
  private need = 0;
  private failed: QrpcError | null = null;

  constructor(maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** True while part of a frame has arrived but not all of it. */
  get hasPartialFrame(): boolean {
    return this.tailUsed > 0;
  }

  /** True once a header arrived and the payload is incomplete (for the stalled-payload cut-off). */
  get awaitingPayload(): boolean {
    return this.need > 0;
  }

  /**
   * Parses `chunk`, calling `onFrame` for every complete frame in order.
   * Throws QrpcError (ERR_INVALID_FRAME / ERR_FRAME_TOO_LARGE) on the first
   * bad header; frames before it in the chunk have been delivered. After an
   * error the parser refuses further input.
   */
  push(chunk: Buffer, onFrame: FrameCallback): void {
    if (this.failed) throw this.failed;
    const sink: FrameSink = typeof onFrame === 'function' ? { onFrame } : onFrame;
    let offset = 0;
    if (this.tailUsed > 0) {
      offset = this.fillTail(chunk, sink);
      if (offset < 0) return;
    }
    const end = chunk.length;
    while (end - offset >= HEADER_SIZE) {
      const length = chunk.readUInt32BE(offset);
      this.check(length);
      const total = 4 + length;
      if (end - offset < total) break;
      const word = chunk.readUInt32BE(offset + 12);
      sink.onFrame(chunk.readUInt32BE(offset + 4), chunk.readUInt32BE(offset + 8), word >>> 24, word & 0xffffff, chunk.subarray(offset + HEADER_SIZE, offset + total));
      offset += total;
    }
    if (offset < end) this.startTail(chunk, offset);
  }

  private check(length: number): void {
    if (length < MIN_LENGTH) {
      this.failed = new QrpcError('ERR_INVALID_FRAME', `frame length ${length} is below the minimum ${MIN_LENGTH}`);
      throw this.failed;
    }
    if (length > this.maxFrameSize) {
      this.failed = new QrpcError('ERR_FRAME_TOO_LARGE', `frame length ${length} exceeds maxFrameSize ${this.maxFrameSize}`);
      throw this.failed;
    }
  }

  private startTail(chunk: Buffer, offset: number): void {
    const rest = chunk.length - offset;
    if (rest >= 4) {
      const length = chunk.readUInt32BE(offset);
      this.check(length);
      this.need = 4 + length;
      this.tail = Buffer.allocUnsafe(this.need);
    } else {
      this.need = 0;
      this.tail = Buffer.allocUnsafe(HEADER_SIZE);
    }
    chunk.copy(this.tail, 0, offset);
    this.tailUsed = rest;
  }

  /** Completes the carried-over frame from `chunk`; returns the offset after it, or -1 if the chunk was used up. */
  private fillTail(chunk: Buffer, sink: FrameSink): number {
    let offset = 0;
    let tail = this.tail!;
    if (this.need === 0) {
      // Length not known yet: gather the 4 length bytes first.
      const take = Math.min(4 - this.tailUsed, chunk.length);
      chunk.copy(tail, this.tailUsed, 0, take);
      this.tailUsed += take;
      offset = take;
      if (this.tailUsed < 4) return -1;
      const length = tail.readUInt32BE(0);
      this.check(length);
      this.need = 4 + length;
      const grown = Buffer.allocUnsafe(this.need);
      tail.copy(grown, 0, 0, this.tailUsed);
      this.tail = tail = grown;
    }
    const take = Math.min(this.need - this.tailUsed, chunk.length - offset);
    chunk.copy(tail, this.tailUsed, offset, offset + take);
    this.tailUsed += take;
    offset += take;
    if (this.tailUsed < this.need) return -1;
    const frame = tail;
    this.tail = null;
    this.tailUsed = 0;
    this.need = 0;
    const word = frame.readUInt32BE(12);
    sink.onFrame(frame.readUInt32BE(4), frame.readUInt32BE(8), word >>> 24, word & 0xffffff, frame.subarray(HEADER_SIZE));
    return offset;
  }
}
