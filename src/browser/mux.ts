import { ServeMux as CoreServeMux, type Handler as CoreHandler, type HandlerSource as CoreHandlerSource, type Middleware as CoreMiddleware } from '../core/mux.js';
import type { RequestFrame as CoreRequestFrame } from '../core/request.js';
import type { Connection } from '../client/connection.js';

/** The router for the server's calls to this page: `req.connection` is the page's Connection. */
export class ServeMux<C = Connection> extends CoreServeMux<C> {}
export type Handler<C = Connection> = CoreHandler<C>;
export type Middleware<C = Connection> = CoreMiddleware<C>;
export type HandlerSource<C = Connection> = CoreHandlerSource<C>;
/** A request from the server as a handler in the page sees it. */
export type RequestFrame<C = Connection> = CoreRequestFrame<C>;
