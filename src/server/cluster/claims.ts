import type { ConnectionInfo } from '../connection-info.js';

interface Claim {
  readonly token: string;
  /** Settles when the broker has registered (or failed to register) the claim: a release waits for it. */
  registered: Promise<unknown>;
  /**
   * While the claim is on its way to the broker, the heartbeat leaves it alone: it would see the
   * previous holder's claim and take ours for the one that lost.
   */
  inFlight: boolean;
}

/** The broker claims of this node's connections: which token each setId got, so a kick hits exactly that login. */
export class ClaimBook {
  private readonly claims = new Map<ConnectionInfo, Claim>();
  private counter = 0;

  open(conn: ConnectionInfo): Claim {
    const claim: Claim = { token: (++this.counter).toString(36), registered: Promise.resolve(), inFlight: true };
    this.claims.set(conn, claim);
    return claim;
  }

  tokenOf(conn: ConnectionInfo): string | null {
    return this.claims.get(conn)?.token ?? null;
  }

  /** Removes and returns the claim of a closing connection. */
  take(conn: ConnectionInfo): Claim | null {
    const claim = this.claims.get(conn);
    if (claim === undefined) return null;
    this.claims.delete(conn);
    return claim;
  }

  *held(): Iterable<{ bindingIndex: number; id: string; token: string }> {
    for (const [conn, claim] of this.claims) {
      if (conn.id !== null && !claim.inFlight) yield { bindingIndex: conn.bindingIndex, id: conn.id, token: claim.token };
    }
  }
}
