import { Buffer } from 'node:buffer';
import process from 'node:process';
import { QrpcError } from '../../protocol/errors.js';
import type { Broker, BrokerPush, FanOutReport, IdClaim, LocalNode, RemotePushReport } from '../../server/cluster/broker.js';
import { isBrokerEnvelope, type BrokerEnvelope, type HubRequest, type NodeRequest } from './broker-messages.js';
import { PendingReplies } from './replies.js';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The broker between the workers of one machine (serveWorkers): no Redis,
 * the primary process is the hub (broker-hub.ts) and the cluster IPC channel
 * the wire. Get it in a worker as `worker.broker`.
 */
export class MachineBroker implements Broker {
  private readonly replies = new PendingReplies();
  private node: LocalNode | null = null;
  private stopped: Promise<void> | null = null;
  private readonly onMessage = (m: unknown) => {
    if (!isBrokerEnvelope(m)) return;
    if (m.qrpc === 'broker-reply') this.replies.settle(m);
    else if (m.qrpc === 'broker-node') this.serveNode(m.seq, m.request);
  };
  private readonly onDisconnect = () => this.replies.failAll(new QrpcError('ERR_BROKER', 'the primary process is gone'));

  /** @param timeoutMs how long the hub may take to answer (it waits for other workers' confirmations within its own limit). */
  constructor(private readonly timeoutMs = 10_000) {}

  private ask<T>(request: HubRequest): Promise<T> {
    if (process.send === undefined || !process.connected) return Promise.reject(new QrpcError('ERR_BROKER', 'the machine broker works in a serveWorkers() worker only (no IPC channel to the primary)'));
    return this.replies.ask<T>((seq) => process.send!({ qrpc: 'broker-ask', seq, request } satisfies BrokerEnvelope), this.timeoutMs, `broker ${request.op}`);
  }

  private serveNode(seq: number, r: NodeRequest): void {
    // Structured clone may hand a Buffer over as a plain Uint8Array: the node gets a Buffer view of the same bytes.
    if ('push' in r) r.push.payload = asBuffer(r.push.payload);
    const reply = (m: BrokerEnvelope) => process.connected && process.send!(m);
    const node = this.node;
    if (node === null) return void reply({ qrpc: 'broker-reply', seq, ok: false, message: 'this worker\'s broker is not started' });
    let result: unknown;
    try {
      switch (r.op) {
        case 'deliverToIds': result = node.deliverToIds(r.bindingIndex, r.ids, r.push); break;
        case 'deliverToAll': result = node.deliverToAll(r.bindingIndex, r.push); break;
        case 'deliverToRoom': result = node.deliverToRoom(r.bindingIndex, r.room, r.push); break;
        case 'roomSize': result = node.roomSize(r.bindingIndex, r.room); break;
        case 'kick': result = node.kick(r.bindingIndex, r.id, r.token); break;
      }
    } catch (err) {
      return void reply({ qrpc: 'broker-reply', seq, ok: false, message: (err as Error).message });
    }
    Promise.resolve(result).then(
      (value) => reply({ qrpc: 'broker-reply', seq, ok: true, value }),
      (err: unknown) => reply({ qrpc: 'broker-reply', seq, ok: false, message: (err as Error).message }),
    );
  }

  async start(node: LocalNode): Promise<void> {
    if (this.node !== null) throw new QrpcError('ERR_BROKER', 'the machine broker serves one node');
    this.node = node;
    process.on('message', this.onMessage);
    process.once('disconnect', this.onDisconnect);
    try {
      await this.ask({ op: 'start', nodeId: node.nodeId, held: [...node.heldIds()] });
    } catch (err) {
      this.detach();
      this.node = null;
      throw err;
    }
  }

  stop(): Promise<void> {
    if (this.node === null) return Promise.resolve();
    this.stopped ??= this.ask<void>({ op: 'stop' }).catch(() => {}).finally(() => this.detach());
    return this.stopped;
  }

  private detach(): void {
    process.off('message', this.onMessage);
    process.off('disconnect', this.onDisconnect);
  }

  claim(bindingIndex: number, id: string, token: string): Promise<IdClaim | null> {
    return this.ask({ op: 'claim', bindingIndex, id, token });
  }

  release(bindingIndex: number, id: string, token: string): Promise<void> {
    return this.ask({ op: 'release', bindingIndex, id, token });
  }

  lookup(bindingIndex: number, id: string): Promise<IdClaim | null> {
    return this.ask({ op: 'lookup', bindingIndex, id });
  }

  pushToIds(bindingIndex: number, ids: readonly string[], push: BrokerPush): Promise<RemotePushReport> {
    return this.ask({ op: 'pushToIds', bindingIndex, ids: [...ids], push });
  }

  pushAll(bindingIndex: number, push: BrokerPush): Promise<FanOutReport> {
    return this.ask({ op: 'pushAll', bindingIndex, push });
  }

  pushToRoom(bindingIndex: number, room: string, push: BrokerPush): Promise<FanOutReport> {
    return this.ask({ op: 'pushToRoom', bindingIndex, room, push });
  }

  roomSize(bindingIndex: number, room: string): Promise<number> {
    return this.ask({ op: 'roomSize', bindingIndex, room });
  }
}
