import { QrpcError } from './errors.js';

/** cmd is 24 bits: the low 16 bits route, the high 8 bits are opaque to routing. */
export const MAX_CMD = 0xffffff;

export function routingOf(cmd: number): number {
  return cmd & 0xffff;
}

export function opaqueOf(cmd: number): number {
  return (cmd >>> 16) & 0xff;
}

/** Go qrpc's CmdWithOpaque: put an application byte into the high 8 bits. */
export function withOpaque(cmd: number, opaque: number): number {
  assertCmd(cmd);
  if (!Number.isInteger(opaque) || opaque < 0 || opaque > 0xff) {
    throw new QrpcError('ERR_INVALID_ARG', `opaque must be an integer 0..255, got ${opaque}`);
  }
  return ((opaque << 16) | (cmd & 0xffff)) >>> 0;
}

export function assertCmd(cmd: number): void {
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > MAX_CMD) {
    throw new QrpcError('ERR_INVALID_CMD', `cmd must be an integer 0..0xffffff, got ${cmd}`);
  }
}
