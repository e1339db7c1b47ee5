// Frames written out by hand from the protocol spec (4-byte length, 8-byte
// request id, flags byte, 3-byte cmd, payload), independent of the library's
// encoder, so tests compare wire bytes against the spec itself; and a client
// wired to a raw server, to see those bytes.
import { connect } from '../../dist/index.js';
import { rawServer } from '../helpers.mjs';

export function frameBytes(requestId, flags, cmd, payload = '') {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(12 + body.length, 0);
  head.writeBigUInt64BE(BigInt(requestId), 4);
  head[12] = flags;
  head[13] = (cmd >> 16) & 0xff;
  head[14] = (cmd >> 8) & 0xff;
  head[15] = cmd & 0xff;
  return Buffer.concat([head, body]);
}

// Flag bits of the spec (§2), spelled out rather than imported.
export const STREAM = 1;
export const STREAM_END = 2;
export const STREAM_RST = 4;
export const NB = 8;

/** A client connected to a raw TCP server: `fn(conn, raw)` (raw.peer(0) is the client's socket); both closed after. */
export async function withRawServer(fn) {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`);
  try {
    return await fn(conn, raw);
  } finally {
    await conn.close();
    await raw.close();
  }
}
