import type { Frame } from '../protocol/frame.js';
import { QrpcError } from '../protocol/errors.js';
import { FrameQueue } from './frame-queue.js';
import type { Session } from './session.js';

const EMPTY_QUEUE_ENDED = (): FrameQueue => {
  const q = new FrameQueue();
  q.end();
  return q;
};

/**
 * A request the peer opened toward us, as the handler sees it (Go's
 * RequestFrame). It is also the record of that ID's stream state on the
 * serving side.
 */
export class RequestFrame implements Frame {
  readonly requestId: bigint;
  /** Number(requestId), for the stream table. */
  readonly key: number;
  readonly flags: number;
  readonly cmd: number;
  readonly payload: Buffer;
  /** The connection it arrived on (server side: the ConnectionInfo). */
  readonly connection: Session;
  /** We sent our done frame or a reset. */
  selfClosed = false;
  /** The peer's done frame arrived (a non-stream request is done with its first frame), or a reset / close. */
  peerClosed: boolean;
  private controller: AbortController | null = null;
  private cancelReason: QrpcError | null = null;
  private continuation: FrameQueue | null = null;
  private stashMap: Map<unknown, unknown> | null = null;

  constructor(connection: Session, requestId: bigint, key: number, flags: number, cmd: number, payload: Buffer, peerClosed: boolean) {
    this.connection = connection;
    this.requestId = requestId;
    this.key = key;
    this.flags = flags;
    this.cmd = cmd;
    this.payload = payload;
    this.peerClosed = peerClosed;
    if (!peerClosed) this.continuation = new FrameQueue();
  }

  /** Aborted when the peer resets this request or the connection closes. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.cancelReason !== null) this.controller.abort(this.cancelReason);
    }
    return this.controller.signal;
  }

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
    this.connection.close();
  }

  /** @internal a continuation frame of this request's stream */
  pushContinuation(frame: Frame, done: boolean): void {
    this.continuation?.push(frame);
    if (done) {
      this.peerClosed = true;
      this.continuation?.end();
    }
  }

  /** @internal reset by the peer, connection closed, or shutdown deadline */
  cancel(reason: QrpcError): void {
    if (this.cancelReason !== null) return;
    this.cancelReason = reason;
    this.peerClosed = true;
    this.continuation?.fail(reason);
    this.controller?.abort(reason);
  }
}
