import { assertCmd, routingOf } from '../protocol/cmd.js';
import { QrpcError } from '../protocol/errors.js';
import { toPayload, type PayloadInput } from '../protocol/frame.js';
import type { RequestFrame } from './request.js';
import type { FrameWriter } from './writer.js';

/**
 * Answers a request through the writer; the returned promise (if any) marks
 * the end of handling. `C` is the type of `req.connection` (the server's
 * ConnectionInfo by default, see server/mux.ts).
 */
export type Handler<C = unknown> = (w: FrameWriter, req: RequestFrame<C>) => void | Promise<void>;
/** Runs before the handler; returning false stops the chain (the handler must then have answered, or a reset is sent). */
export type Middleware<C = unknown> = (w: FrameWriter, req: RequestFrame<C>) => boolean | Promise<boolean>;

/** Anything that can resolve a request to a handler: a ServeMux or a single catch-all function. */
export interface HandlerSource<C = unknown> {
  /** The handler for `cmd`, or null when nothing is registered for its routing part. */
  lookup(cmd: number): Handler<C> | null;
}

export function toHandlerSource<C>(handler: Handler<C> | HandlerSource<C> | null | undefined): HandlerSource<C> | null {
  if (handler == null) return null;
  if (typeof handler === 'function') return { lookup: () => handler };
  if (typeof (handler as HandlerSource<C>).lookup !== 'function') throw new QrpcError('ERR_INVALID_ARG', 'handler must be a function or a ServeMux');
  return handler;
}

function chain<C>(handler: Handler<C>, middleware: Middleware<C>[]): Handler<C> {
  if (middleware.length === 0) return handler;
  return async (w, req) => {
    for (const mw of middleware) {
      if (!(await mw(w, req))) return;
    }
    await handler(w, req);
  };
}

/**
 * Go's ServeMux: routes by the low 16 bits of cmd; the high 8 bits are opaque
 * to routing. Each cmd has its own middleware chain.
 */
export class ServeMux<C = unknown> implements HandlerSource<C> {
  private readonly routes = new Map<number, Handler<C>>();

  handle(cmd: number, handler: Handler<C>, ...middleware: Middleware<C>[]): this {
    assertCmd(cmd);
    const routing = routingOf(cmd);
    if (this.routes.has(routing)) {
      throw new QrpcError('ERR_DUPLICATE_HANDLER', `a handler is already registered for cmd ${routing}`);
    }
    if (typeof handler !== 'function') throw new QrpcError('ERR_INVALID_ARG', 'handler must be a function');
    for (const mw of middleware) if (typeof mw !== 'function') throw new QrpcError('ERR_INVALID_ARG', 'middleware must be functions');
    this.routes.set(routing, chain(handler, middleware));
    return this;
  }

  /**
   * Convenience form: `fn` returns the reply payload (or a promise of it); the
   * reply is one frame with `replyCmd` (default: the request's cmd).
   */
  handleCall(cmd: number, fn: (req: RequestFrame<C>) => PayloadInput | Promise<PayloadInput>, options: { replyCmd?: number; middleware?: Middleware<C>[] } = {}): this {
    const replyCmd = options.replyCmd;
    const handler: Handler<C> = (w, req) => {
      const result = fn(req);
      const cmdOut = replyCmd ?? req.cmd;
      if (result instanceof Promise) return result.then((payload) => w.reply(req.requestId, cmdOut, toPayload(payload)));
      return w.reply(req.requestId, cmdOut, toPayload(result));
    };
    return this.handle(cmd, handler, ...(options.middleware ?? []));
  }

  lookup(cmd: number): Handler<C> | null {
    return this.routes.get(cmd & 0xffff) ?? null;
  }
}
