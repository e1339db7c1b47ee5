/**
 * The machine-local broker's messages over the cluster IPC channel (advanced
 * serialization: payloads travel as Buffers). A worker asks the hub in the
 * primary (`ask`), the hub asks a worker's node (`node`), every question is
 * answered with `reply` carrying its sequence number.
 */
import type { BrokerPush, IdClaim } from '../../server/cluster/broker.js';

export type HubRequest =
  | { op: 'start'; nodeId: string; held: Array<{ bindingIndex: number; id: string; token: string }> }
  | { op: 'stop' }
  | { op: 'claim'; bindingIndex: number; id: string; token: string }
  | { op: 'release'; bindingIndex: number; id: string; token: string }
  | { op: 'lookup'; bindingIndex: number; id: string }
  | { op: 'pushToIds'; bindingIndex: number; ids: string[]; push: BrokerPush }
  | { op: 'pushAll'; bindingIndex: number; push: BrokerPush }
  | { op: 'pushToRoom'; bindingIndex: number; room: string; push: BrokerPush }
  | { op: 'roomSize'; bindingIndex: number; room: string };

/** What the hub asks of one worker's LocalNode. */
export type NodeRequest =
  | { op: 'deliverToIds'; bindingIndex: number; ids: string[]; push: BrokerPush }
  | { op: 'deliverToAll'; bindingIndex: number; push: BrokerPush }
  | { op: 'deliverToRoom'; bindingIndex: number; room: string; push: BrokerPush }
  | { op: 'kick'; bindingIndex: number; id: string; token: string }
  | { op: 'roomSize'; bindingIndex: number; room: string };

export type BrokerEnvelope =
  | { qrpc: 'broker-ask'; seq: number; request: HubRequest }
  | { qrpc: 'broker-node'; seq: number; request: NodeRequest }
  | { qrpc: 'broker-reply'; seq: number; ok: true; value: unknown }
  | { qrpc: 'broker-reply'; seq: number; ok: false; message: string };

export function isBrokerEnvelope(m: unknown): m is BrokerEnvelope {
  const q = (m as { qrpc?: unknown } | null)?.qrpc;
  return q === 'broker-ask' || q === 'broker-node' || q === 'broker-reply';
}

export type { IdClaim };
