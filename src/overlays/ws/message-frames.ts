import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { HEADER_SIZE, copyInto, writeHeader, writeHeaderView } from '../../protocol/frame.js';
import { COPY_LIMIT, sharedArena } from '../../transport/arena.js';
import { forEachFrame } from '../../transport/message-output.js';

/**
 * The data-message half of a WebSocket sender (RFC 6455 §5.2): every qrpc
 * frame one unfragmented binary message, encoded where it is written, header
 * and all, into the thread's output arena, so a connection's messages of one
 * tick are one contiguous range and leave in one socket write. `ws` stays in
 * charge of the upgrade, the receiver and control frames (ping, pong, close);
 * its per-message send path (two option objects, a header buffer and a corked
 * two-chunk write per message) is what this replaces, measured in
 * bench/README.md ("WebSocket output").
 */

const OPCODE_BINARY_FIN = 0x82;
const MASK_BIT = 0x80;

/** Header bytes of a message of `length` payload bytes: 2, 4 or 10, plus 4 for a client's masking key. */
export function headerSize(length: number, masked: boolean): number {
  const base = length <= 125 ? 2 : length <= 0xffff ? 4 : 10;
  return masked ? base + 4 : base;
}

function writeMessageHeader(out: Buffer, at: number, length: number, masked: boolean): number {
  out[at] = OPCODE_BINARY_FIN;
  const maskBit = masked ? MASK_BIT : 0;
  if (length <= 125) {
    out[at + 1] = maskBit | length;
    return at + 2;
  }
  if (length <= 0xffff) {
    out[at + 1] = maskBit | 126;
    out.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  out[at + 1] = maskBit | 127;
  // Payloads are capped by maxFrameSize (far below 2^53): the upper 32 bits of the 64-bit length come from a division.
  out.writeUInt32BE(Math.floor(length / 0x1_0000_0000), at + 2);
  out.writeUInt32BE(length >>> 0, at + 6);
  return at + 10;
}

/** Masking keys come from a pool refilled by the CSPRNG (RFC 6455 §5.3: keys must be unpredictable), as ws does. */
const KEY_POOL_SIZE = 8 * 1024;
let keyPool: Buffer | null = null;
let keyAt = KEY_POOL_SIZE;

function nextKey(out: Buffer, at: number): void {
  if (keyAt === KEY_POOL_SIZE) {
    keyPool ??= Buffer.allocUnsafe(KEY_POOL_SIZE);
    randomFillSync(keyPool);
    keyAt = 0;
  }
  const pool = keyPool!;
  out[at] = pool[keyAt]!;
  out[at + 1] = pool[keyAt + 1]!;
  out[at + 2] = pool[keyAt + 2]!;
  out[at + 3] = pool[keyAt + 3]!;
  keyAt += 4;
}

/** XORs `n` bytes of `out` from `at` with the 4-byte key just before them (the payload is already in place). */
function maskInPlace(out: Buffer, at: number, n: number): void {
  const k0 = out[at - 4]!;
  const k1 = out[at - 3]!;
  const k2 = out[at - 2]!;
  const k3 = out[at - 1]!;
  let i = at;
  const end = at + n;
  for (; i + 4 <= end; i += 4) {
    out[i] ^= k0;
    out[i + 1] ^= k1;
    out[i + 2] ^= k2;
    out[i + 3] ^= k3;
  }
  for (let k = 0; i < end; i++, k++) out[i] ^= out[at - 4 + k]!;
}

/**
 * Encoded frames as the unmasked messages a server sends, built once for
 * every connection of a broadcast: the small ones back to back in one
 * buffer, a large one by reference after its own header.
 */
export function serverMessages(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  forEachFrame(bytes, (frame) => frames.push(frame));
  const chunks: Buffer[] = [];
  let from = 0;
  while (from < frames.length) {
    let to = from;
    let size = 0;
    while (to < frames.length && frames[to]!.length < COPY_LIMIT) {
      size += headerSize(frames[to]!.length, false) + frames[to]!.length;
      to++;
    }
    const large = to < frames.length ? frames[to]! : null;
    const out = Buffer.allocUnsafe(size + (large === null ? 0 : headerSize(large.length, false)));
    let at = 0;
    for (let i = from; i < to; i++) {
      at = writeMessageHeader(out, at, frames[i]!.length, false);
      copyInto(frames[i]!, out, at);
      at += frames[i]!.length;
    }
    if (large === null) {
      chunks.push(out);
      from = to;
    } else {
      writeMessageHeader(out, at, large.length, false);
      chunks.push(out, large);
      from = to + 1;
    }
  }
  return chunks;
}

/** The part of net.Socket the encoder uses. */
export interface MessageSocket {
  readonly writableLength: number;
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/**
 * One connection's outbound data messages, in order: ranges of the shared
 * arena and, for a server, large payloads by reference after a header of
 * their own (a client copies every payload: it has to mask it).
 */
export class MessageEncoder {
  /** A client's messages are masked (RFC 6455 §5.3); a server's are not. */
  readonly masked: boolean;
  private readonly socket: MessageSocket;
  /**
   * Finished ranges and by-reference payloads, oldest first; empty in the
   * common tick of one range. The same array for the connection's life: one
   * replaced per tick would, once promoted, keep the next tick's young
   * buffers alive through scavenges after it is dropped (measured: bench/README.md).
   */
  private readonly chunks: Buffer[] = [];
  /** The arena range the next message may extend. */
  private openArena: Buffer | null = null;
  private openStart = 0;
  private openEnd = 0;

  /** `socket`: where writeTo() writes; what it still holds decides whether a finished range is copied out of the arena. */
  constructor(masked: boolean, socket: MessageSocket) {
    this.masked = masked;
    this.socket = socket;
  }

  /** One qrpc frame as one message; returns its size on the wire. */
  frame(requestId: bigint, flags: number, cmd: number, payload: Buffer): number {
    const frameLength = HEADER_SIZE + payload.length;
    if (!this.masked && payload.length >= COPY_LIMIT) {
      const h = headerSize(frameLength, false);
      const head = Buffer.allocUnsafe(h + HEADER_SIZE);
      writeMessageHeader(head, 0, frameLength, false);
      writeHeader(head, h, payload.length, requestId, flags, cmd);
      this.byReference(head, payload);
      return h + frameLength;
    }
    const size = headerSize(frameLength, this.masked) + frameLength;
    const at = this.frameStart(this.reserve(size), frameLength);
    const buf = sharedArena.buf;
    writeHeaderView(sharedArena.view, at, payload.length, requestId, flags, cmd);
    if (payload.length > 0) copyInto(payload, buf, at + HEADER_SIZE);
    if (this.masked) maskInPlace(buf, at, frameLength);
    return size;
  }

  /** Bytes that already are an encoded frame (or the trailing part of one) as one message; returns its size on the wire. */
  message(data: Buffer): number {
    const n = data.length;
    if (!this.masked && n >= COPY_LIMIT) {
      const head = Buffer.allocUnsafe(headerSize(n, false));
      writeMessageHeader(head, 0, n, false);
      this.byReference(head, data);
      return head.length + n;
    }
    const size = headerSize(n, this.masked) + n;
    const at = this.frameStart(this.reserve(size), n);
    if (n > 0) copyInto(data, sharedArena.buf, at);
    if (this.masked) maskInPlace(sharedArena.buf, at, n);
    return size;
  }

  /** Writes what is queued to the socket, in order: one write, or one corked batch; false when nothing was queued. */
  writeTo(): boolean {
    const socket = this.socket;
    const chunks = this.chunks;
    if (chunks.length === 0) {
      if (this.openArena === null) return false;
      socket.write(this.takeRange());
      return true;
    }
    this.closeRange();
    socket.cork();
    for (let i = 0; i < chunks.length; i++) socket.write(chunks[i]!);
    socket.uncork();
    chunks.length = 0;
    return true;
  }

  /**
   * Messages built once for many connections (serverMessages): written at
   * once when nothing is queued this tick, else queued after what is (the
   * order stays). True when written.
   */
  shared(messages: readonly Buffer[]): boolean {
    if (this.openArena === null && this.chunks.length === 0) {
      const socket = this.socket;
      if (messages.length === 1) socket.write(messages[0]!);
      else {
        socket.cork();
        for (let i = 0; i < messages.length; i++) socket.write(messages[i]!);
        socket.uncork();
      }
      return true;
    }
    this.closeRange();
    for (let i = 0; i < messages.length; i++) this.chunks.push(messages[i]!);
    return false;
  }

  clear(): void {
    this.chunks.length = 0;
    this.openArena = null;
  }

  /** Writes the message header at `offset` of the arena (and a client's masking key); returns where the message's bytes go. */
  private frameStart(offset: number, length: number): number {
    const buf = sharedArena.buf;
    const at = writeMessageHeader(buf, offset, length, this.masked);
    if (!this.masked) return at;
    nextKey(buf, at);
    return at + 4;
  }

  private reserve(size: number): number {
    const offset = sharedArena.reserve(size);
    const buf = sharedArena.buf;
    if (this.openArena === buf && this.openEnd === offset) this.openEnd = offset + size;
    else {
      this.closeRange();
      this.openArena = buf;
      this.openStart = offset;
      this.openEnd = offset + size;
    }
    return offset;
  }

  private byReference(head: Buffer, payload: Buffer): void {
    this.closeRange();
    this.chunks.push(head, payload);
  }

  /**
   * Output the socket could not pass on yet waits for a peer that may never
   * read: a view would keep a whole 64 KiB arena alive for a few bytes, so a
   * backed-up socket gets a copy of its own.
   */
  private closeRange(): void {
    if (this.openArena !== null) this.chunks.push(this.takeRange());
  }

  private takeRange(): Buffer {
    const range = this.openArena!.subarray(this.openStart, this.openEnd);
    this.openArena = null;
    return this.socket.writableLength > 0 ? Buffer.from(range) : range;
  }
}

