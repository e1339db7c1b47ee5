/**
 * The open request IDs of one direction on a connection. Most connections
 * have at most one at a time (one call in flight, one request being served),
 * so the first lives in a slot and a Map is made only while there are more:
 * a connection with nothing in flight holds no Map at all.
 */
export class StreamTable<T extends { readonly requestId: bigint }> {
  private one: T | null = null;
  private many: Map<bigint, T> | null = null;

  get size(): number {
    return (this.one === null ? 0 : 1) + (this.many === null ? 0 : this.many.size);
  }

  get(requestId: bigint): T | undefined {
    const one = this.one;
    if (one !== null && one.requestId === requestId) return one;
    return this.many === null ? undefined : this.many.get(requestId);
  }

  has(requestId: bigint): boolean {
    return this.get(requestId) !== undefined;
  }

  /** Adds an entry whose ID is not in the table. */
  add(entry: T): void {
    if (this.one === null && this.many === null) {
      this.one = entry;
      return;
    }
    const many = (this.many ??= new Map());
    many.set(entry.requestId, entry);
  }

  /** Removes `entry` if it is the one held under its ID. */
  remove(entry: T): void {
    if (this.one === entry) {
      this.one = null;
      return;
    }
    const many = this.many;
    if (many !== null && many.get(entry.requestId) === entry) {
      many.delete(entry.requestId);
      if (many.size === 0) this.many = null;
    }
  }

  values(): T[] {
    const out: T[] = this.one === null ? [] : [this.one];
    if (this.many !== null) for (const v of this.many.values()) out.push(v);
    return out;
  }

  clear(): void {
    this.one = null;
    this.many = null;
  }
}
