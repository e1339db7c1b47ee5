import { Flags } from '../../protocol/flags.js';
import { QrpcError } from '../../protocol/errors.js';
import { routingOf } from '../../protocol/cmd.js';
import type { Frame, PayloadInput } from '../../protocol/frame.js';
import type { StreamWriter } from '../../core/writer.js';
import { abortedError, type Call, type WaitOptions } from '../../core/call.js';
import type { Marshaller } from '../marshal.js';
import { PipeSender } from './sender.js';

/** Anything that opens qrpc streams: a client Connection, or a server's ConnectionInfo (a pipe toward the client). */
export interface StreamInitiator {
  streamRequest(cmd: number, flags: number, payload?: PayloadInput, options?: WaitOptions): { writer: StreamWriter; response: Call; sent: Promise<void> };
}

/**
 * The opening side: as in Go, the stream is opened by the first message
 * (nothing is on the wire before), so that message routes the pipe and its
 * cmd must route to the pipe's cmd.
 */
export class ClientPipeSender<T> extends PipeSender<T> {
  readonly #initiator: StreamInitiator;
  readonly #routeCmd: number;
  readonly #streamOptions: WaitOptions;
  #writer: StreamWriter | null = null;
  #opened!: (frames: AsyncIterator<Frame> | null) => void;
  #failed!: (error: unknown) => void;
  /** @internal what the receiver reads: the answer's frames once the first message opened the stream */
  readonly frames: Promise<AsyncIterator<Frame> | null>;

  /** @internal */
  constructor(initiator: StreamInitiator, routeCmd: number, marshaller: Marshaller<T>, streamOptions: WaitOptions) {
    super(marshaller);
    this.#initiator = initiator;
    this.#routeCmd = routeCmd;
    this.#streamOptions = streamOptions;
    this.frames = new Promise((resolve, reject) => {
      this.#opened = resolve;
      this.#failed = reject;
    });
    // A receiver waiting for a pipe that is given up before its first message must not wait forever.
    const signal = streamOptions.signal;
    signal?.addEventListener('abort', () => this.#writer === null && this.#failed(abortedError(signal)), { once: true });
  }

  protected writeMessage(cmd: number, bytes: Buffer, end: boolean): Promise<void> {
    if (this.#writer !== null) return this.#writer.write(bytes, { cmd, end });
    if (routingOf(cmd) !== routingOf(this.#routeCmd)) {
      throw new QrpcError('ERR_INVALID_CMD', `the first message opens the pipe, so its cmd must route to the pipe's cmd ${this.#routeCmd}, got ${cmd}`);
    }
    let opened;
    try {
      opened = this.#initiator.streamRequest(cmd, end ? Flags.StreamEnd : 0, bytes, this.#streamOptions);
    } catch (err) {
      this.#failed(err); // the receiver hears why the pipe never opened
      throw err;
    }
    const { writer, response, sent } = opened;
    this.#writer = writer;
    this.#opened(response.frames()[Symbol.asyncIterator]());
    return sent;
  }

  protected resetPipe(): Promise<void> {
    const writer = this.#writer;
    // Never opened: there is nothing to end on the wire, and nothing will ever be received.
    if (writer === null) {
      this.#opened(null);
      return Promise.resolve();
    }
    return writer.resetFrame(0);
  }
}
