/**
 * The broker seam: what makes pushToIds, pushAll, room pushes, setId's kick
 * and id lookups reach every node of a cluster. Shaped like socket.io's
 * adapter: the server's cluster layer calls the broker; the broker calls back
 * into the local node (LocalNode) when a message for this node arrives.
 *
 * Broker-neutral: Redis (src/cluster/redis/), a machine-local broker between
 * the workers of one machine, or NATS could implement it. Division of work:
 * the local node always serves its own share directly (no broker round trip
 * for a connection held here); a broker carries only what other nodes must
 * do, and reports what happened there, so nothing is dropped silently.
 *
 * A push crosses nodes as its parts (cmd, flags, payload), not as encoded
 * bytes: every node encodes it once with its own push id and hands the same
 * bytes to the backend's broadcast for its share.
 */

/** A push as it travels between nodes. */
export interface BrokerPush {
  cmd: number;
  /** Frame flags (the Push flag is added by the delivering node; Codec is cleared as for a local broadcast). */
  flags: number;
  payload: Buffer;
}

/**
 * One setId as the cluster knows it: the node holding the id and the token
 * of that very claim, so a kick reaches exactly the connection it replaced
 * (never a newer login on the same node).
 */
export interface IdClaim {
  node: string;
  token: string;
}

/** The outcome of a cluster-wide pushToIds, per id. */
export interface PushToIdsReport {
  /** Held by a connection (here or on another node) that took the frame. */
  delivered: string[];
  /** Held nowhere: no claim, the holder's node is gone, or the holder closed before the push arrived. */
  offline: string[];
  /** Sent to the holder's node, which did not confirm in time (it may or may not have arrived). */
  unconfirmed: string[];
}

/** The outcome of a cluster-wide pushAll or room push. */
export interface FanOutReport {
  /** Nodes that delivered their share and said so (this node included). */
  nodes: number;
  /** Connections that took the frame, summed over those nodes. */
  connections: number;
  /** Nodes that received the push but did not confirm in time. */
  unconfirmedNodes: number;
}

/** What the remote part of a pushToIds returns: the same three lists, for the ids handed to the broker. */
export type RemotePushReport = PushToIdsReport;

/** The local node as a broker sees it: delivery of this node's share, kicks, and what it holds. */
export interface LocalNode {
  /** Unique per process lifetime (a restarted process is a new node). */
  readonly nodeId: string;
  /** Delivers to the local holders of `ids`; returns those that were held here and took the frame. */
  deliverToIds(bindingIndex: number, ids: readonly string[], push: BrokerPush): string[];
  /** Delivers to every connection of a binding on this node; returns how many took it. */
  deliverToAll(bindingIndex: number, push: BrokerPush): number;
  /** Delivers to this node's members of a room; returns how many took it. */
  deliverToRoom(bindingIndex: number, room: string, push: BrokerPush): number;
  /**
   * Another node's setId replaced `token`'s claim of `id`: the connection still
   * holding that claim here (if any) is kicked as a local kick does it (untracked,
   * onKick may write a last frame, kick notice, close). Resolves once onKick ran
   * and the close is under way; false when no such connection was here.
   */
  kick(bindingIndex: number, id: string, token: string): Promise<boolean>;
  /** Every id held here now, with its claim token: re-registered after the broker reconnects. */
  heldIds(): Iterable<{ bindingIndex: number; id: string; token: string }>;
  /** This node's member count of a room. */
  roomSize(bindingIndex: number, room: string): number;
}

/**
 * A cluster broker. Every method that talks to other nodes rejects with a
 * QrpcError (ERR_BROKER when the broker is unreachable) rather than report a
 * success it cannot vouch for.
 */
export interface Broker {
  /** Connects and starts delivering to `node`; rejects with ERR_BROKER when the broker cannot be reached. */
  start(node: LocalNode): Promise<void>;
  /** Stops delivering and disconnects; claims this node still holds are released. Idempotent. */
  stop(): Promise<void>;
  /**
   * Makes `token` the cluster-wide claim of `id` (atomically: of two racing
   * claims exactly one is last) and returns the claim it replaced, or null.
   * When that claim belongs to another node, this resolves only after that
   * node ran its kick (LocalNode.kick) or is known to be gone.
   */
  claim(bindingIndex: number, id: string, token: string): Promise<IdClaim | null>;
  /** Drops the claim of `id` if it still is `token` (a newer claim is left alone). */
  release(bindingIndex: number, id: string, token: string): Promise<void>;
  /** The live claim of `id`, or null when no live node holds it. */
  lookup(bindingIndex: number, id: string): Promise<IdClaim | null>;
  /**
   * Delivers to the holders of `ids` on other nodes (ids held here were served
   * locally already): one message per holding node, each confirmed.
   */
  pushToIds(bindingIndex: number, ids: readonly string[], push: BrokerPush): Promise<RemotePushReport>;
  /** Delivers to every connection of the binding on every other node. */
  pushAll(bindingIndex: number, push: BrokerPush): Promise<FanOutReport>;
  /** Delivers to the members of `room` on every other node. */
  pushToRoom(bindingIndex: number, room: string, push: BrokerPush): Promise<FanOutReport>;
  /** Member count of `room` on the other nodes. */
  roomSize(bindingIndex: number, room: string): Promise<number>;
}
