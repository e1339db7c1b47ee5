/**
 * Where a throttled listener keeps the connections it accepted (pure-JS
 * listeners cannot stop accepting; the native backend leaves waiting peers
 * in the kernel's queue instead). At most `max` wait, unread; later ones are
 * dropped, as a full backlog would refuse them.
 */
export class ThrottleGate<T> {
  private paused = false;
  private held: T[] = [];

  constructor(
    private readonly max: number,
    private readonly accept: (conn: T) => void,
    private readonly alive: (conn: T) => boolean,
    private readonly drop: (conn: T) => void,
    private readonly hold: (conn: T) => void = () => {},
  ) {}

  /** A newly accepted connection: handed on, held while paused, or dropped when the hold is full. */
  offer(conn: T): void {
    if (!this.paused) this.accept(conn);
    else if (this.held.length < this.max) {
      this.hold(conn);
      this.held.push(conn);
    } else this.drop(conn);
  }

  pause(): void {
    this.paused = true;
  }

  /** Hands on what waited (those still alive), in arrival order. */
  resume(): void {
    this.paused = false;
    for (const conn of this.held.splice(0)) if (this.alive(conn)) this.accept(conn);
  }

  /** The listener closes: nothing that waited is served. */
  dropAll(): void {
    for (const conn of this.held.splice(0)) this.drop(conn);
  }
}

/** The listener's backlog bounds how many throttled connections wait (511 as Node's default). */
export function heldLimit(backlog: number): number {
  return backlog > 0 ? backlog : 511;
}
