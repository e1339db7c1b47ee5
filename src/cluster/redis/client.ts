// Types only at the top: the redis package is loaded when a broker starts, so
// importing qrpc-node does not pay for it (it was half of the package's import time).
import type * as Redis from 'redis';

let redis: typeof Redis | null = null;

/** Loads the redis package once (the first broker start). */
export async function loadRedis(): Promise<typeof Redis> {
  redis ??= await import('redis');
  return redis;
}

/** The loaded package (after loadRedis()). */
export function loadedRedis(): typeof Redis {
  if (redis === null) throw new Error('qrpc: the redis package is used before a broker started');
  return redis;
}

export interface BrokerClientSettings {
  url: string;
  connectTimeoutMs: number;
  /** Milliseconds until the next reconnect attempt, or an Error to stop (at start: Redis unreachable). */
  reconnect(retries: number, cause: Error): number | Error;
}

/** A Redis connection as the broker uses it: no offline queue, so a command while Redis is away fails at once. */
export function createBrokerClient(settings: BrokerClientSettings) {
  return loadedRedis().createClient({
    url: settings.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: settings.connectTimeoutMs, reconnectStrategy: settings.reconnect },
  });
}

export type BrokerClient = ReturnType<typeof createBrokerClient>;
