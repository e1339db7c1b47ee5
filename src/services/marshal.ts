import { QrpcError } from '../protocol/errors.js';
import { toPayload, type PayloadInput } from '../protocol/frame.js';

/**
 * Turns messages into payload bytes and back (Go's channel.Marshal /
 * Unmarshal, and the codegen's params / results). JSON by default; a type
 * with its own protobuf encoding plugs in its encode / decode here.
 */
export interface Marshaller<T = unknown> {
  marshal(message: T): PayloadInput;
  unmarshal(bytes: Buffer): T;
}

/** JSON, as Go's encoding/json writes and reads it (UTF-8 text). */
export const jsonMarshaller: Marshaller<any> = {
  marshal(message: unknown): Buffer {
    const text = JSON.stringify(message);
    // JSON.stringify(undefined) and functions give undefined: nothing Go could unmarshal.
    if (text === undefined) throw new TypeError(`${typeof message} has no JSON form`);
    return Buffer.from(text, 'utf8');
  },
  unmarshal(bytes: Buffer): unknown {
    return JSON.parse(bytes.toString('utf8'));
  },
};

/** marshal() with its failures as ERR_MARSHAL (the cause is the marshaller's error). */
export function marshalOrThrow<T>(marshaller: Marshaller<T>, message: T, what: string): Buffer {
  try {
    return toPayload(marshaller.marshal(message));
  } catch (err) {
    throw new QrpcError('ERR_MARSHAL', `cannot marshal ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** unmarshal() with its failures as ERR_MARSHAL. */
export function unmarshalOrThrow<T>(marshaller: Marshaller<T>, bytes: Buffer, what: string): T {
  try {
    return marshaller.unmarshal(bytes);
  } catch (err) {
    throw new QrpcError('ERR_MARSHAL', `cannot unmarshal ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
