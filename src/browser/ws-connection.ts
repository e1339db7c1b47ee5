import { Buffer } from 'node:buffer';
import { FrameParser } from '../protocol/parser.js';
import { HEADER_SIZE, writeHeader } from '../protocol/frame.js';
import { QrpcError } from '../protocol/errors.js';
import { WRITE_CLOSED, WRITE_FULL, WRITE_QUEUED, type ConnectionHandler, type SocketOptions, type TransportConnection, type WriteResult } from '../transport/types.js';
import { CLOSE_APP_PROTOCOL_ERROR, CLOSE_APP_TOO_BIG, CLOSE_APP_UNSUPPORTED_DATA, CLOSE_NORMAL, OPEN, closeReason, type BrowserWebSocket } from './web-socket.js';

/**
 * A page's WebSocket has no drain event: while output is above the
 * high-water mark (or a write timeout is armed) bufferedAmount is polled.
 */
const OUTPUT_POLL_MS = 10;

type Timer = ReturnType<typeof setTimeout>;

/**
 * One qrpc connection over the browser's WebSocket, with the overlay's
 * framing: every frame we send is one binary message; received binary
 * messages are one byte stream (a message may hold several frames or part
 * of one). The browser answers pings itself and cannot stop reading a
 * socket, so pause() holds messages in memory until resume().
 */
export class BrowserWsConnection implements TransportConnection {
  closed = false;
  private ending = false;
  private readonly ws: BrowserWebSocket;
  private readonly options: SocketOptions;
  private readonly parser: FrameParser;
  private handler: ConnectionHandler | null = null;
  private closeError: QrpcError | null = null;
  private held: Buffer[] = [];
  private paused = true;
  private pending: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private wantDrain = false;
  private readTimeoutMs: number;
  private idleTimer: Timer | null = null;
  private stallTimer: Timer | null = null;
  private writeTimer: Timer | null = null;
  private outputPoll: Timer | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** A page cannot see its socket's local end. */
  readonly localAddress = '';
  readonly localPort = 0;

  constructor(ws: BrowserWebSocket, options: SocketOptions, host: string, port: number) {
    this.ws = ws;
    this.options = options;
    this.readTimeoutMs = options.readTimeoutMs;
    this.parser = new FrameParser(options.maxFrameSize);
    this.remoteAddress = host;
    this.remotePort = port;
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onerror = () => {}; // a close event follows, with all the browser tells
    ws.onclose = (event) => this.onWsClose(event.code, event.reason);
  }

  get needDrain(): boolean {
    return this.wantDrain;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    if (this.closed) queueMicrotask(() => this.notifyClosed());
    else this.resume();
  }

  // ---- input ----

  private onMessage(data: ArrayBuffer | string): void {
    if (this.closed) return;
    if (typeof data === 'string') {
      this.fail(new QrpcError('ERR_INVALID_FRAME', 'text WebSocket message: qrpc frames travel in binary messages'), CLOSE_APP_UNSUPPORTED_DATA);
      return;
    }
    if (this.idleTimer !== null) this.idleTimer.refresh();
    const chunk = Buffer.from(data);
    if (this.paused || this.handler === null) this.held.push(chunk);
    else this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    const partials = this.parser.partials;
    try {
      this.parser.push(chunk, this.handler!);
    } catch (err) {
      if (!(err instanceof QrpcError)) throw err;
      this.fail(err, err.code === 'ERR_FRAME_TOO_LARGE' ? CLOSE_APP_TOO_BIG : CLOSE_APP_PROTOCOL_ERROR);
      return;
    }
    this.watchStall(this.parser.partials !== partials);
  }

  /** As the Node transports: a payload still incomplete stalledPayloadMs after its header cuts the peer off. */
  private watchStall(newFrame = false): void {
    if (this.parser.awaitingPayload && !this.paused && !this.closed) {
      if (newFrame && this.stallTimer !== null) this.stallTimer.refresh();
      else if (this.stallTimer === null && this.options.stalledPayloadMs > 0) {
        const ms = this.options.stalledPayloadMs;
        this.stallTimer = setTimeout(() => this.destroy(new QrpcError('ERR_STALLED_PAYLOAD', `payload incomplete for ${ms} ms after its header`)), ms);
      }
    } else this.stallTimer = clear(this.stallTimer);
  }

  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.idleTimer = clear(this.idleTimer);
    this.stallTimer = clear(this.stallTimer);
  }

  resume(): void {
    if (this.handler === null || this.closed || !this.paused) return;
    this.paused = false;
    // Held messages go first, in order; a handler may pause again meanwhile.
    while (this.held.length > 0 && !this.paused && !this.closed) this.feed(this.held.shift()!);
    if (this.paused || this.closed) return;
    this.armIdle();
    this.watchStall();
  }

  setReadTimeout(ms: number): void {
    this.readTimeoutMs = ms;
    this.idleTimer = clear(this.idleTimer);
    if (!this.paused) this.armIdle();
  }

  private armIdle(): void {
    const ms = this.readTimeoutMs;
    if (ms > 0 && this.idleTimer === null && !this.closed) {
      this.idleTimer = setTimeout(() => this.destroy(new QrpcError('ERR_READ_TIMEOUT', `no data for ${ms} ms`)), ms);
    }
  }

  // ---- output ----

  private refusesWrites(): boolean {
    return this.closed || this.ending || this.ws.readyState !== OPEN;
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    const frame = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
    writeHeader(frame, 0, payload.length, requestId, flags, cmd);
    frame.set(payload, HEADER_SIZE);
    return this.queue(frame);
  }

  /** Encoded frames: split at frame boundaries so each still leaves as one message. */
  writeRaw(bytes: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    let result: WriteResult = WRITE_QUEUED;
    let offset = 0;
    while (offset + 4 <= bytes.length) {
      const end = Math.min(bytes.length, offset + 4 + bytes.readUInt32BE(offset));
      result = this.queue(bytes.subarray(offset, end));
      offset = end;
    }
    if (offset < bytes.length) result = this.queue(bytes.subarray(offset));
    return result;
  }

  private queue(frame: Buffer): WriteResult {
    this.pending.push(frame);
    this.queuedBytes += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    // What the browser still buffers counts toward the mark, as the TCP backends count the socket's buffer.
    if (this.queuedBytes + this.ws.bufferedAmount > this.options.highWaterMark) {
      this.wantDrain = true;
      return WRITE_FULL;
    }
    return WRITE_QUEUED;
  }

  private flush(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    if (pending.length === 0 || this.closed) return;
    this.pending = [];
    this.queuedBytes = 0;
    for (let i = 0; i < pending.length; i++) this.ws.send(pending[i]);
    if (this.ws.bufferedAmount > 0 && this.options.writeTimeoutMs > 0 && this.writeTimer === null) {
      const ms = this.options.writeTimeoutMs;
      this.writeTimer = setTimeout(() => this.destroy(new QrpcError('ERR_WRITE_TIMEOUT', `output not taken for ${ms} ms`)), ms);
    }
    this.watchOutput();
  }

  /** Ends the write timeout once the browser sent everything, and reports the drain below the mark. */
  private watchOutput(): void {
    this.outputPoll = null;
    if (this.closed) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered === 0) this.writeTimer = clear(this.writeTimer);
    if (this.wantDrain && this.queuedBytes + buffered <= this.options.highWaterMark) {
      this.wantDrain = false;
      this.handler?.onDrain();
    }
    if ((this.wantDrain || this.writeTimer !== null) && this.outputPoll === null && !this.closed) {
      this.outputPoll = setTimeout(() => this.watchOutput(), OUTPUT_POLL_MS);
    }
  }

  // ---- closing ----

  /** Flushes, then closes with 1000; onClose follows the closing handshake. */
  end(_reason?: QrpcError | null): void {
    if (this.closed || this.ending) return;
    this.flush();
    this.ending = true;
    this.ws.close(CLOSE_NORMAL);
  }

  /** A page cannot cut a socket harder than close(): the connection counts as closed at once. */
  destroy(error?: QrpcError): void {
    if (this.closed) return;
    if (error) this.closeError = error;
    this.closeNow(CLOSE_NORMAL, error?.message ?? '');
  }

  /** A protocol error: say why in the close frame (the server logs code and reason). */
  private fail(error: QrpcError, code: number): void {
    if (this.closed) return;
    this.closeError = error;
    this.closeNow(code, error.message);
  }

  private closeNow(code: number, reason: string): void {
    this.markClosed();
    this.ws.close(code, closeReason(reason));
    // The close event may come much later (the server must answer first); the core hears of it now.
    queueMicrotask(() => this.notifyClosed());
  }

  private onWsClose(code: number, reason: string): void {
    if (!this.closed) {
      // 1000/1001 are orderly; 1005 (no code) and 1006 (no close frame: Go peers just close the TCP connection) too.
      if (code !== 1000 && code !== 1001 && code !== 1005 && code !== 1006 && !this.ending) {
        this.closeError ??= new QrpcError('ERR_SOCKET', `WebSocket closed by the peer with code ${code}${reason ? `: ${reason}` : ''}`);
      }
      this.markClosed();
    }
    this.notifyClosed();
  }

  private notifyClosed(): void {
    const handler = this.handler;
    this.handler = null;
    handler?.onClose(this.closeError);
  }

  private markClosed(): void {
    this.closed = true;
    this.pending = [];
    this.held = [];
    this.idleTimer = clear(this.idleTimer);
    this.stallTimer = clear(this.stallTimer);
    this.writeTimer = clear(this.writeTimer);
    this.outputPoll = clear(this.outputPoll);
  }
}

function clear(timer: Timer | null): null {
  if (timer !== null) clearTimeout(timer);
  return null;
}
