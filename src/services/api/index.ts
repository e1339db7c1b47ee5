export { Api } from './api.js';
export type { RoutingKey } from './hash-ring.js';
export type { ApiCallOptions, ApiOptions, ApiResult, EndpointState, EndpointStatus, HealthOptions } from './options.js';
