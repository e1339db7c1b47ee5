import { QrpcError } from '../../protocol/errors.js';
import { assertCmd } from '../../protocol/cmd.js';
import { quietReject } from '../../core/writer.js';
import { marshalOrThrow, type Marshaller } from '../marshal.js';

export interface SendOptions {
  /** Sends this message with StreamEnd: our half of the pipe ends with it (the peer may still answer). */
  end?: boolean;
}

/**
 * Go's channel Sender: every message is one frame of the pipe's stream, with
 * its own cmd. The pipe ends with `send(…, { end: true })` (a StreamEnd frame
 * carrying the last message; the peer may still answer) or with `end()`
 * (Go's End: a reset of reason 0, which ends both directions). Sending after
 * either fails with ERR_WRITE_AFTER_CLOSE and sends nothing.
 */
export abstract class PipeSender<T = unknown> {
  readonly #marshaller: Marshaller<T>;
  /** Our half ended with a StreamEnd message: nothing more to send, but no reset owed either. */
  #halfClosed = false;
  #ended = false;

  /** @internal */
  constructor(marshaller: Marshaller<T>) {
    this.#marshaller = marshaller;
  }

  /** Resolves once the frame is queued to the socket; rejects (sending nothing) when it cannot be sent. */
  send(cmd: number, message: T, options: SendOptions = {}): Promise<void> {
    let bytes: Buffer;
    try {
      if (this.#ended || this.#halfClosed) throw new QrpcError('ERR_WRITE_AFTER_CLOSE', `the pipe's sender already ended${this.#ended ? '' : ' (a message was sent with end)'}`);
      assertCmd(cmd);
      bytes = marshalOrThrow(this.#marshaller, message, `the message for cmd ${cmd}`);
    } catch (err) {
      return quietReject(err);
    }
    const end = options.end === true;
    if (end) this.#halfClosed = true;
    try {
      return this.writeMessage(cmd, bytes, end);
    } catch (err) {
      return quietReject(err);
    }
  }

  /**
   * Ends the pipe as Go's Sender.End does: a reset of reason 0 (nothing when
   * no message was sent, or when our half already ended with a message).
   * A second end() fails with ERR_WRITE_AFTER_CLOSE.
   */
  end(): Promise<void> {
    if (this.#ended) return quietReject(new QrpcError('ERR_WRITE_AFTER_CLOSE', "the pipe's sender already ended"));
    this.#ended = true;
    if (this.#halfClosed) return Promise.resolve();
    try {
      return this.resetPipe();
    } catch (err) {
      return quietReject(err);
    }
  }

  /** @internal one frame of the stream (the first one opens it on a client pipe) */
  protected abstract writeMessage(cmd: number, bytes: Buffer, end: boolean): Promise<void>;
  /** @internal Go's End */
  protected abstract resetPipe(): Promise<void>;
}
