import zlib from 'node:zlib';

/**
 * A connection codec for frames with the Codec flag. encode/decode may be
 * synchronous (fast path) or return a promise; a throw or rejection in decode
 * closes the connection (protocol error).
 */
export interface Codec {
  encode(payload: Buffer): Buffer | Promise<Buffer>;
  decode(payload: Buffer): Buffer | Promise<Buffer>;
}

/** Raw DEFLATE (RFC 1951, no header), what Go qrpc's CompressorCodec with flate produces; interoperates with the vectors. */
export function deflateRawCodec(options: zlib.ZlibOptions = {}): Codec {
  return {
    encode: (payload) => zlib.deflateRawSync(payload, options),
    decode: (payload) => zlib.inflateRawSync(payload, { maxOutputLength: options.maxOutputLength ?? 64 * 1024 * 1024 }),
  };
}
