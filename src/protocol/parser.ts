// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import { markAsUntransferable } from 'node:worker_threads';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, MIN_LENGTH } from './frame.js';
import { QrpcError } from './errors.js';

/**
 * Receives a frame from the parser. `payload` stays valid and unchanged for
 * as long as it is referenced: the parser never writes into a buffer it has
 * handed out, and every ArrayBuffer behind a payload is marked untransferable,
 * so user code that transfers `payload.buffer` (postMessage, structuredClone)
 * gets a copy instead of detaching memory other payloads share.
 */
export interface FrameSink {
  /** The request id comes as its two big-endian 32-bit halves; requestIdOf(idHigh, idLow) makes the BigInt. */
  onFrame(idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer): void;
}
export type FrameCallback = ((idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer) => void) | FrameSink;

/*
 * What a held payload pins. Node hands every socket read over as its own
 * ArrayBuffer of up to 64 KiB; a view of it keeps all of it alive. The rule
 * kept here: a payload pins at most its own bytes plus PIN_SLACK (the same
 * 8 KiB Node's own Buffer pool can pin).
 *  - Chunks whose ArrayBuffer is at most PIN_SLACK: payloads are views (zero copy).
 *  - Bigger chunks: payloads below SLAB_COPY_LIMIT are copied into a shared
 *    slab; bigger ones stay views when the rest of the chunk is within
 *    PIN_SLACK, otherwise they are copied into a buffer of their own.
 *  - A frame assembled across reads lives in a buffer sized to the frame.
 */
const PIN_SLACK = 8 * 1024;
const SLAB_SIZE = 8 * 1024;
const SLAB_COPY_LIMIT = 4 * 1024;
/** Below this a byte loop beats Buffer.prototype.copy (its native call costs more than the bytes). */
const SMALL_COPY = 32;
/**
 * First buffer for a frame that spans reads. It grows geometrically with the
 * bytes received, never straight to what the header claims: a peer that sends
 * headers claiming 10 MiB costs what it sent, not 10 MiB.
 */
const INITIAL_TAIL = 1024;

/**
 * Small payloads from big chunks are copied here, front to back; a slab is
 * never rewritten (a full one is dropped and lives as long as its payloads).
 * Shared by every parser of the thread, like Node's Buffer pool.
 */
let slab: Buffer = newSlab();
let slabUsed = 0;

function newSlab(): Buffer {
  const buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
  markAsUntransferable(buf.buffer);
  return buf;
}

function copyToSlab(chunk: Buffer, start: number, len: number): Buffer {
  if (slabUsed + len > SLAB_SIZE) {
    slab = newSlab();
    slabUsed = 0;
  }
  const buf = slab;
  const at = slabUsed;
  if (len < SMALL_COPY) {
    for (let i = 0; i < len; i++) buf[at + i] = chunk[start + i];
  } else {
    chunk.copy(buf, at, start, start + len);
  }
  slabUsed = at + len;
  return buf.subarray(at, at + len);
}

/** A payload of a chunk bigger than PIN_SLACK, within the pinning rule. */
function payloadOfBigChunk(chunk: Buffer, start: number, end: number): Buffer {
  const len = end - start;
  if (len < SLAB_COPY_LIMIT) return copyToSlab(chunk, start, len);
  const ab = chunk.buffer;
  if (ab.byteLength - len <= PIN_SLACK) {
    markAsUntransferable(ab);
    return chunk.subarray(start, end);
  }
  const own = Buffer.allocUnsafeSlow(len);
  chunk.copy(own, 0, start, end);
  markAsUntransferable(own.buffer);
  return own;
}

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
  /** Bytes of an incomplete frame carried over from earlier chunks (capacity may be below `need`). */
  private tail: Buffer | null = null;
  private tailUsed = 0;
  /**
   * Counts partial frames begun: compared around push() it tells "the same
   * frame is still incomplete" from "another frame is" (the stalled-payload
   * clock is per frame).
   */
  partials = 0;
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
    // Decided once per chunk: views only where a view cannot pin more than the rule allows.
    const ab = chunk.buffer;
    const views = ab.byteLength <= PIN_SLACK;
    if (views && end - offset >= HEADER_SIZE) markAsUntransferable(ab);
    while (end - offset >= HEADER_SIZE) {
      const length = chunk.readUInt32BE(offset);
      this.check(length);
      const total = 4 + length;
      if (end - offset < total) break;
      const word = chunk.readUInt32BE(offset + 12);
      const start = offset + HEADER_SIZE;
      offset += total;
      const payload = views ? chunk.subarray(start, offset) : payloadOfBigChunk(chunk, start, offset);
      sink.onFrame(chunk.readUInt32BE(start - 12), chunk.readUInt32BE(start - 8), word >>> 24, word & 0xffffff, payload);
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

  /** Room for `received` bytes of a frame of `need` bytes: geometric in what arrived, capped at the frame. */
  private static capacityFor(need: number, received: number, current: number): number {
    return Math.min(need, Math.max(INITIAL_TAIL, current * 2, received));
  }

  private startTail(chunk: Buffer, offset: number): void {
    const rest = chunk.length - offset;
    if (rest >= 4) {
      const length = chunk.readUInt32BE(offset);
      this.check(length);
      this.need = 4 + length;
      this.tail = Buffer.allocUnsafe(FrameParser.capacityFor(this.need, rest, 0));
    } else {
      this.need = 0;
      this.tail = Buffer.allocUnsafe(HEADER_SIZE);
    }
    chunk.copy(this.tail, 0, offset);
    this.tailUsed = rest;
    this.partials = (this.partials + 1) | 0;
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
    }
    const take = Math.min(this.need - this.tailUsed, chunk.length - offset);
    const received = this.tailUsed + take;
    if (received > tail.length) {
      const grown = Buffer.allocUnsafe(FrameParser.capacityFor(this.need, received, tail.length));
      tail.copy(grown, 0, 0, this.tailUsed);
      this.tail = tail = grown;
    }
    chunk.copy(tail, this.tailUsed, offset, offset + take);
    this.tailUsed = received;
    offset += take;
    if (received < this.need) return -1;
    // Capacity never exceeds `need`, so the finished frame fills its buffer exactly.
    const frame = tail;
    this.tail = null;
    this.tailUsed = 0;
    this.need = 0;
    markAsUntransferable(frame.buffer);
    const word = frame.readUInt32BE(12);
    sink.onFrame(frame.readUInt32BE(4), frame.readUInt32BE(8), word >>> 24, word & 0xffffff, frame.subarray(HEADER_SIZE));
    return offset;
  }
}
