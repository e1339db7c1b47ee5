/**
 * Which node held an id when we last pushed to it, so the next push to it can
 * be published to that node's channel directly (one PUBLISH, no script). A
 * route is only a guess: the node answers for every id whether it still holds
 * it, and ids it no longer holds (or a node that is gone) go the registry way
 * again, so a stale route costs a round trip, never a wrong report.
 * Bounded: the oldest routes go first.
 */
export class RouteCache {
  private readonly routes = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  private static key(bindingIndex: number, id: string): string {
    return `${bindingIndex}:${id}`;
  }

  get(bindingIndex: number, id: string): string | undefined {
    return this.routes.get(RouteCache.key(bindingIndex, id));
  }

  set(bindingIndex: number, id: string, node: string): void {
    const key = RouteCache.key(bindingIndex, id);
    this.routes.delete(key);
    this.routes.set(key, node);
    if (this.routes.size > this.capacity) this.routes.delete(this.routes.keys().next().value as string);
  }

  forget(bindingIndex: number, ids: Iterable<string>): void {
    for (const id of ids) this.routes.delete(RouteCache.key(bindingIndex, id));
  }

  clear(): void {
    this.routes.clear();
  }

  get size(): number {
    return this.routes.size;
  }
}
