import cluster from 'node:cluster';
import { QrpcError } from '../../protocol/errors.js';

/**
 * How node:cluster spreads the connections of shared (non-native) listeners:
 * 'os' (SCHED_NONE: every worker accepts from the one listening socket) or
 * 'round-robin' (SCHED_RR: the primary accepts and hands each connection on).
 */
export type WorkerScheduling = 'os' | 'round-robin';

/**
 * Round-robin loses connections when a worker dies: the primary keeps each
 * connection it handed on until the worker confirms, and a dead worker never
 * does (Node 20's RoundRobinHandle neither closes nor redistributes it), so
 * its client waits forever. With 'os' an unaccepted connection stays in the
 * kernel's queue for the other workers, and the primary is off the accept
 * path. NODE_CLUSTER_SCHED_POLICY, when set, wins (the operator's choice).
 * The policy is process-wide and frozen by the first fork: set it before.
 */
export function applyScheduling(choice: unknown): void {
  if (choice !== undefined && choice !== 'os' && choice !== 'round-robin') {
    throw new QrpcError('ERR_INVALID_ARG', `scheduling must be 'os' or 'round-robin', got ${String(choice)}`);
  }
  if (process.env.NODE_CLUSTER_SCHED_POLICY !== undefined && choice === undefined) return;
  cluster.schedulingPolicy = choice === 'round-robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
}
