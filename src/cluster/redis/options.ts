import { QrpcError } from '../../protocol/errors.js';
import { describeValue } from '../../protocol/frame.js';
import type { Logger } from '../../core/logger.js';

export interface RedisBrokerOptions {
  /** redis://[user:pass@]host:port[/db]; default redis://127.0.0.1:6379. */
  url?: string;
  /** Prefix of every key and channel, so several clusters can share one Redis; default "qrpc". */
  prefix?: string;
  /** Lifetime of an id's registry entry unless its node extends it (every idTtlMs/3): how long a dead node's ids linger; default 15000. */
  idTtlMs?: number;
  /** How long a push or kick sent to another node waits for its acknowledgement; default 5000. */
  ackTimeoutMs?: number;
  /** TCP connect timeout to Redis; default 5000. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export type ResolvedRedisBrokerOptions = Required<Omit<RedisBrokerOptions, 'logger'>>;

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new QrpcError('ERR_INVALID_ARG', `redisBroker: ${name} must be a positive number of ms, got ${describeValue(value)}`);
  return value;
}

export function checkRedisBrokerOptions(o: RedisBrokerOptions): ResolvedRedisBrokerOptions {
  if (o === null || typeof o !== 'object') throw new QrpcError('ERR_INVALID_ARG', 'redisBroker takes an options object');
  const url = o.url ?? 'redis://127.0.0.1:6379';
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) throw new QrpcError('ERR_INVALID_ARG', `redisBroker: url must be redis:// or rediss://, got ${describeValue(url)}`);
  const prefix = o.prefix ?? 'qrpc';
  if (typeof prefix !== 'string' || prefix === '') throw new QrpcError('ERR_INVALID_ARG', 'redisBroker: prefix must be a non-empty string');
  return {
    url,
    prefix,
    idTtlMs: Math.round(positive('idTtlMs', o.idTtlMs, 15_000)),
    ackTimeoutMs: positive('ackTimeoutMs', o.ackTimeoutMs, 5_000),
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, 5_000),
  };
}
