/**
 * The open request IDs of one direction on a connection. Most connections
 * have at most one at a time (one call in flight, one request being served),
 * so the first lives in a slot and a Map is made only while there are more:
 * a connection with nothing in flight holds no Map at all.
 *
 * The Map is keyed by the ID as a number while it is below 2^53 (every ID in
 * practice): BigInt keys cost a hash computation and a runtime call per
 * comparison, which showed up as ~15 % of a pipelining client's profile.
 * Larger IDs go to a second Map with BigInt keys.
 */
/** IDs up to here are exact as numbers. */
const MAX_NUMBER_KEY = BigInt(Number.MAX_SAFE_INTEGER);

export class StreamTable<T extends { readonly requestId: bigint }> {
  private one: T | null = null;
  private many: Map<number, T> | null = null;
  private huge: Map<bigint, T> | null = null;

  get size(): number {
    return (this.one === null ? 0 : 1) + (this.many === null ? 0 : this.many.size) + (this.huge === null ? 0 : this.huge.size);
  }

  get(requestId: bigint): T | undefined {
    const one = this.one;
    if (one !== null && one.requestId === requestId) return one;
    if (requestId <= MAX_NUMBER_KEY) return this.many === null ? undefined : this.many.get(Number(requestId));
    return this.huge === null ? undefined : this.huge.get(requestId);
  }

  has(requestId: bigint): boolean {
    return this.get(requestId) !== undefined;
  }

  /** Adds an entry whose ID is not in the table. */
  add(entry: T): void {
    if (this.one === null && this.many === null && this.huge === null) {
      this.one = entry;
      return;
    }
    const id = entry.requestId;
    if (id <= MAX_NUMBER_KEY) (this.many ??= new Map()).set(Number(id), entry);
    else (this.huge ??= new Map()).set(id, entry);
  }

  /** Removes `entry` if it is the one held under its ID. */
  remove(entry: T): void {
    if (this.one === entry) {
      this.one = null;
      return;
    }
    const id = entry.requestId;
    if (id <= MAX_NUMBER_KEY) {
      const many = this.many;
      if (many !== null && many.get(Number(id)) === entry) {
        many.delete(Number(id));
        if (many.size === 0) this.many = null;
      }
    } else {
      const huge = this.huge;
      if (huge !== null && huge.get(id) === entry) {
        huge.delete(id);
        if (huge.size === 0) this.huge = null;
      }
    }
  }

  values(): T[] {
    const out: T[] = this.one === null ? [] : [this.one];
    if (this.many !== null) for (const v of this.many.values()) out.push(v);
    if (this.huge !== null) for (const v of this.huge.values()) out.push(v);
    return out;
  }

  clear(): void {
    this.one = null;
    this.many = null;
    this.huge = null;
  }
}
