import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { TRANSPORT_COPY_LIMIT } from '../../transport/types.js';

/**
 * The data-message half of a WebSocket sender (RFC 6455 §5.2): the frames one
 * tick queued, each as one unfragmented binary message, encoded back to back
 * into one buffer so the tick leaves in one socket write. `ws` stays in charge
 * of the upgrade, the receiver and control frames (ping, pong, close); its
 * per-message send path (two option objects, a header buffer and a corked
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

function writeHeader(out: Buffer, at: number, length: number, masked: boolean): number {
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

/** Copies `data` to `out` at `at`, XORed with the 4-byte key just before it. */
function copyMasked(data: Buffer, out: Buffer, at: number): void {
  const k0 = out[at - 4]!;
  const k1 = out[at - 3]!;
  const k2 = out[at - 2]!;
  const k3 = out[at - 1]!;
  const n = data.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    out[at + i] = data[i]! ^ k0;
    out[at + i + 1] = data[i + 1]! ^ k1;
    out[at + i + 2] = data[i + 2]! ^ k2;
    out[at + i + 3] = data[i + 3]! ^ k3;
  }
  for (; i < n; i++) out[at + i] = data[i]! ^ out[at - 4 + (i & 3)]!;
}

/**
 * The socket writes for `messages`: one buffer holding every message, except
 * that an unmasked payload of TRANSPORT_COPY_LIMIT bytes or more is passed by
 * reference after its header (a server does not copy large payloads; a
 * client must, to mask them).
 */
export function encodeMessages(messages: readonly Buffer[], masked: boolean): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  while (from < messages.length) {
    // Messages [from, to) go into one buffer; messages[to], when it is a large unmasked one, goes by reference.
    let to = from;
    let size = 0;
    while (to < messages.length) {
      const n = messages[to]!.length;
      if (!masked && n >= TRANSPORT_COPY_LIMIT) {
        size += headerSize(n, false);
        break;
      }
      size += headerSize(n, masked) + n;
      to++;
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = from; i < to; i++) {
      const data = messages[i]!;
      at = writeHeader(out, at, data.length, masked);
      if (masked) {
        nextKey(out, at);
        at += 4;
        copyMasked(data, out, at);
      } else {
        data.copy(out, at);
      }
      at += data.length;
    }
    if (to < messages.length) {
      writeHeader(out, at, messages[to]!.length, false);
      chunks.push(out, messages[to]!);
      from = to + 1;
    } else {
      chunks.push(out);
      from = to;
    }
  }
  return chunks;
}
