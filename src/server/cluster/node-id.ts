import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** host-pid-random: readable in logs, and a restarted process (same pid reused) is still a new node. */
export function newNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
