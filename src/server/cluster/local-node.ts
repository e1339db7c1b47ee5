import type { Logger } from '../../core/logger.js';
import type { Binding } from '../binding.js';
import { kBindingAt } from '../internal.js';
import type { Server } from '../server.js';
import type { BrokerPush, LocalNode } from './broker.js';
import type { ClaimBook } from './claims.js';
import type { RoomRegistry } from './rooms.js';

/** This process's share of cluster-wide operations, as the broker reaches it. */
export class ClusterLocalNode implements LocalNode {
  constructor(
    readonly nodeId: string,
    private readonly server: Server,
    private readonly rooms: RoomRegistry,
    private readonly claims: ClaimBook,
    private readonly logger: Logger,
  ) {}

  /** A binding that cannot deliver (unknown index from a misconfigured peer node, not listening) takes nothing. */
  private deliver<T>(bindingIndex: number, none: T, fn: (b: Binding) => T): T {
    try {
      return fn(this.server[kBindingAt](bindingIndex));
    } catch (err) {
      this.logger.warn({ err, bindingIndex }, 'qrpc: a push from another node could not be delivered here');
      return none;
    }
  }

  deliverToIds(bindingIndex: number, ids: readonly string[], push: BrokerPush): string[] {
    return this.deliver(bindingIndex, [], (b) => b.deliverToIds(ids, push).delivered);
  }

  deliverToAll(bindingIndex: number, push: BrokerPush): number {
    return this.deliver(bindingIndex, 0, (b) => b.broadcast(b.connections, push));
  }

  deliverToRoom(bindingIndex: number, room: string, push: BrokerPush): number {
    const members = this.rooms.members(bindingIndex, room);
    if (members.size === 0) return 0;
    return this.deliver(bindingIndex, 0, (b) => b.broadcast(members, push));
  }

  async kick(bindingIndex: number, id: string, token: string): Promise<boolean> {
    const b = this.deliver(bindingIndex, null, (found) => found);
    const holder = b?.byId(id) ?? null;
    // Only the very login that was replaced: a newer one here (which replaced it in turn) stays.
    if (b === null || holder === null || this.claims.tokenOf(holder) !== token) return false;
    await b.kick(holder, id);
    return true;
  }

  heldIds(): Iterable<{ bindingIndex: number; id: string; token: string }> {
    return this.claims.held();
  }

  roomSize(bindingIndex: number, room: string): number {
    return this.rooms.members(bindingIndex, room).size;
  }
}
