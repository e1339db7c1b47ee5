import type { Buffer } from 'node:buffer';
import { FrameParser } from '../protocol/parser.js';
import { QrpcError } from '../protocol/errors.js';
import type { ConnectionHandler, SocketOptions } from './types.js';

type Timer = ReturnType<typeof setTimeout>;

/** What a message transport does when its input fails. */
export interface MessageInputOwner {
  /** The bytes broke the framing rules (ERR_INVALID_FRAME, ERR_FRAME_TOO_LARGE): close, telling the peer why. */
  rejectInput(error: QrpcError): void;
  /** A cut-off (ERR_READ_TIMEOUT, ERR_STALLED_PAYLOAD): close now. */
  destroy(error: QrpcError): void;
}

/**
 * The input side of the WebSocket transports (the Node overlay and the
 * browser build): binary messages are one byte stream for the frame parser
 * (a message may hold several frames or part of one, as Go's receiver
 * allows); messages that arrive before attach() or while paused are held in
 * order; the TCP backends' idle cut-off and stalled-payload rule.
 */
export class MessageInput {
  handler: ConnectionHandler | null = null;
  paused = true;
  private closed = false;
  private held: Buffer[] = [];
  private readonly parser: FrameParser;
  private readonly owner: MessageInputOwner;
  private readonly stalledPayloadMs: number;
  private readTimeoutMs: number;
  private idleTimer: Timer | null = null;
  private stallTimer: Timer | null = null;

  constructor(options: SocketOptions, owner: MessageInputOwner) {
    this.parser = new FrameParser(options.maxFrameSize);
    this.owner = owner;
    this.stalledPayloadMs = options.stalledPayloadMs;
    this.readTimeoutMs = options.readTimeoutMs;
  }

  receive(message: Buffer): void {
    if (this.paused || this.handler === null) this.held.push(message);
    else this.feed(message);
  }

  private feed(message: Buffer): void {
    const partials = this.parser.partials;
    try {
      this.parser.push(message, this.handler!);
    } catch (err) {
      if (!(err instanceof QrpcError)) throw err;
      this.owner.rejectInput(err);
      return;
    }
    this.watchStall(this.parser.partials !== partials);
  }

  /** A payload incomplete stalledPayloadMs after its header cuts the peer off. */
  private watchStall(newFrame = false): void {
    if (this.parser.awaitingPayload && !this.paused && !this.closed) {
      if (newFrame && this.stallTimer !== null) this.stallTimer.refresh();
      else if (this.stallTimer === null && this.stalledPayloadMs > 0) {
        const ms = this.stalledPayloadMs;
        this.stallTimer = setTimeout(() => this.owner.destroy(new QrpcError('ERR_STALLED_PAYLOAD', `payload incomplete for ${ms} ms after its header`)), ms);
      }
    } else this.stallTimer = clear(this.stallTimer);
  }

  /** Stops delivery (and the timers that count the peer's silence); false when already stopped. */
  pause(): boolean {
    if (this.paused || this.closed) return false;
    this.paused = true;
    this.idleTimer = clear(this.idleTimer);
    this.stallTimer = clear(this.stallTimer);
    return true;
  }

  /** Delivers what was held, in order, then flows; false when not flowing afterwards (a handler may pause again meanwhile). */
  resume(): boolean {
    if (this.handler === null || this.closed || !this.paused) return false;
    this.paused = false;
    while (this.held.length > 0 && !this.paused && !this.closed) this.feed(this.held.shift()!);
    if (this.paused || this.closed) return false;
    this.armIdle();
    this.watchStall();
    return true;
  }

  setReadTimeout(ms: number): void {
    this.readTimeoutMs = ms;
    this.idleTimer = clear(this.idleTimer);
    if (!this.paused) this.armIdle();
  }

  armIdle(): void {
    const ms = this.readTimeoutMs;
    if (ms > 0 && this.idleTimer === null && !this.closed) {
      this.idleTimer = setTimeout(() => this.owner.destroy(new QrpcError('ERR_READ_TIMEOUT', `no data for ${ms} ms`)), ms);
    }
  }

  /** Bytes came from the peer: the idle cut-off starts over. */
  heard(): void {
    if (this.idleTimer !== null) this.idleTimer.refresh();
  }

  close(): void {
    this.closed = true;
    this.held = [];
    this.idleTimer = clear(this.idleTimer);
    this.stallTimer = clear(this.stallTimer);
  }
}

function clear(timer: Timer | null): null {
  if (timer !== null) clearTimeout(timer);
  return null;
}
