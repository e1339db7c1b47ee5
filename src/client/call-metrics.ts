import { performance } from 'node:perf_hooks';
import type { CompleteMetricsHooks } from '../core/metrics-hooks.js';

/** Reports a client request when its first answer frame arrives (outcome 'ok') or it fails (outcome: the error's code). */
export function measureAnswer(metrics: CompleteMetricsHooks, cmd: number, started: number, answer: Promise<unknown>): void {
  answer.then(
    () => metrics.request(cmd, 'ok', (performance.now() - started) / 1000),
    (err: { code?: unknown }) => metrics.request(cmd, typeof err?.code === 'string' ? err.code : 'error', (performance.now() - started) / 1000),
  );
}
