// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import { Flags } from '../protocol/flags.js';
import { copyInto, toPayload, type PayloadInput } from '../protocol/frame.js';
import { assertCmd } from '../protocol/cmd.js';
import { QrpcError } from '../protocol/errors.js';
import type { RequestFrame } from './request.js';
import type { Call } from './call.js';
import { TRANSPORT_COPY_LIMIT } from '../transport/types.js';

/** What a writer needs of its connection (the session's outbound layer). */
export interface FrameSender {
  sendFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer, preEncoded: boolean, state: RequestFrame | Call | null): Promise<void>;
  reset(requestId: bigint, reason?: number): Promise<void>;
}

function checkHeader(requestId: unknown, cmd: number, flags: unknown): void {
  if (typeof requestId !== 'bigint') throw new QrpcError('ERR_INVALID_ARG', `requestId must be a bigint (e.g. req.requestId), got ${typeof requestId} ${String(requestId)}`);
  assertCmd(cmd);
  if (!Number.isInteger(flags) || (flags as number) < 0 || (flags as number) > 0xff) throw new QrpcError('ERR_INVALID_ARG', `flags must be an integer 0..255 (see Flags), got ${String(flags)}`);
}

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};

/** A promise that is already rejected but never reported as unhandled: the caller may not await it. */
export function quietReject(error: unknown): Promise<never> {
  const p = Promise.reject(error);
  p.catch(noop);
  return p;
}

/**
 * Collects the payload parts written since startWrite. One part is passed on
 * as is; several small parts are joined in a shared scratch buffer, which is
 * safe because transports copy payloads below TRANSPORT_COPY_LIMIT before
 * writeFrame returns (see transport/types.ts) and nothing else keeps it.
 */
class PayloadBuilder {
  private first: Buffer | null = null;
  private second: Buffer | null = null;
  /** Parts from the third on (rare: most answers are one or two parts). */
  private more: Buffer[] | null = null;
  private length = 0;

  protected resetParts(): void {
    this.first = null;
    this.second = null;
    this.more = null;
    this.length = 0;
  }

  protected addPart(bytes: PayloadInput): void {
    const buf = toPayload(bytes);
    if (buf.length === 0) return;
    this.length += buf.length;
    if (this.first === null) this.first = buf;
    else if (this.second === null) this.second = buf;
    else (this.more ??= []).push(buf);
  }

  /** The joined payload; `transient` allows the scratch buffer (the frame is written synchronously). */
  protected takePayload(transient: boolean): Buffer {
    const first = this.first;
    const second = this.second;
    let out: Buffer;
    if (first === null) {
      out = EMPTY;
    } else if (second === null) {
      out = first;
    } else if (transient && this.length < TRANSPORT_COPY_LIMIT) {
      copyInto(first, scratch, 0);
      copyInto(second, scratch, first.length);
      let offset = first.length + second.length;
      if (this.more !== null) {
        for (const part of this.more) {
          copyInto(part, scratch, offset);
          offset += part.length;
        }
      }
      out = scratch.subarray(0, offset);
    } else {
      out = Buffer.concat(this.more === null ? [first, second] : [first, second, ...this.more], this.length);
    }
    this.resetParts();
    return out;
  }
}

const scratch = Buffer.allocUnsafe(TRANSPORT_COPY_LIMIT);

/**
 * Go's FrameWriter: startWrite(requestId, cmd, flags), writeBytes(...),
 * endWrite(). Given to handlers to answer (or stream answers to) a request;
 * endWrite() resolves when the frame is queued to the socket below its
 * high-water mark, and rejects with ERR_WRITE_AFTER_CLOSE / ERR_CONN_CLOSED
 * without sending anything when it cannot be sent.
 */
export class FrameWriter extends PayloadBuilder {
  private readonly session: FrameSender;
  /** The request this writer answers; frames for other IDs are looked up by the session. */
  private readonly request: RequestFrame | null;
  private requestId = 0n;
  private cmd = 0;
  private flags = 0;

  /** @internal */
  constructor(session: FrameSender, request: RequestFrame | null = null) {
    super();
    this.session = session;
    this.request = request;
  }

  startWrite(requestId: bigint, cmd: number, flags: number = 0): this {
    checkHeader(requestId, cmd, flags);
    this.requestId = requestId;
    this.cmd = cmd;
    this.flags = flags;
    this.resetParts();
    return this;
  }

  writeBytes(bytes: PayloadInput): this {
    this.addPart(bytes);
    return this;
  }

  /** Sends the frame; with the Codec flag the payload is encoded by the connection's codec. */
  endWrite(): Promise<void> {
    return this.session.sendFrame(this.requestId, this.flags, this.cmd, this.takePayload((this.flags & Flags.Codec) === 0), false, this.request);
  }

  /** Sends a payload that is already encoded, with the Codec flag set. */
  endWriteCompressed(): Promise<void> {
    return this.session.sendFrame(this.requestId, this.flags | Flags.Codec, this.cmd, this.takePayload(true), true, this.request);
  }

  /** Resets the stream of `requestId` with a reason code carried in cmd. */
  resetFrame(requestId: bigint, reason: number = 0): Promise<void> {
    return this.session.reset(requestId, reason);
  }

  /** One-shot convenience: startWrite + writeBytes + endWrite. */
  reply(requestId: bigint, cmd: number, payload?: PayloadInput, flags: number = 0): Promise<void> {
    checkHeader(requestId, cmd, flags);
    return this.session.sendFrame(requestId, flags, cmd, toPayload(payload), false, this.request);
  }
}

/**
 * Go's StreamWriter for a streamed request this side opened: every endWrite
 * sends one more frame of the stream; endWrite(true) ends our half.
 */
export class StreamWriter extends PayloadBuilder {
  readonly requestId: bigint;
  private readonly session: FrameSender;
  private readonly call: Call;
  private cmd: number;
  private readonly baseFlags: number;

  /** @internal */
  constructor(session: FrameSender, call: Call, cmd: number, baseFlags: number) {
    super();
    this.session = session;
    this.call = call;
    this.requestId = call.requestId;
    this.cmd = cmd;
    this.baseFlags = baseFlags & (Flags.NB | Flags.Codec);
  }

  startWrite(cmd: number = this.cmd): this {
    assertCmd(cmd);
    this.cmd = cmd;
    this.resetParts();
    return this;
  }

  writeBytes(bytes: PayloadInput): this {
    this.addPart(bytes);
    return this;
  }

  endWrite(end: boolean = false): Promise<void> {
    // As Go sends it: every frame carries Stream, the last one StreamEnd as well.
    const flags = this.baseFlags | Flags.Stream | (end ? Flags.StreamEnd : 0);
    return this.session.sendFrame(this.requestId, flags, this.cmd, this.takePayload((flags & Flags.Codec) === 0), false, this.call);
  }

  /** Convenience: one frame of the stream. */
  write(payload: PayloadInput, options: { end?: boolean; cmd?: number } = {}): Promise<void> {
    if (options.cmd !== undefined) {
      assertCmd(options.cmd);
      this.cmd = options.cmd;
    }
    this.resetParts();
    this.addPart(payload);
    return this.endWrite(options.end ?? false);
  }

  /** Ends our half with an empty StreamEnd frame. */
  end(payload?: PayloadInput): Promise<void> {
    return this.write(payload, { end: true });
  }

  resetFrame(reason: number = 0): Promise<void> {
    return this.session.reset(this.requestId, reason);
  }
}
