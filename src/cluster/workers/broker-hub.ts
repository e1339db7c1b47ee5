import type { Worker } from 'node:cluster';
import { QrpcError } from '../../protocol/errors.js';
import type { BrokerPush, FanOutReport, IdClaim, PushToIdsReport } from '../../server/cluster/broker.js';
import { isBrokerEnvelope, type BrokerEnvelope, type HubRequest, type NodeRequest } from './broker-messages.js';
import { PendingReplies } from './replies.js';

interface NodeLink {
  nodeId: string;
  worker: Worker;
}

const claimKey = (bindingIndex: number, id: string) => `${bindingIndex}\n${id}`;

/**
 * The machine-local broker's centre, in the primary: the id registry of all
 * workers, and the router of their pushes and kicks (what Redis is to the
 * Redis broker). A worker that exits takes its claims with it: its ids are
 * offline at once, and questions it did not answer count as unconfirmed.
 */
export class BrokerHub {
  private readonly nodes = new Map<string, NodeLink>();
  private readonly claims = new Map<string, IdClaim>();
  private readonly replies = new Map<Worker, PendingReplies>();

  constructor(readonly confirmTimeoutMs: number) {}

  /** Serves a worker's broker from its first message on. */
  attach(worker: Worker): void {
    const replies = new PendingReplies();
    this.replies.set(worker, replies);
    worker.on('message', (m: unknown) => {
      if (!isBrokerEnvelope(m)) return;
      if (m.qrpc === 'broker-reply') return replies.settle(m);
      if (m.qrpc !== 'broker-ask') return;
      this.run(worker, m.request).then(
        (value) => this.send(worker, { qrpc: 'broker-reply', seq: m.seq, ok: true, value }),
        (err: unknown) => this.send(worker, { qrpc: 'broker-reply', seq: m.seq, ok: false, message: (err as Error).message }),
      );
    });
    worker.once('exit', () => {
      this.replies.delete(worker);
      replies.failAll(new QrpcError('ERR_BROKER', `worker pid ${worker.process.pid} exited`));
      for (const link of this.nodes.values()) if (link.worker === worker) this.dropNode(link.nodeId);
    });
  }

  private send(worker: Worker, m: BrokerEnvelope): boolean {
    if (!worker.isConnected()) return false;
    return worker.send(m);
  }

  private dropNode(nodeId: string): void {
    this.nodes.delete(nodeId);
    for (const [key, claim] of this.claims) if (claim.node === nodeId) this.claims.delete(key);
  }

  private askNode<T>(link: NodeLink, request: NodeRequest): Promise<T> {
    const replies = this.replies.get(link.worker);
    if (replies === undefined) return Promise.reject(new QrpcError('ERR_BROKER', `node ${link.nodeId} is gone`));
    return replies.ask<T>((seq) => this.send(link.worker, { qrpc: 'broker-node', seq, request }), this.confirmTimeoutMs, `${request.op} on node ${link.nodeId}`);
  }

  private nodeOf(worker: Worker): NodeLink {
    for (const link of this.nodes.values()) if (link.worker === worker) return link;
    throw new QrpcError('ERR_BROKER', 'this worker has not started its broker');
  }

  private others(self: NodeLink): NodeLink[] {
    return [...this.nodes.values()].filter((l) => l !== self);
  }

  private async run(worker: Worker, r: HubRequest): Promise<unknown> {
    if (r.op === 'start') {
      const link = { nodeId: r.nodeId, worker };
      this.nodes.set(r.nodeId, link);
      for (const h of r.held) if (!this.claims.has(claimKey(h.bindingIndex, h.id))) this.claims.set(claimKey(h.bindingIndex, h.id), { node: r.nodeId, token: h.token });
      return null;
    }
    const self = this.nodeOf(worker);
    switch (r.op) {
      case 'stop':
        this.dropNode(self.nodeId);
        return null;
      case 'claim':
        return this.claim(self, r.bindingIndex, r.id, r.token);
      case 'release': {
        const key = claimKey(r.bindingIndex, r.id);
        const held = this.claims.get(key);
        if (held?.node === self.nodeId && held.token === r.token) this.claims.delete(key);
        return null;
      }
      case 'lookup':
        return this.claims.get(claimKey(r.bindingIndex, r.id)) ?? null;
      case 'pushToIds':
        return this.pushToIds(self, r.bindingIndex, r.ids, r.push);
      case 'pushAll':
        return this.fanOut(self, { op: 'deliverToAll', bindingIndex: r.bindingIndex, push: r.push });
      case 'pushToRoom':
        return this.fanOut(self, { op: 'deliverToRoom', bindingIndex: r.bindingIndex, room: r.room, push: r.push });
      case 'roomSize': {
        // A node that does not answer makes the sum unknown: rejected, not under-reported.
        const sizes = await Promise.all(this.others(self).map((l) => this.askNode<number>(l, { op: 'roomSize', bindingIndex: r.bindingIndex, room: r.room })));
        return sizes.reduce((a, b) => a + b, 0);
      }
    }
  }

  /** The last claim wins; the connection of a replaced claim on another node is kicked before this answers. */
  private async claim(self: NodeLink, bindingIndex: number, id: string, token: string): Promise<IdClaim | null> {
    const key = claimKey(bindingIndex, id);
    const previous = this.claims.get(key) ?? null;
    this.claims.set(key, { node: self.nodeId, token });
    const holder = previous === null || previous.node === self.nodeId ? undefined : this.nodes.get(previous.node);
    if (holder !== undefined) {
      // A holder that exits or does not answer is gone as far as this claim is concerned.
      await this.askNode(holder, { op: 'kick', bindingIndex, id, token: previous!.token }).catch(() => {});
    }
    return previous;
  }

  private async pushToIds(self: NodeLink, bindingIndex: number, ids: string[], push: BrokerPush): Promise<PushToIdsReport> {
    const report: PushToIdsReport = { delivered: [], offline: [], unconfirmed: [] };
    const byNode = new Map<NodeLink, string[]>();
    for (const id of ids) {
      const claim = this.claims.get(claimKey(bindingIndex, id));
      const link = claim === undefined || claim.node === self.nodeId ? undefined : this.nodes.get(claim.node);
      if (link === undefined) report.offline.push(id);
      else byNode.set(link, [...(byNode.get(link) ?? []), id]);
    }
    await Promise.all(
      [...byNode].map(async ([link, group]) => {
        try {
          const delivered = new Set(await this.askNode<string[]>(link, { op: 'deliverToIds', bindingIndex, ids: group, push }));
          for (const id of group) (delivered.has(id) ? report.delivered : report.offline).push(id);
        } catch {
          report.unconfirmed.push(...group);
        }
      }),
    );
    return report;
  }

  private async fanOut(self: NodeLink, request: NodeRequest): Promise<FanOutReport> {
    const report: FanOutReport = { nodes: 0, connections: 0, unconfirmedNodes: 0 };
    await Promise.all(
      this.others(self).map(async (link) => {
        try {
          report.connections += await this.askNode<number>(link, request);
          report.nodes++;
        } catch {
          report.unconfirmedNodes++;
        }
      }),
    );
    return report;
  }
}
