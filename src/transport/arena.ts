// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
/**
 * Output arena shared by the connections of a thread (TCP fallback and the WebSocket overlay). Frames written
 * during one tick are encoded back to back into the current arena; a
 * connection's consecutive frames form one contiguous range, so a burst on one
 * connection leaves as one socket write and a frame to each of many
 * connections costs no copy beyond its encoding. An arena is never rewritten:
 * once full, a new one is allocated and the old one lives as long as the
 * sockets still reference its ranges.
 */
const ARENA_SIZE = 64 * 1024;

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}

export class Arena {
  buf: Buffer = Buffer.allocUnsafe(ARENA_SIZE);
  /** A view of `buf` for header stores. */
  view: DataView = viewOf(this.buf);
  used = 0;

  /** Returns the offset of `size` reserved bytes in `this.buf` (possibly a fresh arena). */
  reserve(size: number): number {
    if (this.used + size > this.buf.length) {
      this.buf = Buffer.allocUnsafe(Math.max(ARENA_SIZE, size));
      this.view = viewOf(this.buf);
      this.used = 0;
    }
    const offset = this.used;
    this.used += size;
    return offset;
  }
}

export const sharedArena = new Arena();

/** Payloads at least this big are referenced, not copied (the seam's contract). */
export { TRANSPORT_COPY_LIMIT as COPY_LIMIT } from './types.js';
