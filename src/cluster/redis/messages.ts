import type { BrokerPush } from '../../server/cluster/broker.js';

/** What nodes send each other over Redis pub/sub. `seq` pairs a request with its acks on the sender's channel. */
export type BrokerMessage =
  | { t: 'ids'; from: string; seq: number; b: number; ids: string[]; cmd: number; flags: number }
  | { t: 'all'; from: string; seq: number; b: number; cmd: number; flags: number }
  | { t: 'room'; from: string; seq: number; b: number; room: string; cmd: number; flags: number }
  | { t: 'size'; from: string; seq: number; b: number; room: string }
  | { t: 'kick'; from: string; seq: number; b: number; id: string; token: string }
  | Ack;

/** An answer: `delivered`/`offline` for 'ids', `n` (connections, members, or 1 for a done kick) for the others. */
export interface Ack {
  t: 'ack';
  seq: number;
  delivered?: string[];
  offline?: string[];
  n?: number;
}

/**
 * Wire form: u32 length of a JSON header, the header, then the push payload
 * as raw bytes (binary payloads cross untouched, nothing is base64'd).
 */
export function encodeMessage(message: BrokerMessage, payload: Buffer | null = null): Buffer {
  const header = Buffer.from(JSON.stringify(message));
  const out = Buffer.allocUnsafe(4 + header.length + (payload?.length ?? 0));
  out.writeUInt32BE(header.length, 0);
  header.copy(out, 4);
  payload?.copy(out, 4 + header.length);
  return out;
}

/** Null for bytes that are not a message (another program on the channel): ignored, not trusted. */
export function decodeMessage(bytes: Buffer): { message: BrokerMessage; payload: Buffer } | null {
  if (bytes.length < 4) return null;
  const length = bytes.readUInt32BE(0);
  if (4 + length > bytes.length) return null;
  try {
    const message = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8')) as BrokerMessage;
    if (message === null || typeof message !== 'object' || typeof message.t !== 'string' || typeof message.seq !== 'number') return null;
    return { message, payload: bytes.subarray(4 + length) };
  } catch {
    return null;
  }
}

export function pushOf(message: { cmd: number; flags: number }, payload: Buffer): BrokerPush {
  return { cmd: message.cmd, flags: message.flags, payload };
}
