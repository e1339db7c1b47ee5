export { redisBroker, RedisBroker } from './redis-broker.js';
export type { RedisBrokerOptions } from './options.js';
