import murmurhash from 'murmurhash';
import { QrpcError } from '../../protocol/errors.js';
import { asBytes, describeValue } from '../../protocol/frame.js';

/** What a routing key may be: users, rooms and sessions are named by strings, numbers or bytes. */
export type RoutingKey = string | number | bigint | Buffer | Uint8Array;

/**
 * MurmurHash3 (x86, 32 bits) of the UTF-8 bytes: well spread for similar names
 * ("node#1", "node#2"), the same in every process, and several times cheaper
 * per key than node:crypto's MD5 (ketama's choice), which matters on every keyed call.
 */
function hash32(bytes: Uint8Array | string): number {
  return murmurhash.v3(bytes);
}

export function hashKey(key: RoutingKey): number {
  if (typeof key === 'string') return hash32(key);
  if (typeof key === 'number' || typeof key === 'bigint') return hash32(String(key));
  const bytes = asBytes(key);
  if (bytes === null) throw new QrpcError('ERR_INVALID_ARG', `a routing key must be a string, number, bigint or bytes, got ${describeValue(key)}`);
  return hash32(bytes);
}

interface Point {
  hash: number;
  owner: string;
}

/**
 * Consistent hashing with virtual nodes: each node owns `virtualNodes × weight`
 * points on a 32-bit circle and a key belongs to the first point clockwise of
 * its hash. A node joining takes over only the arcs its own points cut, so
 * about 1/n of the keys move, all of them to it; a node leaving hands only its
 * own keys to its clockwise neighbours.
 */
export class HashRing {
  private readonly virtualNodes: number;
  private readonly weights = new Map<string, number>();
  private hashes = new Uint32Array(0);
  private owners: string[] = [];

  constructor(virtualNodes: number) {
    this.virtualNodes = virtualNodes;
  }

  get size(): number {
    return this.weights.size;
  }

  set(node: string, weight: number): void {
    this.weights.set(node, weight);
    this.rebuild();
  }

  delete(node: string): void {
    if (this.weights.delete(node)) this.rebuild();
  }

  /** The node owning the key's position (null on an empty ring). */
  ownerOf(keyHash: number): string | null {
    return this.owners.length === 0 ? null : this.owners[this.firstAtOrAfter(keyHash)];
  }

  /** The distinct nodes in ring order from the key's position: the owner first, then who takes over if it is unavailable. */
  *walk(keyHash: number): Generator<string> {
    // The ring as it is now: a walk may pause (awaiting an endpoint) while nodes join or leave.
    const owners = this.owners;
    const members = this.weights.size;
    const n = owners.length;
    if (n === 0) return;
    const seen = new Set<string>();
    for (let i = this.firstAtOrAfter(keyHash), steps = 0; steps < n && seen.size < members; steps++, i = (i + 1) % n) {
      const owner = owners[i];
      if (seen.has(owner)) continue;
      seen.add(owner);
      yield owner;
    }
  }

  private firstAtOrAfter(keyHash: number): number {
    let lo = 0;
    let hi = this.hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid] < keyHash) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.hashes.length ? 0 : lo;
  }

  private rebuild(): void {
    const points: Point[] = [];
    for (const [node, weight] of this.weights) {
      const count = Math.max(1, Math.round(this.virtualNodes * weight));
      for (let i = 0; i < count; i++) points.push({ hash: hash32(`${node}#${i}`), owner: node });
    }
    // Ties broken by name, so the ring depends only on its members, not on the order they joined in.
    points.sort((a, b) => a.hash - b.hash || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
    this.hashes = Uint32Array.from(points, (p) => p.hash);
    this.owners = points.map((p) => p.owner);
  }
}
