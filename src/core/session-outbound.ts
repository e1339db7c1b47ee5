// Node's Buffer global is an accessor: the module binding skips a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import { QrpcError, ResetReason } from '../protocol/errors.js';
import { Flags, isDone } from '../protocol/flags.js';
import { HEADER_SIZE, MIN_LENGTH, asBytes, describeValue } from '../protocol/frame.js';
import { WRITE_CLOSED, WRITE_QUEUED } from '../transport/types.js';
import { Call } from './call.js';
import { RequestFrame } from './request.js';
import { SessionStreams } from './session-streams.js';
import { PAUSE_OUTPUT, PAUSE_STREAMS } from './session-state.js';
import { SELF_CLOSED, SEND, SEND_DONE, step } from './stream-state.js';
import { quietReject } from './writer.js';
import { RESOLVED } from './resolved.js';

const EMPTY = Buffer.alloc(0);
/** The length field is 32 bits and counts the 12 header bytes after itself. */
const MAX_WIRE_PAYLOAD = 0xffffffff - MIN_LENGTH;
const noop = (): void => {};

type Encoded = { buf: Buffer } | { err: unknown };

function writeAfterClose(requestId: bigint): Promise<never> {
  return quietReject(new QrpcError('ERR_WRITE_AFTER_CLOSE', `request ${requestId}: this side already sent its final frame or a reset`));
}
const NOT_ENCODED: Encoded = { buf: EMPTY };

/**
 * Layer 2 of a session: everything that leaves. Stream-state checks, the
 * size limit, the codec (frames leave in the order they were written, even
 * behind an asynchronous encode), the transport's backpressure (a writer
 * waits below the high-water mark, and the connection stops reading while
 * its output is above it), and resets.
 */
export abstract class SessionOutbound<C> extends SessionStreams<C> {
  /** Largest payload this side sends (maxFrameSize minus the 12 header bytes after the length). */
  protected get maxPayload(): number {
    return Math.min(this.options.maxFrameSize - MIN_LENGTH, MAX_WIRE_PAYLOAD);
  }

  protected closedError(): QrpcError {
    return new QrpcError('ERR_CONN_CLOSED', this.isClosed ? 'the connection is closed' : 'the connection is closing: nothing more is sent', {
      cause: this.closeError ?? undefined,
    });
  }

  /** Throws ERR_FRAME_TOO_LARGE for a payload the peer would refuse (checked before any state changes). */
  protected checkSize(payload: Buffer): void {
    if (payload.length > this.maxPayload) {
      throw new QrpcError('ERR_FRAME_TOO_LARGE', `payload of ${payload.length} bytes exceeds maxFrameSize ${this.options.maxFrameSize} (length ${MIN_LENGTH} + payload): nothing was sent`);
    }
  }

  /**
   * Writes one frame with stream-state checks. `state` is the ID's record when
   * the caller has it (a handler's request, a stream writer's call); otherwise
   * the ID is looked up. Writing on a self-closed half sends nothing and
   * rejects with ERR_WRITE_AFTER_CLOSE.
   */
  sendFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer, preEncoded: boolean, state: RequestFrame | Call | null): Promise<void> {
    // The common answer (its own request's record at hand, plain, nothing queued behind an encode) in a few
    // lines: small enough to be inlined into the writer, which the general path below is not.
    if (state === null || state.requestId !== requestId || (flags & (Flags.StreamRst | Flags.Push | Flags.Codec)) !== 0 || this.isClosing || this.outChain !== null || payload.length > this.maxPayload) {
      return this.sendFrameChecked(requestId, flags, cmd, payload, preEncoded, state);
    }
    const next = step(state.state, isDone(flags) ? SEND_DONE : SEND);
    if (next < 0) return writeAfterClose(requestId);
    state.state = next;
    if (state instanceof RequestFrame) this.release(state);
    else this.releaseCall(state);
    const result = this.transport.writeFrame(requestId, flags, cmd, payload);
    if (this.options.metrics !== null) this.countOut(result, payload);
    return result === WRITE_QUEUED ? RESOLVED : this.notQueued(result);
  }

  /** Metrics: bytes of a frame the transport took. */
  protected countOut(result: number, payload: Buffer): void {
    if (result !== WRITE_CLOSED) this.options.metrics!.bytes('out', HEADER_SIZE + payload.length);
  }

  /** A write the transport did not simply queue: closed (rejects) or above the mark (waits for the drain). */
  protected notQueued(result: number): Promise<void> {
    return result === WRITE_CLOSED ? quietReject(this.closedError()) : this.outputFull();
  }

  /** sendFrame() for everything but the common answer: resets, pushes, codec, lookups by id, limits, closing. */
  private sendFrameChecked(requestId: bigint, flags: number, cmd: number, payload: Buffer, preEncoded: boolean, state: RequestFrame | Call | null): Promise<void> {
    if (this.isClosing) return quietReject(this.closedError());
    if (flags & Flags.StreamRst) return this.reset(requestId, cmd);
    if (payload.length > this.maxPayload) {
      try {
        this.checkSize(payload);
      } catch (err) {
        return quietReject(err);
      }
    }
    if ((flags & Flags.Push) === 0) {
      if (state === null || state.requestId !== requestId) state = this.findServed(requestId, Number(requestId)) ?? this.calls.get(requestId) ?? null;
      if (state !== null) {
        const next = step(state.state, isDone(flags) ? SEND_DONE : SEND);
        if (next < 0) return writeAfterClose(requestId);
        state.state = next;
        if (state instanceof RequestFrame) this.release(state);
        else this.releaseCall(state);
        if ((flags & Flags.Codec) !== 0 && (next & SELF_CLOSED) !== 0) return this.emitFinal(requestId, flags, cmd, payload, preEncoded);
      }
    }
    return this.emit(requestId, flags, cmd, payload, preEncoded);
  }

  /**
   * A final frame through the codec: if encoding fails, our half is closed
   * but nothing was sent, so a reset goes in its place and the peer's wait
   * ends instead of hanging.
   */
  private emitFinal(requestId: bigint, flags: number, cmd: number, payload: Buffer, preEncoded: boolean): Promise<void> {
    const sent = this.emit(requestId, flags, cmd, payload, preEncoded);
    if (sent !== RESOLVED) {
      sent.catch((err: QrpcError) => {
        if (err.code === 'ERR_CODEC' || err.code === 'ERR_NO_CODEC') void this.writeReset(requestId, ResetReason.None);
      });
    }
    return sent;
  }

  /** Encodes (Codec flag) and writes, keeping the order of writes behind an asynchronous encode. */
  protected emit(requestId: bigint, flags: number, cmd: number, payload: Buffer, preEncoded: boolean): Promise<void> {
    if ((flags & Flags.Codec) !== 0) {
      if (payload.length === 0) {
        flags &= ~Flags.Codec;
      } else if (!preEncoded) {
        const codec = this.options.codec;
        if (codec === null) return quietReject(new QrpcError('ERR_NO_CODEC', 'the Codec flag needs a codec on this connection'));
        let encoded;
        try {
          encoded = codec.encode(payload);
        } catch (err) {
          return quietReject(new QrpcError('ERR_CODEC', 'codec.encode failed', { cause: err }));
        }
        if (encoded instanceof Promise) {
          // Settled into a value at once: a rejection is this write's result, never an unhandled one.
          const settled = encoded.then(
            (buf: Buffer): Encoded => ({ buf }),
            (err: unknown): Encoded => ({ err }),
          );
          return this.inOrder(settled, (r) =>
            'err' in r ? quietReject(new QrpcError('ERR_CODEC', 'codec.encode failed', { cause: r.err })) : this.writeEncoded(requestId, flags, cmd, payload, r.buf),
          );
        }
        if (this.outChain !== null) return this.inOrder(null, () => this.writeEncoded(requestId, flags, cmd, payload, encoded));
        return this.writeEncoded(requestId, flags, cmd, payload, encoded);
      }
    }
    if (this.outChain !== null) return this.inOrder(null, () => this.write(requestId, flags, cmd, payload));
    return this.write(requestId, flags, cmd, payload);
  }

  /**
   * Hands one frame to the transport (`write`, once `encoding` settled) after
   * every frame queued before it; later writes wait for this one to be handed
   * over (not for the drain). Returns the write's own result; the chain
   * itself never rejects.
   */
  private inOrder(encoding: Promise<Encoded> | null, write: (encoded: Encoded) => Promise<void>): Promise<void> {
    const x = this.more();
    const prev = x.outChain ?? RESOLVED;
    let result: Promise<void> = RESOLVED;
    const handed =
      encoding === null
        ? prev.then(() => {
            result = write(NOT_ENCODED);
          })
        : Promise.all([prev, encoding]).then(([, encoded]) => {
            result = write(encoded);
          });
    x.outChain = handed;
    x.outCount++;
    handed.then(() => {
      if (--x.outCount === 0) x.outChain = null;
    });
    const out = handed.then(() => result);
    out.catch(noop);
    return out;
  }

  /** Go's rule: when encoding makes the payload larger, send it plain and clear the flag. */
  private writeEncoded(requestId: bigint, flags: number, cmd: number, plain: Buffer, output: unknown): Promise<void> {
    const encoded = asBytes(output);
    if (encoded === null) return quietReject(new QrpcError('ERR_CODEC', `codec.encode returned ${describeValue(output)}, not a Buffer or Uint8Array: nothing was sent`));
    if (encoded.length > plain.length) return this.write(requestId, flags & ~Flags.Codec, cmd, plain);
    return this.write(requestId, flags, cmd, encoded);
  }

  protected write(requestId: bigint, flags: number, cmd: number, payload: Buffer): Promise<void> {
    if (this.isClosed) return quietReject(this.closedError());
    const result = this.transport.writeFrame(requestId, flags, cmd, payload);
    if (this.options.metrics !== null) this.countOut(result, payload);
    return result === WRITE_QUEUED ? RESOLVED : this.notQueued(result);
  }

  /**
   * Queued above the high-water mark: wait for the drain. A server also stops
   * reading meanwhile (more requests would only pile up more answers), as
   * Node's HTTP server pauses a socket. A client never does: the answers it
   * reads are what lets the server read its requests again, so pausing there
   * would deadlock a busy exchange.
   */
  protected outputFull(): Promise<void> {
    if (this.options.role === 'server') this.pauseReading(PAUSE_OUTPUT, true);
    return this.whenDrained();
  }

  protected writeReset(requestId: bigint, reason: number): Promise<void> {
    // Connection notices (id 0) are not resets of a request.
    if (this.options.metrics !== null && requestId !== 0n) this.options.metrics.reset('out', reason);
    return this.write(requestId, Flags.StreamRst, reason & 0xffffff, EMPTY);
  }

  /** Resolves once queued output is below the high-water mark again. */
  whenDrained(): Promise<void> {
    if (!this.transport.needDrain) return RESOLVED;
    if (this.drainWait === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(noop);
      this.drainWait = { promise, resolve, reject };
    }
    return this.drainWait.promise;
  }

  /** Transport event: output is below the high-water mark again. */
  onDrain(): void {
    if (this.transport.needDrain) return;
    this.pauseReading(PAUSE_OUTPUT, false);
    const wait = this.drainWait;
    if (wait !== null) {
      this.drainWait = null;
      wait.resolve();
    }
    this.outputDrained();
  }

  /** Hook for the inbound layer: requests held back while the output was full may run now. */
  protected outputDrained(): void {}

  /** A stream's unread frames went above (or back under) their bound: reading pauses while any is above. */
  queuePressure(over: boolean): void {
    const x = this.more();
    x.pressured += over ? 1 : -1;
    if (this.isClosed) return;
    if (over && x.pressured === 1) this.pauseReading(PAUSE_STREAMS, true);
    else if (!over && x.pressured === 0) this.pauseReading(PAUSE_STREAMS, false);
  }

  get queueLimit(): number {
    return this.options.queueLimit;
  }

  /** Sets or clears one reason to stop reading; the transport pauses on the first reason and resumes when none is left. */
  pauseReading(reason: number, on: boolean): void {
    if (this.isPausedFor(reason) === on) return;
    const change = this.changePause(reason, on);
    if (this.isClosed) return;
    if (change > 0) this.transport.pause();
    else if (change < 0) this.transport.resume();
  }

  /** Resets a request: defined by the session (it knows both tables). */
  abstract reset(requestId: bigint, reason?: number): Promise<void>;
}
