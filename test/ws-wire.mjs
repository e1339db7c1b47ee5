// Minimal RFC 6455 reading for the overlay tests: split raw TCP bytes into
// the HTTP head and the WebSocket frames (unmasking client frames), so the
// qrpc frames inside can be compared byte for byte.
import crypto from 'node:crypto';

/** The HTTP head (up to and including the blank line) and the bytes after it; null while incomplete. */
export function splitHead(bytes) {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  return { head: bytes.subarray(0, end + 4).toString('latin1'), rest: bytes.subarray(end + 4) };
}

/** Complete WebSocket frames in `bytes`: { opcode, fin, masked, payload (unmasked) }. */
export function wsFrames(bytes) {
  const frames = [];
  let off = 0;
  while (off + 2 <= bytes.length) {
    const b0 = bytes[off];
    const b1 = bytes[off + 1];
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (p + 2 > bytes.length) break;
      len = bytes.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (p + 8 > bytes.length) break;
      len = Number(bytes.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? bytes.subarray(p, p + 4) : null;
    if (masked) p += 4;
    if (p + len > bytes.length) break;
    const payload = Buffer.from(bytes.subarray(p, p + len));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    frames.push({ opcode: b0 & 0x0f, fin: (b0 & 0x80) !== 0, masked, payload });
    off = p + len;
  }
  return frames;
}

/** The concatenated payloads of the binary messages: the qrpc byte stream. */
export function qrpcBytes(frames) {
  return Buffer.concat(frames.filter((f) => f.opcode === 2 || f.opcode === 0).map((f) => f.payload));
}

export function acceptFor(key) {
  return crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** The close frame's code and reason. */
export function closeOf(frames) {
  const f = frames.find((x) => x.opcode === 8);
  if (!f) return null;
  return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString() };
}
