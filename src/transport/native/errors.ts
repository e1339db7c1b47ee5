import { getSystemErrorName } from 'node:util';
import { MIN_LENGTH } from '../../protocol/frame.js';
import { QrpcError } from '../../protocol/errors.js';
import type { SocketOptions } from '../types.js';

/** A Node-style system error (code, errno, syscall) for a positive errno. */
export function systemError(errno: number, syscall: string, extra = ''): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = `E${errno}`;
  }
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}${extra ? ' ' + extra : ''}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  return err;
}

/** The same codes and messages as the fallback backend and src/protocol/parser.ts. */
export function parseError(kind: number, length: number, maxFrameSize: number): QrpcError {
  if (kind === 1) return new QrpcError('ERR_INVALID_FRAME', `frame length ${length} is below the minimum ${MIN_LENGTH}`);
  if (kind === 2) return new QrpcError('ERR_FRAME_TOO_LARGE', `frame length ${length} exceeds maxFrameSize ${maxFrameSize}`);
  return noMemoryError('read');
}

/** An allocation for this connection failed (native CloseReason kCloseNoMemory / REPORT_NO_MEMORY): only it is closed. */
export function noMemoryError(during: string): QrpcError {
  return new QrpcError('ERR_NO_MEMORY', `out of memory while ${during === 'write' ? 'queueing output' : 'receiving'}; connection closed`);
}

export function socketError(errno: number, syscall: string): QrpcError {
  const cause = systemError(errno, syscall);
  return new QrpcError('ERR_SOCKET', `socket error: ${cause.code}`, { cause });
}

/** Close reasons of kEvClose (native/state.h CloseReason). */
export function closeError(reason: number, detail: number, options: SocketOptions): QrpcError | null {
  switch (reason) {
    case 0:
      return null;
    case 1:
    case 2:
      return parseError(reason, detail, options.maxFrameSize);
    case 3:
      return new QrpcError('ERR_READ_TIMEOUT', `no data for ${options.readTimeoutMs} ms`);
    case 4:
      return new QrpcError('ERR_WRITE_TIMEOUT', `output not taken for ${options.writeTimeoutMs} ms`);
    case 5:
      return new QrpcError('ERR_STALLED_PAYLOAD', `payload incomplete for ${options.stalledPayloadMs} ms after its header`);
    case 7:
      return noMemoryError('read');
    default:
      return socketError(detail, 'read');
  }
}
