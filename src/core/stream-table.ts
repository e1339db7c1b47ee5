/**
 * The open request IDs of one direction on a connection.
 *
 * Most connections have at most one at a time (one call in flight, one
 * request being served), so the first lives in a slot and nothing else is
 * allocated: a connection with nothing in flight holds no table at all.
 *
 * With more in flight, entries go to a ring indexed by `id / 2`: both ends
 * hand out IDs in steps of 2, so the requests in flight on a connection fill
 * consecutive slots and a lookup is one array read — no hashing. (BigInt Map
 * keys cost a hash computation and a runtime call per comparison; a number
 * Map still cost ~10 % of a pipelining client's profile.) The ring doubles
 * when two live IDs meet in one slot, up to MAX_RING slots or four per
 * entry; past that, colliding entries go to a Map. IDs above 2^53, which no
 * generator reaches in practice, have their own Map with BigInt keys.
 *
 * Callers pass `key = Number(requestId)` when they already have it.
 */
export interface StreamEntry {
  readonly requestId: bigint;
  /** Number(requestId): exact up to 2^53. */
  readonly key: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const FIRST_RING = 16;
const MAX_RING = 1 << 16;
const TWO_32 = 2 ** 32;

function slotOf(key: number, mask: number): number {
  return key < TWO_32 ? (key >>> 1) & mask : Math.floor(key / 2) % (mask + 1);
}

export class StreamTable<T extends StreamEntry> {
  private one: T | null = null;
  private ring: Array<T | undefined> | null = null;
  private mask = 0;
  private many: Map<number, T> | null = null;
  private huge: Map<bigint, T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(requestId: bigint, key: number = Number(requestId)): T | undefined {
    if (key > MAX_SAFE) {
      const one = this.one;
      if (one !== null && one.requestId === requestId) return one;
      return this.huge === null ? undefined : this.huge.get(requestId);
    }
    return this.getByKey(key);
  }

  /** Lookup by number alone, for a key below 2^53 (exact). */
  getByKey(key: number): T | undefined {
    const one = this.one;
    if (one !== null && one.key === key) return one;
    const ring = this.ring;
    if (ring !== null) {
      const e = ring[slotOf(key, this.mask)];
      if (e !== undefined && e.key === key) return e;
    }
    return this.many === null ? undefined : this.many.get(key);
  }

  has(requestId: bigint, key: number = Number(requestId)): boolean {
    return this.get(requestId, key) !== undefined;
  }

  /** Adds an entry whose ID is not in the table. */
  add(entry: T): void {
    this.count++;
    if (this.count === 1) {
      this.one = entry;
      return;
    }
    const key = entry.key;
    if (key > MAX_SAFE) {
      (this.huge ??= new Map()).set(entry.requestId, entry);
      return;
    }
    let ring = this.ring;
    if (ring === null) {
      ring = this.ring = new Array<T | undefined>(FIRST_RING).fill(undefined);
      this.mask = FIRST_RING - 1;
    }
    for (;;) {
      const slot = slotOf(key, this.mask);
      if (ring[slot] === undefined) {
        ring[slot] = entry;
        return;
      }
      if (ring.length >= MAX_RING || ring.length >= 4 * this.count) break;
      ring = this.grow();
    }
    (this.many ??= new Map()).set(key, entry);
  }

  /** Doubles the ring; entries that meet in the bigger ring move to the Map. */
  private grow(): Array<T | undefined> {
    const old = this.ring!;
    const size = old.length * 2;
    const ring = new Array<T | undefined>(size).fill(undefined);
    const mask = size - 1;
    for (const e of old) {
      if (e === undefined) continue;
      const slot = slotOf(e.key, mask);
      if (ring[slot] === undefined) ring[slot] = e;
      else (this.many ??= new Map()).set(e.key, e);
    }
    this.ring = ring;
    this.mask = mask;
    return ring;
  }

  /** Removes `entry` if it is the one held under its ID; an emptied table lets its ring and maps go. */
  remove(entry: T): void {
    this.removeEntry(entry);
    if (this.count === 0 && (this.ring !== null || this.many !== null || this.huge !== null)) this.clear();
  }

  private removeEntry(entry: T): void {
    if (this.one === entry) {
      this.one = null;
      this.count--;
      return;
    }
    const key = entry.key;
    if (key > MAX_SAFE) {
      const huge = this.huge;
      if (huge !== null && huge.get(entry.requestId) === entry) {
        huge.delete(entry.requestId);
        this.count--;
      }
      return;
    }
    const ring = this.ring;
    if (ring !== null) {
      const slot = slotOf(key, this.mask);
      if (ring[slot] === entry) {
        ring[slot] = undefined;
        this.count--;
        return;
      }
    }
    const many = this.many;
    if (many !== null && many.get(key) === entry) {
      many.delete(key);
      this.count--;
    }
  }

  values(): T[] {
    const out: T[] = this.one === null ? [] : [this.one];
    if (this.ring !== null) for (const e of this.ring) if (e !== undefined) out.push(e);
    if (this.many !== null) for (const e of this.many.values()) out.push(e);
    if (this.huge !== null) for (const e of this.huge.values()) out.push(e);
    return out;
  }

  clear(): void {
    this.one = null;
    this.ring = null;
    this.mask = 0;
    this.many = null;
    this.huge = null;
    this.count = 0;
  }
}
