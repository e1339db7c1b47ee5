export * from './protocol/index.js';
export { ServeMux, type Handler, type Middleware, type HandlerSource, type RequestFrame } from './server/mux.js';
export { FrameWriter, StreamWriter } from './core/writer.js';
export type { Call as Response, WaitOptions } from './core/call.js';
export type { StreamOptions } from './core/session.js';
export { deflateRawCodec, type Codec } from './core/codec.js';
export { silentLogger, stderrLogger, type Logger } from './core/logger.js';
export { Server } from './server/server.js';
export { ConnectionInfo } from './server/connection-info.js';
export type { BindingOptions, ServerOptions } from './server/options.js';
export { connect } from './client/connect.js';
export { Connection } from './client/connection.js';
export type { ClientOptions, ReconnectOptions } from './client/options.js';
export { backend, type BackendInfo } from './transport/select.js';
export type { TransportName, TlsServerOptions, TlsClientOptions, TlsPeerInfo } from './transport/types.js';
export type { WsServerOverlay, WsClientOverlay } from './overlays/ws/options.js';
// Multi-endpoint Api (issue 11): weighted / consistent-hash routing, failover, health.
export { Api, type ApiCallOptions, type ApiOptions, type ApiResult, type EndpointState, type EndpointStatus, type HealthOptions, type RoutingKey } from './services/api/index.js';
