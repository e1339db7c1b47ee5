import { createClient } from 'redis';

export interface BrokerClientSettings {
  url: string;
  connectTimeoutMs: number;
  /** Milliseconds until the next reconnect attempt, or an Error to stop (at start: Redis unreachable). */
  reconnect(retries: number, cause: Error): number | Error;
}

/** A Redis connection as the broker uses it: no offline queue, so a command while Redis is away fails at once. */
export function createBrokerClient(settings: BrokerClientSettings) {
  return createClient({
    url: settings.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: settings.connectTimeoutMs, reconnectStrategy: settings.reconnect },
  });
}

export type BrokerClient = ReturnType<typeof createBrokerClient>;
