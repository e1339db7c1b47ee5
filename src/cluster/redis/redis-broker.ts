import { QrpcError } from '../../protocol/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Broker, BrokerPush, FanOutReport, IdClaim, LocalNode, PushToIdsReport } from '../../server/cluster/broker.js';
import { createBrokerClient, loadRedis, loadedRedis, type BrokerClient } from './client.js';
import { AckTable, type AckOutcome } from './acks.js';
import { decodeMessage, encodeMessage, pushOf, type Ack, type BrokerMessage } from './messages.js';
import { checkRedisBrokerOptions, type RedisBrokerOptions, type ResolvedRedisBrokerOptions } from './options.js';
import { PUSH_TO_IDS, REFRESH, RELEASE } from './scripts.js';
import { callScript } from './script-call.js';
import { RouteCache } from './routes.js';

type RedisClient = BrokerClient;

/** PUSH_TO_IDS's answer: offline key indexes, then node, receivers, key indexes, claim values per node. */
type PushToIdsReply = [number[], ...Array<string | number | number[] | string[]>];

/** Whether a failed command may have been executed anyway (it was written, then the connection dropped). */
function sentMaybe(err: unknown): boolean {
  const cause = err instanceof QrpcError ? err.cause : err;
  const { ClientClosedError, ClientOfflineError, ErrorReply } = loadedRedis();
  return !(cause instanceof ClientOfflineError || cause instanceof ClientClosedError || cause instanceof ErrorReply || (err instanceof QrpcError && cause === undefined));
}

/** Routes remembered for pushes by id (see RouteCache); past this many the oldest go. */
const ROUTE_CAPACITY = 100_000;

/** One part of a push by id (by route or by the registry), and the ids to try again by the registry. */
type PushPart = PushToIdsReport & { retry: string[] };

function parseClaim(raw: unknown): IdClaim | null {
  if (typeof raw !== 'string') return null;
  const space = raw.lastIndexOf(' ');
  return space <= 0 ? null : { node: raw.slice(0, space), token: raw.slice(space + 1) };
}

/**
 * The Redis broker. Registry: one key per logged-in id, `<prefix>:id:<binding>:<id>`
 * = "<nodeId> <token>", with a TTL (idTtlMs) that the holding node extends every
 * idTtlMs/3: a node that dies stops extending, and its ids vanish within idTtlMs.
 * Stale entries are also cleaned as soon as they are met: a push or lookup that
 * finds the holder's node channel without a subscriber (the node is gone) deletes
 * the entry it read. Messaging: pub/sub, one channel per node (pushes by id,
 * kicks, acks) and one for all nodes (pushAll, rooms, room sizes). Every message
 * that asks a node to do something is acknowledged; PUBLISH says how many nodes
 * received it, so the sender knows how many acks to wait for.
 */
export class RedisBroker implements Broker {
  private readonly options: ResolvedRedisBrokerOptions;
  private readonly logger: Logger;
  private readonly acks: AckTable;
  private readonly routes = new RouteCache(ROUTE_CAPACITY);
  private node: LocalNode | null = null;
  private commands: RedisClient | null = null;
  private subscriber: RedisClient | null = null;
  private running = false;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Logged once per outage, not once per reconnect attempt. */
  private outage = false;

  constructor(options: RedisBrokerOptions = {}) {
    this.options = checkRedisBrokerOptions(options);
    this.logger = options.logger ?? silentLogger;
    this.acks = new AckTable(this.options.ackTimeoutMs);
  }

  private get nodeId(): string {
    return (this.node as LocalNode).nodeId;
  }

  private nodeChannel(node: string): string {
    return `${this.options.prefix}:node:${node}`;
  }

  private get allChannel(): string {
    return `${this.options.prefix}:all`;
  }

  private idKey(bindingIndex: number, id: string): string {
    return `${this.options.prefix}:id:${bindingIndex}:${id}`;
  }

  private newClient(role: string): RedisClient {
    const client = createBrokerClient({
      url: this.options.url,
      connectTimeoutMs: this.options.connectTimeoutMs,
      // At start an unreachable Redis is an error for listen(); once running, keep trying.
      reconnect: (retries, cause) => (this.running ? Math.min(50 * 2 ** retries, 1000) : cause),
    });
    client.on('error', (err: Error) => {
      if (!this.running || this.outage) return;
      this.outage = true;
      this.logger.warn({ err, role }, 'qrpc: lost the Redis broker connection; reconnecting');
    });
    client.on('reconnecting', () => this.acks.abandonAll());
    return client;
  }

  async start(node: LocalNode): Promise<void> {
    if (this.node !== null) throw new QrpcError('ERR_INVALID_ARG', 'this broker already serves a server: give each Server its own redisBroker()');
    this.node = node;
    try {
      await loadRedis();
    } catch (err) {
      this.node = null;
      throw new QrpcError('ERR_BROKER', `the redis package cannot load: ${(err as Error).message}`, { cause: err });
    }
    this.commands = this.newClient('commands');
    this.subscriber = this.newClient('subscriber');
    try {
      await Promise.all([this.commands.connect(), this.subscriber.connect()]);
      await this.subscriber.subscribe([this.nodeChannel(node.nodeId), this.allChannel], (bytes: Buffer) => this.onMessage(bytes), true);
    } catch (err) {
      await this.closeClients();
      this.node = null;
      throw new QrpcError('ERR_BROKER', `cannot reach Redis at ${this.options.url}: ${(err as Error).message}`, { cause: err });
    }
    this.running = true;
    // After a reconnect (Redis restarted, maybe empty) our ids are registered again at once.
    this.commands.on('ready', () => {
      this.outage = false;
      void this.refreshClaims();
    });
    this.heartbeat = setInterval(() => void this.refreshClaims(), Math.max(50, Math.floor(this.options.idTtlMs / 3)));
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    // Claims still held (a stop without the connections closing first): released, best effort.
    const node = this.node as LocalNode;
    await Promise.allSettled([...node.heldIds()].map(({ bindingIndex, id, token }) => this.release(bindingIndex, id, token)));
    this.running = false;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.acks.abandonAll();
    this.routes.clear();
    await this.closeClients();
  }

  private async closeClients(): Promise<void> {
    const clients = [this.commands, this.subscriber].filter((c): c is RedisClient => c !== null);
    this.commands = this.subscriber = null;
    // destroy(), not close(): during an outage close() would wait for a reconnect that may never come.
    for (const c of clients) if (c.isOpen) c.destroy();
  }

  /** Every Redis command goes through here: a failure becomes ERR_BROKER, nothing is reported as done. */
  private async command<T>(args: Array<string | Buffer>): Promise<T> {
    const client = this.commands;
    if (!this.running || client === null) throw new QrpcError('ERR_BROKER', 'the Redis broker is not running (server not listening, or shut down)');
    try {
      return (await client.sendCommand(args)) as T;
    } catch (err) {
      throw new QrpcError('ERR_BROKER', `Redis ${String(args[0])} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private script<T>(script: string, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<T> {
    return callScript((command) => this.command<T>(command), script, keys, args);
  }

  private publish(channel: string, bytes: Buffer): Promise<number> {
    return this.command<number>(['PUBLISH', channel, bytes]);
  }

  /** Sends a request and waits for its acks; `everyone` is the all-nodes channel, where we hear ourselves too. */
  private async ask(channel: string, message: (seq: number) => BrokerMessage, payload: Buffer | null, everyone: boolean): Promise<AckOutcome & { receivers: number }> {
    const wait = this.acks.open();
    let receivers: number;
    try {
      receivers = await this.publish(channel, encodeMessage(message(wait.seq), payload));
    } catch (err) {
      wait.cancel();
      throw err;
    }
    if (everyone) receivers = Math.max(0, receivers - 1);
    return { ...(await wait.expect(receivers)), receivers };
  }

  async claim(bindingIndex: number, id: string, token: string): Promise<IdClaim | null> {
    const key = this.idKey(bindingIndex, id);
    // SET ... GET: of two racing logins exactly one comes second and learns the other's claim.
    const previous = parseClaim(await this.command(['SET', key, `${this.nodeId} ${token}`, 'PX', String(this.options.idTtlMs), 'GET']));
    if (previous !== null && previous.node !== this.nodeId) {
      const from = this.nodeId;
      const kick = await this.ask(this.nodeChannel(previous.node), (seq) => ({ t: 'kick', from, seq, b: bindingIndex, id, token: previous.token }), null, false);
      if (kick.receivers > 0 && !kick.complete) this.logger.warn({ id, node: previous.node }, 'qrpc: the node holding a kicked id did not confirm the kick in time');
    }
    return previous;
  }

  async release(bindingIndex: number, id: string, token: string): Promise<void> {
    await this.script(RELEASE, [this.idKey(bindingIndex, id)], [`${this.nodeId} ${token}`]);
  }

  async lookup(bindingIndex: number, id: string): Promise<IdClaim | null> {
    const key = this.idKey(bindingIndex, id);
    const raw = await this.command<string | null>(['GET', key]);
    const claim = parseClaim(raw);
    if (claim === null || claim.node === this.nodeId) return claim;
    const [, subscribers] = await this.command<[string, number]>(['PUBSUB', 'NUMSUB', this.nodeChannel(claim.node)]);
    if (Number(subscribers) > 0) return claim;
    this.dropStale(key, raw as string);
    return null;
  }

  /** An entry whose node is gone (killed before its TTL ran out): deleted if it still says the same. */
  private dropStale(key: string, raw: string): void {
    this.script(RELEASE, [key], [raw]).catch(() => {});
  }

  /**
   * Ids whose holder we know from an earlier push are published to that node
   * directly (one PUBLISH, no script); the others go through the registry
   * script. What a route got wrong (the node no longer holds the id, or is
   * gone) is tried once more through the registry, so the report is the
   * registry's truth either way.
   */
  async pushToIds(bindingIndex: number, ids: readonly string[], push: BrokerPush): Promise<PushToIdsReport> {
    const byNode = new Map<string, string[]>();
    const unrouted: string[] = [];
    for (const id of ids) {
      const node = this.routes.get(bindingIndex, id);
      if (node === undefined) unrouted.push(id);
      else if (byNode.has(node)) (byNode.get(node) as string[]).push(id);
      else byNode.set(node, [id]);
    }
    const parts: Array<Promise<PushPart>> = [...byNode].map(([node, nodeIds]) => this.pushByRoute(bindingIndex, node, nodeIds, push));
    if (unrouted.length > 0) parts.push(this.pushByRegistry(bindingIndex, unrouted, push));
    const first = await settleParts(parts, ids);
    if (first.retry.length === 0) return stripRetry(first);
    const done: PushPart = { ...first, retry: [] };
    return stripRetry(await settleParts([Promise.resolve(done), this.pushByRegistry(bindingIndex, first.retry, push)], ids));
  }

  private async pushByRoute(bindingIndex: number, node: string, ids: string[], push: BrokerPush): Promise<PushPart> {
    const from = this.nodeId;
    let outcome: AckOutcome & { receivers: number };
    try {
      outcome = await this.ask(this.nodeChannel(node), (seq) => ({ t: 'ids', from, seq, b: bindingIndex, ids, cmd: push.cmd, flags: push.flags }), push.payload, false);
    } catch (err) {
      this.routes.forget(bindingIndex, ids);
      if (!sentMaybe(err)) throw err;
      return { delivered: [], offline: [], unconfirmed: [...ids], retry: [] };
    }
    if (outcome.receivers === 0) {
      // The node is gone: the registry way reports these ids offline and deletes their stale entries.
      this.routes.forget(bindingIndex, ids);
      return { delivered: [], offline: [], unconfirmed: [], retry: [...ids] };
    }
    const part: PushPart = { delivered: [], offline: [], unconfirmed: [], retry: [] };
    const answered = new Set<string>();
    for (const ack of outcome.acks) {
      for (const id of ack.delivered ?? []) answered.add(id);
      part.delivered.push(...(ack.delivered ?? []));
      // Not held there (any more): maybe logged in elsewhere since; the registry knows.
      for (const id of ack.offline ?? []) answered.add(id);
      part.retry.push(...(ack.offline ?? []));
    }
    for (const id of ids) if (!answered.has(id)) part.unconfirmed.push(id);
    this.routes.forget(bindingIndex, part.retry);
    this.routes.forget(bindingIndex, part.unconfirmed);
    return part;
  }

  private async pushByRegistry(bindingIndex: number, ids: readonly string[], push: BrokerPush): Promise<PushPart> {
    const keyPrefix = this.idKey(bindingIndex, '');
    const wait = this.acks.open();
    // The header without its closing brace: the script appends each node's "ids" (no JSON decoding in Lua).
    const header = JSON.stringify({ t: 'ids', from: this.nodeId, seq: wait.seq, b: bindingIndex, cmd: push.cmd, flags: push.flags }).slice(0, -1);
    let reply: PushToIdsReply;
    try {
      const keys = ids.map((id) => keyPrefix + id);
      reply = await this.script<PushToIdsReply>(PUSH_TO_IDS, keys, [this.nodeChannel(''), header, push.payload, this.nodeId, String(Buffer.byteLength(keyPrefix))]);
    } catch (err) {
      wait.cancel();
      // Never sent (Redis away, client offline): a failure. Lost in flight: it may have gone out.
      if (!sentMaybe(err)) throw err;
      return { delivered: [], offline: [], unconfirmed: [...ids], retry: [] };
    }
    const report: PushPart = { delivered: [], offline: reply[0].map((i) => ids[i] as string), unconfirmed: [], retry: [] };
    const sentTo: string[] = [];
    const holders = new Map<string, string>();
    let receivers = 0;
    for (let k = 1; k < reply.length; k += 4) {
      const node = reply[k] as string;
      const count = Number(reply[k + 1]);
      const nodeIds = (reply[k + 2] as number[]).map((i) => ids[i] as string);
      const raws = reply[k + 3] as string[];
      if (count === 0) {
        // The holder's node is gone (killed before its entries expired): not delivered, and its entries go.
        this.logger.debug({ node, ids: nodeIds.length }, 'qrpc: pushed ids held by a node that is gone');
        report.offline.push(...nodeIds);
        nodeIds.forEach((id, j) => this.dropStale(keyPrefix + id, raws[j] as string));
      } else {
        receivers += count;
        sentTo.push(...nodeIds);
        for (const id of nodeIds) holders.set(id, node);
      }
    }
    if (sentTo.length === 0) {
      wait.cancel();
      return report;
    }
    const answered = new Set<string>();
    for (const ack of (await wait.expect(receivers)).acks) {
      for (const id of ack.delivered ?? []) answered.add(id);
      for (const id of ack.offline ?? []) answered.add(id);
      report.delivered.push(...(ack.delivered ?? []));
      report.offline.push(...(ack.offline ?? []));
    }
    for (const id of sentTo) if (!answered.has(id)) report.unconfirmed.push(id);
    // Only a holder that confirmed becomes a route.
    for (const id of report.delivered) {
      const node = holders.get(id);
      if (node !== undefined) this.routes.set(bindingIndex, id, node);
    }
    return report;
  }

  async pushAll(bindingIndex: number, push: BrokerPush): Promise<FanOutReport> {
    const from = this.nodeId;
    return fanOutReport(await this.ask(this.allChannel, (seq) => ({ t: 'all', from, seq, b: bindingIndex, cmd: push.cmd, flags: push.flags }), push.payload, true));
  }

  async pushToRoom(bindingIndex: number, room: string, push: BrokerPush): Promise<FanOutReport> {
    const from = this.nodeId;
    return fanOutReport(await this.ask(this.allChannel, (seq) => ({ t: 'room', from, seq, b: bindingIndex, room, cmd: push.cmd, flags: push.flags }), push.payload, true));
  }

  async roomSize(bindingIndex: number, room: string): Promise<number> {
    const from = this.nodeId;
    const outcome = await this.ask(this.allChannel, (seq) => ({ t: 'size', from, seq, b: bindingIndex, room }), null, true);
    if (!outcome.complete) throw new QrpcError('ERR_TIMEOUT', `room size: ${outcome.receivers - outcome.acks.length} node(s) did not answer within ${this.options.ackTimeoutMs} ms`);
    return outcome.acks.reduce((sum, ack) => sum + (ack.n ?? 0), 0);
  }

  /** Heartbeat and re-registration: extend (or put back) every claim of ours; a claim lost to another node kicks ours. */
  private async refreshClaims(): Promise<void> {
    const node = this.node;
    if (!this.running || node === null) return;
    const value = (token: string) => `${node.nodeId} ${token}`;
    await Promise.all(
      [...node.heldIds()].map(async ({ bindingIndex, id, token }) => {
        try {
          const kept = await this.script<number>(REFRESH, [this.idKey(bindingIndex, id)], [value(token), String(this.options.idTtlMs)]);
          if (kept === 0) await node.kick(bindingIndex, id, token);
        } catch {
          // Redis is away: the next beat (or the reconnect) tries again.
        }
      }),
    );
  }

  private onMessage(bytes: Buffer): void {
    const decoded = decodeMessage(bytes);
    const node = this.node;
    if (decoded === null || node === null) return;
    const { message: m, payload } = decoded;
    try {
      switch (m.t) {
        case 'ack':
          this.acks.receive(m);
          return;
        case 'ids': {
          const delivered = node.deliverToIds(m.b, m.ids, pushOf(m, payload));
          const took = new Set(delivered);
          this.answer(m.from, { t: 'ack', seq: m.seq, delivered, offline: m.ids.filter((id) => !took.has(id)) });
          return;
        }
        case 'kick':
          void node.kick(m.b, m.id, m.token).then(
            (kicked) => this.answer(m.from, { t: 'ack', seq: m.seq, n: kicked ? 1 : 0 }),
            (err: unknown) => this.logger.error({ err, id: m.id }, 'qrpc: kick from another node failed'),
          );
          return;
      }
      // The all-nodes channel: our own messages come back to us too, and our share is already done.
      if (m.from === node.nodeId) return;
      if (m.t === 'all') this.answer(m.from, { t: 'ack', seq: m.seq, n: node.deliverToAll(m.b, pushOf(m, payload)) });
      else if (m.t === 'room') this.answer(m.from, { t: 'ack', seq: m.seq, n: node.deliverToRoom(m.b, m.room, pushOf(m, payload)) });
      else if (m.t === 'size') this.answer(m.from, { t: 'ack', seq: m.seq, n: node.roomSize(m.b, m.room) });
    } catch (err) {
      this.logger.error({ err, type: m.t }, 'qrpc: a broker message could not be handled');
    }
  }

  private answer(to: string, ack: Ack): void {
    this.publish(this.nodeChannel(to), encodeMessage(ack)).catch((err: unknown) => this.logger.warn({ err }, 'qrpc: an ack could not be sent; the sender reports it unconfirmed'));
  }
}

/**
 * The parts of one push by id, together. A part that failed before anything
 * was sent (Redis away) fails the whole push unless another part delivered
 * (or may have delivered) something; then its ids are reported unconfirmed,
 * never delivered, so the report does not hide bytes that went out.
 */
async function settleParts(parts: Array<Promise<PushPart>>, ids: readonly string[]): Promise<PushPart> {
  const settled = await Promise.allSettled(parts);
  const report: PushPart = { delivered: [], offline: [], unconfirmed: [], retry: [] };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const wentOut = settled.some((s) => s.status === 'fulfilled' && s.value.delivered.length + s.value.unconfirmed.length > 0);
  if (failed !== undefined && !wentOut) throw failed.reason;
  const accounted = new Set<string>();
  for (const s of settled) {
    if (s.status === 'rejected') continue;
    for (const key of ['delivered', 'offline', 'unconfirmed', 'retry'] as const) {
      report[key].push(...s.value[key]);
      for (const id of s.value[key]) accounted.add(id);
    }
  }
  for (const id of ids) if (!accounted.has(id)) report.unconfirmed.push(id);
  return report;
}

function stripRetry({ delivered, offline, unconfirmed }: PushPart): PushToIdsReport {
  return { delivered, offline, unconfirmed };
}

function fanOutReport(outcome: AckOutcome & { receivers: number }): FanOutReport {
  let connections = 0;
  for (const ack of outcome.acks) connections += ack.n ?? 0;
  return { nodes: outcome.acks.length, connections, unconfirmedNodes: Math.max(0, outcome.receivers - outcome.acks.length) };
}

/** A broker over Redis for the server's `broker` option: `new Server(bindings, { broker: redisBroker({ url }) })`. */
export function redisBroker(options: RedisBrokerOptions = {}): Broker {
  return new RedisBroker(options);
}
