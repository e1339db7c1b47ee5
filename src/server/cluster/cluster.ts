import { QrpcError } from '../../protocol/errors.js';
import { describeValue, type PayloadInput } from '../../protocol/frame.js';
import type { Logger } from '../../core/logger.js';
import { ConnectionInfo } from '../connection-info.js';
import { idList } from '../id-list.js';
import { kBindingAt, kConnectionClosed, kIdBound, kStart, kStop } from '../internal.js';
import type { Server } from '../server.js';
import type { Broker, FanOutReport, PushToIdsReport } from './broker.js';
import { ClaimBook } from './claims.js';
import { ClusterLocalNode } from './local-node.js';
import { newNodeId } from './node-id.js';
import { RoomRegistry } from './rooms.js';

/** Where an id is logged in. */
export interface IdLocation {
  online: boolean;
  /** The node holding it (this one's nodeId when local), or null when offline. */
  node: string | null;
  local: boolean;
}

function checkRoom(room: unknown): string {
  if (typeof room !== 'string' || room === '') throw new QrpcError('ERR_INVALID_ARG', `a room is a non-empty string, got ${describeValue(room)}`);
  return room;
}

function checkMember(conn: unknown): ConnectionInfo {
  if (!(conn instanceof ConnectionInfo)) throw new QrpcError('ERR_INVALID_ARG', `join/leave take a server ConnectionInfo, got ${describeValue(conn)}`);
  return conn;
}

/**
 * `server.cluster`: pushes by id, to all and to rooms, and id lookups, across
 * every node when the server has a broker, across this process without one.
 * This node's share is always served here directly; the broker carries the
 * rest and reports what the other nodes did.
 */
export class Cluster {
  readonly nodeId: string;
  readonly #server: Server;
  readonly #broker: Broker | null;
  readonly #logger: Logger;
  readonly #rooms = new RoomRegistry();
  readonly #claims = new ClaimBook();
  readonly #node: ClusterLocalNode;
  readonly #releases = new Set<Promise<void>>();
  #started: Promise<void> | null = null;

  /** @internal made by the Server */
  constructor(server: Server, broker: Broker | null, logger: Logger) {
    this.nodeId = newNodeId();
    this.#server = server;
    this.#broker = broker;
    this.#logger = logger;
    this.#node = new ClusterLocalNode(this.nodeId, server, this.#rooms, this.#claims, logger);
  }

  /** True when pushes and lookups reach other nodes. */
  get hasBroker(): boolean {
    return this.#broker !== null;
  }

  /** Pushes to the connections bound to `ids` wherever they are; says per id whether it was delivered. */
  async pushToIds(bindingIndex: number, ids: Iterable<string>, cmd: number, payload?: PayloadInput, flags: number = 0): Promise<PushToIdsReport> {
    const binding = this.#server[kBindingAt](bindingIndex);
    const wanted = [...new Set(idList(ids))];
    const push = binding.preparePush(cmd, payload, flags);
    const here = binding.deliverToIds(wanted, push);
    if (this.#broker === null || here.absent.length === 0) return { delivered: here.delivered, offline: here.absent, unconfirmed: [] };
    const there = await this.#broker.pushToIds(bindingIndex, here.absent, push);
    return { delivered: [...here.delivered, ...there.delivered], offline: there.offline, unconfirmed: there.unconfirmed };
  }

  /** Pushes to every connection of the binding on every node (encoded once per node). */
  async pushAll(bindingIndex: number, cmd: number, payload?: PayloadInput, flags: number = 0): Promise<FanOutReport> {
    const binding = this.#server[kBindingAt](bindingIndex);
    const push = binding.preparePush(cmd, payload, flags);
    const remote = this.#broker?.pushAll(bindingIndex, push) ?? null;
    if (remote !== null) await afterBrokerWrite();
    const local = binding.broadcast(binding.connections, push);
    return remote === null ? { nodes: 1, connections: local, unconfirmedNodes: 0 } : addLocal(local, await remote);
  }

  /** Pushes to every member of `room` on every node (encoded once per node). */
  async pushToRoom(bindingIndex: number, room: string, cmd: number, payload?: PayloadInput, flags: number = 0): Promise<FanOutReport> {
    checkRoom(room);
    const binding = this.#server[kBindingAt](bindingIndex);
    const push = binding.preparePush(cmd, payload, flags);
    const remote = this.#broker?.pushToRoom(bindingIndex, room, push) ?? null;
    if (remote !== null) await afterBrokerWrite();
    const members = this.#rooms.members(bindingIndex, room);
    const local = members.size === 0 ? 0 : binding.broadcast(members, push);
    return remote === null ? { nodes: 1, connections: local, unconfirmedNodes: 0 } : addLocal(local, await remote);
  }

  /** Whether `id` is logged in, and on which node. */
  async lookup(bindingIndex: number, id: string): Promise<IdLocation> {
    if (typeof id !== 'string' || id === '') throw new QrpcError('ERR_INVALID_ARG', `an id is a non-empty string, got ${describeValue(id)}`);
    if (this.#server[kBindingAt](bindingIndex).byId(id) !== null) return { online: true, node: this.nodeId, local: true };
    const claim = this.#broker === null ? null : await this.#broker.lookup(bindingIndex, id);
    // Our own claim without a local holder is one whose connection is closing: offline.
    if (claim === null || claim.node === this.nodeId) return { online: false, node: null, local: false };
    return { online: true, node: claim.node, local: false };
  }

  /** Adds a connection to a room of its binding; it leaves it by leave() or by closing. */
  join(conn: ConnectionInfo, room: string): void {
    checkMember(conn);
    checkRoom(room);
    if (conn.isClosed) throw new QrpcError('ERR_CONN_CLOSED', 'the connection is closed');
    this.#rooms.join(conn, room);
  }

  leave(conn: ConnectionInfo, room: string): void {
    this.#rooms.leave(checkMember(conn), checkRoom(room));
  }

  /** The rooms a connection is in (on this node: a connection lives on one node). */
  roomsOf(conn: ConnectionInfo): string[] {
    return this.#rooms.roomsOf(checkMember(conn));
  }

  /** Members of a room on all nodes. */
  async roomSize(bindingIndex: number, room: string): Promise<number> {
    checkRoom(room);
    this.#server[kBindingAt](bindingIndex);
    const local = this.#rooms.members(bindingIndex, room).size;
    return this.#broker === null ? local : local + (await this.#broker.roomSize(bindingIndex, room));
  }

  /** @internal server.listen: connects the broker (ERR_BROKER when it cannot be reached). */
  [kStart](): Promise<void> {
    if (this.#broker === null) return Promise.resolve();
    this.#started ??= this.#broker.start(this.#node).catch((err: unknown) => {
      this.#started = null;
      throw err;
    });
    return this.#started;
  }

  /** @internal end of server.shutdown: the releases of closed connections go out, then the broker disconnects. */
  async [kStop](): Promise<void> {
    if (this.#broker === null || this.#started === null) return;
    await Promise.all(this.#releases);
    await this.#broker.stop();
  }

  /** @internal setId, after the local kick: register the claim; a holder on another node is kicked before this settles. */
  async [kIdBound](conn: ConnectionInfo, id: string): Promise<void> {
    if (this.#broker === null) return;
    const claim = this.#claims.open(conn);
    const registered = this.#broker.claim(conn.bindingIndex, id, claim.token);
    // Registered or failed, it is the heartbeat's from now on (a failed one is registered on reconnect).
    claim.registered = registered.catch(() => {}).finally(() => (claim.inFlight = false));
    await registered;
  }

  /** @internal a connection closed: it leaves its rooms, and its claim (if still its own) is released. */
  [kConnectionClosed](conn: ConnectionInfo): void {
    this.#rooms.dropAll(conn);
    const claim = this.#claims.take(conn);
    const broker = this.#broker;
    if (claim === null || broker === null || conn.id === null) return;
    const id = conn.id;
    const release = claim.registered
      .then(() => broker.release(conn.bindingIndex, id, claim.token))
      .catch((err: unknown) => this.#logger.warn({ err, id }, 'qrpc: releasing an id at the broker failed; it expires by its TTL'))
      .finally(() => this.#releases.delete(release));
    this.#releases.add(release);
  }
}

/**
 * One turn of the event loop: the other nodes' message leaves first (node-redis writes in a
 * setImmediate queued before this one), so they write their share while this node writes its own
 * instead of after it.
 */
function afterBrokerWrite(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function addLocal(local: number, remote: FanOutReport): FanOutReport {
  return { nodes: remote.nodes + 1, connections: remote.connections + local, unconfirmedNodes: remote.unconfirmedNodes };
}
