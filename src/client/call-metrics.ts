import { performance } from 'node:perf_hooks';
import type { CompleteMetricsHooks } from '../core/metrics-hooks.js';

/**
 * Reports a client call that failed before it reached a session (not connected, or the wait for the
 * reconnection failed); outcome: the error's code. Calls on a session are measured by the session itself.
 */
export function measureFailure(metrics: CompleteMetricsHooks, cmd: number, started: number, failure: Promise<unknown>): void {
  failure.catch((err: { code?: unknown }) => metrics.request(cmd, typeof err?.code === 'string' ? err.code : 'error', (performance.now() - started) / 1000));
}
