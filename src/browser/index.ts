/**
 * qrpc-node/browser: the client for pages, over the browser's WebSocket to a
 * server binding with `overlay: 'ws'`. The same Connection, session and frame
 * code as the Node client (bundled by scripts/build-browser.mjs into
 * dist/browser/qrpc.js); only the transport is the page's.
 */
export { connect, type BrowserClientOptions } from './connect.js';
export { consoleLogger } from './console-logger.js';
export { Connection } from '../client/connection.js';
export type { ReconnectOptions } from '../client/options.js';
export { ServeMux, type Handler, type Middleware, type HandlerSource, type RequestFrame } from './mux.js';
export type { FrameWriter, StreamWriter } from '../core/writer.js';
export type { Call as Response, WaitOptions } from '../core/call.js';
export type { StreamOptions } from '../core/session.js';
export type { Codec } from '../core/codec.js';
export { silentLogger, type Logger } from '../core/logger.js';
export { Flags, isStream, isNonBlock, isDone, isPush, isReset, isCodec, flagNames } from '../protocol/flags.js';
export { routingOf, opaqueOf, withOpaque, MAX_CMD } from '../protocol/cmd.js';
export { QrpcError, ResetReason, type ErrorCode } from '../protocol/errors.js';
export type { Frame, PayloadInput } from '../protocol/frame.js';
