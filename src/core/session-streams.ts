import { QrpcError } from '../protocol/errors.js';
import { MAX_REQUEST_ID } from '../protocol/frame.js';
import type { TransportConnection } from '../transport/types.js';
import { Call } from './call.js';
import type { RequestFrame } from './request.js';
import type { SessionOptions } from './session-options.js';
import { SessionState } from './session-state.js';
import { isReleased } from './stream-state.js';
import { StreamTable } from './stream-table.js';

/** Shared empty tables: a connection that never had a request holds none of its own (only read, never added to). */
const NO_CALLS = new StreamTable<Call>();
const NO_SERVED = new StreamTable<RequestFrame>();
/** The generator wraps after this ID (2^64 - 2, even or odd both fit below it). */
const LAST_ID = MAX_REQUEST_ID - 1n;
const MAX_SAFE_KEY = Number.MAX_SAFE_INTEGER - 2;

/** The request whose handler is running (handlers run one at a time, synchronously up to their first await). */
let dispatching: RequestFrame | null = null;

export function setDispatching(req: RequestFrame | null): RequestFrame | null {
  const outer = dispatching;
  dispatching = req;
  return outer;
}

/**
 * Layer 1 of a session: request IDs and the tables of open IDs in both
 * directions (calls we made, requests we serve).
 */
export abstract class SessionStreams<C> extends SessionState {
  readonly transport: TransportConnection;
  protected readonly options: SessionOptions<C>;
  /** The public object handlers and callbacks see (ConnectionInfo, client Connection); set once by it. */
  publicConnection!: C;
  /** @internal Requests we sent whose answer is not complete (the shared empty table until the first). */
  protected calls: StreamTable<Call> = NO_CALLS;
  /** @internal Requests the peer opened toward us whose stream is not fully closed (shared empty table until the first). */
  protected served: StreamTable<RequestFrame> = NO_SERVED;
  private nextId: bigint;
  /** Number(nextId), advanced alongside it. */
  protected nextKey: number;

  constructor(transport: TransportConnection, options: SessionOptions<C>) {
    super();
    this.transport = transport;
    this.options = options;
    this.nextId = this.firstId;
    this.nextKey = Number(this.nextId);
  }

  /** The shared context of this session's options (SessionOptions.context). */
  get context(): unknown {
    return this.options.context;
  }

  /** Closes now with a reason (protocol errors, limits). */
  abstract fail(error: QrpcError): void;

  /** Go: a client's IDs are 2n+1 from n = 1 (first 3), a server's are 2n (first 2). */
  private get firstId(): bigint {
    return this.options.role === 'client' ? 3n : 2n;
  }

  /** Takes the next free ID (its number key, nextKey, is advanced alongside so the tables never convert it). */
  protected allocId(): bigint {
    const id = this.nextId;
    const key = this.nextKey;
    if (id >= LAST_ID) {
      this.nextId = this.firstId;
      this.nextKey = Number(this.nextId);
    } else {
      this.nextId = id + 2n;
      this.nextKey = key < MAX_SAFE_KEY ? key + 2 : Number(this.nextId);
    }
    if (this.calls.has(id, key) || this.findServed(id, key) !== undefined) {
      throw new QrpcError('ERR_ID_COLLISION', `request id ${id} is still in use on this connection`);
    }
    return id;
  }

  protected newCall(): Call {
    const key = this.nextKey;
    return new Call(this as never, this.allocId(), key);
  }

  protected track(call: Call): void {
    if (this.calls === NO_CALLS) this.calls = new StreamTable();
    this.calls.add(call);
  }

  protected untrack(call: Call): void {
    // The table stays (a client making one call after another would make one per call); emptied, it holds no ring.
    this.calls.remove(call);
  }

  /** Removes a call once both halves are closed. */
  protected releaseCall(call: Call): void {
    if (isReleased(call.state)) this.untrack(call);
  }

  /**
   * The request being served under this id, including a one-frame request
   * whose handler is running right now (those are tracked only once their
   * handler returns unfinished, which spares the common synchronous answer a
   * table entry).
   */
  protected findServed(requestId: bigint, key: number): RequestFrame | undefined {
    const r = this.served.get(requestId, key);
    if (r !== undefined) return r;
    const d = dispatching;
    return d !== null && d.key === key && d.requestId === requestId && (d.connection as unknown) === this.publicConnection ? d : undefined;
  }

  protected serve(req: RequestFrame): void {
    if (this.served === NO_SERVED) this.served = new StreamTable();
    this.served.add(req);
  }

  /** Removes a served request once both halves are closed. */
  protected release(req: RequestFrame): void {
    if (isReleased(req.state)) {
      this.served.remove(req);
      if (this.served.size === 0) this.served = NO_SERVED;
    }
  }

  /** Requests and streams open on this connection, both directions (for stats and leak checks). */
  get openStreams(): number {
    return this.calls.size + this.served.size;
  }

  /** Fails every call and cancels every served request (the connection closed). */
  protected abandonAll(error: QrpcError): void {
    for (const call of this.calls.values()) call.fail(error);
    this.calls.clear();
    for (const req of this.served.values()) req.cancel(error);
    this.served.clear();
    const d = dispatching;
    if (d !== null && (d.connection as unknown) === this.publicConnection) d.cancel(error);
  }
}
