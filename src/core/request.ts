import { frameToJSON, type Frame, type FrameJSON } from '../protocol/frame.js';
import { QrpcError } from '../protocol/errors.js';
import { FrameQueue, type QueuePressure } from './frame-queue.js';
import { PEER_CLOSED, SELF_CLOSED, RECEIVE, RECEIVE_DONE, RESET, step } from './stream-state.js';

const EMPTY_QUEUE_ENDED = (): FrameQueue => {
  const q = new FrameQueue();
  q.end();
  return q;
};

/** What a request needs of the connection it arrived on. */
export interface RequestOwner<C> extends QueuePressure {
  /** The public connection object handlers see (the server's ConnectionInfo, the client's Connection). */
  readonly publicConnection: C;
  readonly queueLimit: number;
  close(): void;
}

/**
 * A request the peer opened toward us, as the handler sees it (Go's
 * RequestFrame). It is also the record of that ID's stream state on the
 * serving side.
 */
export class RequestFrame<C = unknown> implements Frame {
  readonly requestId: bigint;
  /** @internal Number(requestId), for the stream table. */
  readonly key: number;
  readonly flags: number;
  readonly cmd: number;
  readonly payload: Buffer;
  /** @internal stream-state.ts bits; changed only through step(). */
  state: number;
  private readonly owner: RequestOwner<C>;
  private controller: AbortController | null = null;
  private cancelReason: QrpcError | null = null;
  private continuation: FrameQueue | null = null;
  private stashMap: Map<unknown, unknown> | null = null;

  /** @internal */
  constructor(owner: RequestOwner<C>, requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer, peerDone: boolean) {
    this.owner = owner;
    this.requestId = requestId;
    this.key = key;
    this.flags = flags;
    this.cmd = cmd;
    this.payload = payload;
    this.state = peerDone ? PEER_CLOSED : 0;
    if (!peerDone) this.continuation = new FrameQueue(owner.queueLimit, owner);
  }

  /** The connection it arrived on (on a server: its ConnectionInfo). */
  get connection(): C {
    return this.owner.publicConnection;
  }

  /** Aborted when the peer resets this request or the connection closes. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.cancelReason !== null) this.controller.abort(this.cancelReason);
    }
    return this.controller.signal;
  }

  /** @internal this side sent its done frame or a reset */
  get selfClosed(): boolean {
    return (this.state & SELF_CLOSED) !== 0;
  }

  /** @internal the peer's done frame or a reset arrived, or the connection closed */
  get peerClosed(): boolean {
    return (this.state & PEER_CLOSED) !== 0;
  }

  /** @internal */
  get cancelled(): boolean {
    return this.cancelReason !== null;
  }

  /** Request-scoped values shared by middleware and the handler (Go's frame stash). */
  get stash(): Map<unknown, unknown> {
    return (this.stashMap ??= new Map());
  }

  /** Continuation frames of a streamed request (after this first one), until the peer's done frame. */
  frames(): AsyncIterable<Frame> {
    return this.continuation ?? EMPTY_QUEUE_ENDED();
  }

  /** Closes the whole connection (Go's RequestFrame.Close). */
  close(): void {
    this.owner.close();
  }

  /** @internal a continuation frame of this request's stream */
  pushContinuation(frame: Frame, done: boolean): void {
    const next = step(this.state, done ? RECEIVE_DONE : RECEIVE);
    if (next < 0) return;
    this.state = next;
    this.continuation?.push(frame);
    if (done) this.continuation?.end();
  }

  /** The frame fields only (JSON.stringify(req) would otherwise throw on the bigint id): id as a string, payload as base64. */
  toJSON(): FrameJSON {
    return frameToJSON(this);
  }

  /** @internal reset by the peer or locally, connection closed, or shutdown deadline: both halves end */
  cancel(reason: QrpcError): void {
    this.state = step(this.state, RESET);
    if (this.cancelReason !== null) return;
    this.cancelReason = reason;
    this.continuation?.fail(reason);
    this.controller?.abort(reason);
  }
}
