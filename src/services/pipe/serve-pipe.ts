import { Flags } from '../../protocol/flags.js';
import type { Frame } from '../../protocol/frame.js';
import type { FrameWriter } from '../../core/writer.js';
import type { RequestFrame } from '../../core/request.js';
import type { Marshaller } from '../marshal.js';
import { PipeSender } from './sender.js';

/**
 * The answering side (Go's channel ServeHandler): messages go back on the
 * request's ID. Each carries the Stream flag, so the opener's answer stays
 * open until the end (Go's serve side writes flags 0, which a qrpc-node
 * client reads as a one-message answer).
 */
export class ServePipeSender<T> extends PipeSender<T> {
  readonly #w: FrameWriter;
  readonly #requestId: bigint;

  /** @internal */
  constructor(w: FrameWriter, requestId: bigint, marshaller: Marshaller<T>) {
    super(marshaller);
    this.#w = w;
    this.#requestId = requestId;
  }

  protected writeMessage(cmd: number, bytes: Buffer, end: boolean): Promise<void> {
    return this.#w.reply(this.#requestId, cmd, bytes, end ? Flags.Stream | Flags.StreamEnd : Flags.Stream);
  }

  protected resetPipe(): Promise<void> {
    return this.#w.resetFrame(this.#requestId, 0);
  }
}

/** The opener's messages: the request's own frame first, then its continuation frames. */
export async function* requestFrames(req: RequestFrame<unknown>): AsyncGenerator<Frame> {
  yield req;
  // A one-frame stream (Stream|StreamEnd) or a plain request has no continuation.
  if ((req.flags & Flags.Stream) === 0 || (req.flags & Flags.StreamEnd) !== 0) return;
  yield* req.frames();
}
