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
// Services (issue 11): channel-style pipes and typed services over Go's codegen envelope.
export { jsonMarshaller, type Marshaller } from './services/marshal.js';
export { pipe, pipeHandler, PipeSender, PipeReceiver, type Pipe, type PipeMessage, type PipeOptions, type OpenPipeOptions, type SendOptions, type StreamInitiator } from './services/pipe/index.js';
export * from './services/typed/index.js';
// Cluster (issue 10, broker part): server.cluster, the broker seam, the Redis broker.
export { Cluster, type IdLocation } from './server/cluster/cluster.js';
export type { Broker, BrokerPush, LocalNode, IdClaim, PushToIdsReport, FanOutReport, RemotePushReport } from './server/cluster/broker.js';
export { redisBroker, type RedisBrokerOptions } from './cluster/redis/index.js';
// cluster/restart (issue 10, workers part): graceful restart by handing listening sockets to a new process.
export { GracefulRestart, type GracefulRestartOptions } from './cluster/restart/graceful-restart.js';
export { serveWorkers, WorkerPool, type WorkersOptions, type WorkerExit, type WorkerReload } from './cluster/workers/pool.js';
export { WorkerContext } from './cluster/workers/context.js';
export { MachineBroker } from './cluster/workers/machine-broker.js';
// Multi-endpoint Api (issue 11): weighted / consistent-hash routing, failover, health.
export { Api, type ApiCallOptions, type ApiOptions, type ApiResult, type EndpointState, type EndpointStatus, type HealthOptions, type RoutingKey } from './services/api/index.js';
// Observability and Node idioms (issue 11): metrics hooks (the prom-client adapter is the 'qrpc-node/prometheus' entry), events, health.
export type { MetricsHooks, RequestOutcome, Direction } from './core/metrics-hooks.js';
export type { ServerEventMap } from './server/server-events.js';
export type { ConnectionEventMap } from './client/connection-events.js';
export type { PushIteratorOptions } from './client/push-iterator.js';
export type { ServerHealth, BindingHealth, ServerState } from './server/health.js';

// issue 10 integration (workers × broker): how node:cluster-shared listeners spread connections
export type { WorkerScheduling } from './cluster/workers/scheduling.js';
