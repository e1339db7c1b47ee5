import { QrpcError } from '../../protocol/errors.js';
import { assertCmd } from '../../protocol/cmd.js';
import { FrameWriter } from '../../core/writer.js';
import type { WaitOptions } from '../../core/call.js';
import type { Handler } from '../../core/mux.js';
import type { RequestFrame } from '../../core/request.js';
import { jsonMarshaller, type Marshaller } from '../marshal.js';
import { PipeReceiver } from './receiver.js';
import type { PipeSender } from './sender.js';
import { ClientPipeSender, type StreamInitiator } from './client-pipe.js';
import { ServePipeSender, requestFrames } from './serve-pipe.js';

export { PipeReceiver, type PipeMessage } from './receiver.js';
export { PipeSender, type SendOptions } from './sender.js';
export type { StreamInitiator } from './client-pipe.js';

/** Both ends of a pipe (Go's Transport.Pipe result). */
export interface Pipe<T = unknown> {
  sender: PipeSender<T>;
  receiver: PipeReceiver<T>;
}

export interface PipeOptions<T = unknown> {
  /** How messages become payloads and back; JSON by default (as Go's channel package). */
  marshaller?: Marshaller<T>;
}

/** Opening a pipe: `signal` / `timeoutMs` cover the whole pipe, as for streamRequest (giving up resets it). */
export interface OpenPipeOptions<T = unknown> extends PipeOptions<T>, WaitOptions {}

/**
 * A channel-style pipe over one qrpc stream (Go's channel package).
 *
 * - `pipe(conn, cmd)` opens one toward a handler at `cmd` (a Connection, or a
 *   server's ConnectionInfo toward its client); the first `send` opens the
 *   stream.
 * - `pipe(w, req)` inside a handler answers a pipe the peer opened.
 */
export function pipe<T = unknown>(conn: StreamInitiator, cmd: number, options?: OpenPipeOptions<T>): Pipe<T>;
export function pipe<T = unknown>(w: FrameWriter, req: RequestFrame<any>, options?: PipeOptions<T>): Pipe<T>;
export function pipe<T = unknown>(target: StreamInitiator | FrameWriter, cmdOrReq: number | RequestFrame<any>, options: OpenPipeOptions<T> = {}): Pipe<T> {
  const marshaller = options.marshaller ?? (jsonMarshaller as Marshaller<T>);
  checkMarshaller(marshaller);
  if (target instanceof FrameWriter) {
    const req = cmdOrReq as RequestFrame<unknown>;
    if (req === null || typeof req !== 'object' || typeof req.requestId !== 'bigint') {
      throw new QrpcError('ERR_INVALID_ARG', 'pipe(w, req) needs the handler\'s request as its second argument');
    }
    const sender = new ServePipeSender<T>(target, req.requestId, marshaller);
    return { sender, receiver: new PipeReceiver<T>(marshaller, Promise.resolve(requestFrames(req))) };
  }
  if (target === null || typeof target !== 'object' || typeof (target as StreamInitiator).streamRequest !== 'function') {
    throw new QrpcError('ERR_INVALID_ARG', 'pipe() needs a connection (anything with streamRequest) and a cmd, or a handler\'s (w, req)');
  }
  assertCmd(cmdOrReq as number);
  const { signal, timeoutMs } = options;
  const sender = new ClientPipeSender<T>(target as StreamInitiator, cmdOrReq as number, marshaller, { signal, timeoutMs });
  return { sender, receiver: new PipeReceiver<T>(marshaller, sender.frames) };
}

/** A handler serving pipes (Go's channel.NewServeHandler): `serve` gets the pipe and the request. */
export function pipeHandler<T = unknown, C = any>(serve: (p: Pipe<T>, req: RequestFrame<C>) => void | Promise<void>, options: PipeOptions<T> = {}): Handler<C> {
  if (typeof serve !== 'function') throw new QrpcError('ERR_INVALID_ARG', 'pipeHandler needs a function (pipe, req) => …');
  return (w, req) => serve(pipe<T>(w, req, options), req);
}

export function checkMarshaller(m: Marshaller<any>): void {
  if (m === null || typeof m !== 'object' || typeof m.marshal !== 'function' || typeof m.unmarshal !== 'function') {
    throw new QrpcError('ERR_INVALID_ARG', 'marshaller must be { marshal(message), unmarshal(bytes) }');
  }
}
