import { Buffer } from 'node:buffer';
import { QrpcError } from '../protocol/errors.js';
import { MessageInput, type MessageInputOwner } from '../transport/message-input.js';
import { MessageOutput, frameMessage } from '../transport/message-output.js';
import { WRITE_CLOSED, type ConnectionHandler, type SocketOptions, type TransportConnection, type WriteResult } from '../transport/types.js';
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
export class BrowserWsConnection implements TransportConnection, MessageInputOwner {
  closed = false;
  private ending = false;
  private readonly ws: BrowserWebSocket;
  private readonly options: SocketOptions;
  private readonly input: MessageInput;
  private handler: ConnectionHandler | null = null;
  private closeError: QrpcError | null = null;
  private readonly output: MessageOutput;
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
    this.input = new MessageInput(options, this);
    this.output = new MessageOutput(ws, options.highWaterMark, queueMicrotask, this.flush);
    this.remoteAddress = host;
    this.remotePort = port;
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onerror = () => {}; // a close event follows, with all the browser tells
    ws.onclose = (event) => this.onWsClose(event.code, event.reason);
  }

  get queuedOutputBytes(): number {
    return this.output.queuedOutputBytes;
  }

  get needDrain(): boolean {
    return this.output.wantDrain;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    this.input.handler = handler;
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
    this.input.heard();
    this.input.receive(Buffer.from(data));
  }

  /** The frame parser refused the bytes. */
  rejectInput(error: QrpcError): void {
    this.fail(error, error.code === 'ERR_FRAME_TOO_LARGE' ? CLOSE_APP_TOO_BIG : CLOSE_APP_PROTOCOL_ERROR);
  }

  pause(): void {
    this.input.pause();
  }

  resume(): void {
    if (!this.closed) this.input.resume();
  }

  setReadTimeout(ms: number): void {
    this.input.setReadTimeout(ms);
  }

  // ---- output ----

  private refusesWrites(): boolean {
    return this.closed || this.ending || this.ws.readyState !== OPEN;
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    return this.output.queue(frameMessage(requestId, flags, cmd, payload));
  }

  /** Encoded frames: split at frame boundaries so each still leaves as one message. */
  writeRaw(bytes: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    return this.output.queueFrames(bytes);
  }

  private readonly send = (message: Buffer): void => this.ws.send(message);

  private readonly flush = (): void => {
    if (this.closed) {
      this.output.taken();
      return;
    }
    if (this.output.flushTo(this.send) === 0) return;
    if (this.ws.bufferedAmount > 0 && this.options.writeTimeoutMs > 0 && this.writeTimer === null) {
      const ms = this.options.writeTimeoutMs;
      this.writeTimer = setTimeout(() => this.destroy(new QrpcError('ERR_WRITE_TIMEOUT', `output not taken for ${ms} ms`)), ms);
    }
    this.watchOutput();
  };

  /** Ends the write timeout once the browser sent everything, and reports the drain below the mark. */
  private watchOutput(): void {
    this.outputPoll = null;
    if (this.closed) return;
    if (this.ws.bufferedAmount === 0) this.writeTimer = clear(this.writeTimer);
    if (this.output.drained()) this.handler?.onDrain();
    if ((this.output.wantDrain || this.writeTimer !== null) && this.outputPoll === null && !this.closed) {
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
    this.output.clear();
    this.input.close();
    this.writeTimer = clear(this.writeTimer);
    this.outputPoll = clear(this.outputPoll);
  }
}

function clear(timer: Timer | null): null {
  if (timer !== null) clearTimeout(timer);
  return null;
}
