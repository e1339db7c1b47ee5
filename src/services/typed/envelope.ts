import type protobuf from 'protobufjs';
import { requireFromPackage } from '../../util/cjs-require.cjs';
import { QrpcError } from '../../protocol/errors.js';

/** Go's codegen/pb/rpc.proto, the envelope of every typed-service call (parsed by protobufjs, not hand-encoded). */
const RPC_PROTO = `
syntax = "proto3";
package pb;
message RpcRequest {
  string NS = 1;
  string method = 2;
  bytes params = 3;
}
`;

let rpcRequestType: protobuf.Type | null = null;

/** protobufjs is loaded on the first typed-service call: importing qrpc-node without typed services does not pay for it. */
function rpcRequest(): protobuf.Type {
  if (rpcRequestType === null) {
    const lib = requireFromPackage('protobufjs') as typeof protobuf;
    // keepCase: the field is "NS" in the .proto (protobufjs would otherwise rename it "nS").
    rpcRequestType = lib.parse(RPC_PROTO, { keepCase: true }).root.lookupType('pb.RpcRequest');
  }
  return rpcRequestType;
}

export interface RpcRequestFields {
  NS: string;
  method: string;
  params: Buffer;
}

/**
 * Encodes the envelope as Go's generated Marshal does: proto3 leaves fields
 * holding their default value (empty string, empty bytes) off the wire, so
 * the main service's empty NS is not written at all.
 */
export function encodeRpcRequest(fields: RpcRequestFields): Buffer {
  const present: Partial<RpcRequestFields> = {};
  if (fields.NS !== '') present.NS = fields.NS;
  if (fields.method !== '') present.method = fields.method;
  if (fields.params.length > 0) present.params = fields.params;
  const type = rpcRequest();
  const bytes = type.encode(type.fromObject(present)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes an envelope; bad bytes fail with ERR_INVALID_FRAME (the message says what protobufjs refused). */
export function decodeRpcRequest(bytes: Uint8Array): RpcRequestFields {
  let m: Record<string, unknown>;
  try {
    const type = rpcRequest();
    m = type.toObject(type.decode(bytes), { defaults: true }) as Record<string, unknown>;
  } catch (err) {
    throw new QrpcError('ERR_INVALID_FRAME', `invalid RpcRequest: ${(err as Error).message}`, { cause: err });
  }
  const params = m.params as Uint8Array;
  return { NS: m.NS as string, method: m.method as string, params: Buffer.from(params.buffer, params.byteOffset, params.byteLength) };
}
