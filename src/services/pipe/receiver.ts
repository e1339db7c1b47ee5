import { Flags } from '../../protocol/flags.js';
import { QrpcError, ResetReason } from '../../protocol/errors.js';
import type { Frame } from '../../protocol/frame.js';
import { unmarshalOrThrow, type Marshaller } from '../marshal.js';

/** One message of a pipe, with the cmd of the frame that carried it. */
export interface PipeMessage<T = unknown> {
  cmd: number;
  message: T;
}

/**
 * A pipe ends with a reset of reason 0 from either side (Go's Sender.End);
 * any other reset, a closed connection, an abort or a timeout is a failure.
 */
function isOrderlyEnd(err: unknown): boolean {
  return err instanceof QrpcError && err.code === 'ERR_STREAM_RESET' && err.reason === ResetReason.None;
}

/**
 * Go's channel Receiver: the messages of one qrpc stream, one per frame, in
 * order. The end is a reset of reason 0 (what Go sends), a StreamEnd frame
 * (its payload, when not empty, is the last message) or a frame without the
 * Stream flag (a one-frame answer). `receive()` and `for await` read the same
 * sequence; leaving a `for await` early resets the pipe.
 */
export class PipeReceiver<T = unknown> implements AsyncIterable<PipeMessage<T>> {
  readonly #marshaller: Marshaller<T>;
  /** The stream's frames once it is open (a client pipe opens on its first send); null: ended before it opened. */
  readonly #source: Promise<AsyncIterator<Frame> | null>;
  #ended = false;

  /** @internal */
  constructor(marshaller: Marshaller<T>, source: Promise<AsyncIterator<Frame> | null>) {
    this.#marshaller = marshaller;
    this.#source = source;
    // Observed here so a pipe that fails before anyone reads never reports an unhandled rejection.
    source.catch(() => {});
  }

  /** The next message, or null once the pipe ended. Rejects with the stream's failure, or ERR_MARSHAL for bytes the marshaller refuses. */
  async receive(): Promise<PipeMessage<T> | null> {
    if (this.#ended) return null;
    const frames = await this.#source;
    if (frames === null) return this.#end();
    let next: IteratorResult<Frame>;
    try {
      next = await frames.next();
    } catch (err) {
      if (isOrderlyEnd(err)) return this.#end();
      this.#ended = true;
      throw err;
    }
    if (next.done) return this.#end();
    const frame = next.value;
    const last = (frame.flags & Flags.StreamEnd) !== 0 || (frame.flags & Flags.Stream) === 0;
    if (last) this.#ended = true;
    if (last && frame.payload.length === 0 && (frame.flags & Flags.StreamEnd) !== 0) return null;
    return { cmd: frame.cmd, message: unmarshalOrThrow(this.#marshaller, frame.payload, `the message of cmd ${frame.cmd}`) };
  }

  #end(): null {
    this.#ended = true;
    return null;
  }

  /** Stops reading: the stream is reset if it is still open (its source's return()). */
  async #stop(): Promise<void> {
    this.#ended = true;
    const frames = await this.#source.catch(() => null);
    await frames?.return?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PipeMessage<T>> {
    let complete = false;
    try {
      for (;;) {
        const m = await this.receive();
        if (m === null) break;
        yield m;
      }
      complete = true;
    } finally {
      if (!complete) await this.#stop();
    }
  }
}
