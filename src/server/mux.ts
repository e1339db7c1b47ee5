import { ServeMux as CoreServeMux, type Handler as CoreHandler, type HandlerSource as CoreHandlerSource, type Middleware as CoreMiddleware } from '../core/mux.js';
import type { RequestFrame as CoreRequestFrame } from '../core/request.js';
import type { ConnectionInfo } from './connection-info.js';

/**
 * The router with `req.connection` typed as the server's ConnectionInfo by
 * default; a client serving the server's calls uses `new ServeMux<Connection>()`
 * (or any mux: the client accepts every handler source).
 */
export class ServeMux<C = ConnectionInfo> extends CoreServeMux<C> {}
export type Handler<C = ConnectionInfo> = CoreHandler<C>;
export type Middleware<C = ConnectionInfo> = CoreMiddleware<C>;
export type HandlerSource<C = ConnectionInfo> = CoreHandlerSource<C>;
/** A request as a handler sees it (Go's RequestFrame). */
export type RequestFrame<C = ConnectionInfo> = CoreRequestFrame<C>;
