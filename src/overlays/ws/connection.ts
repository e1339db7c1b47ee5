import { Buffer } from 'node:buffer';
import process from 'node:process';
import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import { QrpcError } from '../../protocol/errors.js';
import { MessageInput, type MessageInputOwner } from '../../transport/message-input.js';
import { MessageOutput, forEachFrame } from '../../transport/message-output.js';
import { MessageEncoder } from './message-frames.js';
import { WRITE_CLOSED, type ConnectionHandler, type SocketOptions, type TransportConnection, type WriteResult } from '../../transport/types.js';

/** WebSocket close codes (RFC 6455 §7.4.1) this overlay sends. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_TOO_BIG = 1009;

/**
 * After we send a close frame, the peer gets this long to answer with its own
 * before the socket is cut (ws would wait 30 s; a peer that never reads must
 * not hold a closing connection that long).
 */
const CLOSE_GRACE_MS = 2000;

const nextTick = process.nextTick;

/**
 * One qrpc connection carried by a `ws` WebSocket. Inbound binary messages
 * are one byte stream for the frame parser (a message may hold several frames
 * or part of one, as Go's receiver allows); outbound, every frame is one
 * binary message (as Go sends), encoded here as it is written so the tick's
 * messages leave in one socket write (ws keeps the handshake, the receiver
 * and control frames).
 */
export class WsConnection implements TransportConnection, MessageInputOwner {
  closed = false;
  private ending = false;
  private readonly ws: WebSocket;
  private readonly socket: Socket;
  private readonly options: SocketOptions;
  /** Parser, messages held while not attached or paused (ws may emit several from one read), idle and stall cut-offs. */
  private readonly input: MessageInput;
  private handler: ConnectionHandler | null = null;
  private closeError: QrpcError | null = null;
  /** The high-water bookkeeping and the once-per-tick flush of what `encoder` holds. */
  private readonly output: MessageOutput;
  /** This tick's messages, encoded for the socket. */
  private readonly encoder: MessageEncoder;
  private writeTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  /** socket.bytesRead at the last ping: the peer is alive when it grew (a pong, data, part of a large message). */
  private bytesReadAtPing = -1;
  private idleListened = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  constructor(ws: WebSocket, options: SocketOptions, role: 'client' | 'server') {
    this.ws = ws;
    this.options = options;
    this.input = new MessageInput(options, this);
    this.output = new MessageOutput(ws, options.highWaterMark, nextTick, this.flush);
    // ws keeps its net.Socket here; it is needed for pause/resume, writes, drain and addresses (ws has no API for them).
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.encoder = new MessageEncoder(role === 'client', this.socket);
    const s = this.socket;
    this.remoteAddress = s.remoteAddress ?? '';
    this.remotePort = s.remotePort ?? 0;
    this.localAddress = s.localAddress ?? '';
    this.localPort = s.localPort ?? 0;
    s.setNoDelay(options.noDelay);
    ws.binaryType = 'nodebuffer';
    // Nothing is read before attach(): the core must not see a frame before it has a handler.
    this.stopSocket();
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data as Buffer, isBinary));
    ws.on('error', (err: Error & { code?: string }) => this.onWsError(err));
    ws.on('close', (code: number, reason: Buffer) => this.onWsClose(code, reason));
    if (options.readTimeoutMs > 0) this.listenForIdle();
    s.on('drain', () => this.onSocketDrain());
    /*
     * ws answers the peer's close frame from inside its receiver, before our
     * once-per-tick flush: what the core queued until then (answers to the
     * peer's last requests) goes first, as the TCP backends flush on a FIN.
     */
    const close = ws.close.bind(ws);
    ws.close = (code?: number, reason?: string | Buffer) => {
      if (!this.closed) this.flush();
      close(code, reason);
    };
  }

  get needDrain(): boolean {
    return this.output.wantDrain;
  }

  get queuedOutputBytes(): number {
    return this.output.queuedOutputBytes;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    this.input.handler = handler;
    if (this.closed) return;
    this.input.armIdle();
    this.armPing();
    this.resume();
  }

  // ---- input ----

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.fail(new QrpcError('ERR_INVALID_FRAME', 'text WebSocket message: qrpc frames travel in binary messages'), CLOSE_UNSUPPORTED_DATA);
      return;
    }
    this.input.receive(data);
  }

  /** The frame parser refused the bytes. */
  rejectInput(error: QrpcError): void {
    this.fail(error, error.code === 'ERR_FRAME_TOO_LARGE' ? CLOSE_TOO_BIG : CLOSE_PROTOCOL_ERROR);
  }

  pause(): void {
    if (this.input.pause()) this.stopSocket();
  }

  /**
   * ws.pause() leaves the socket flowing while ws's receiver is draining (it
   * pauses it later); reading must stop now, or a paused connection would
   * keep buffering the peer's input, so the socket is paused as well.
   */
  private stopSocket(): void {
    this.ws.pause();
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed && this.input.resume()) this.ws.resume();
  }

  setReadTimeout(ms: number): void {
    if (ms > 0) this.listenForIdle();
    this.input.setReadTimeout(ms);
  }

  /**
   * Any byte from the peer restarts the idle cut-off, also those of a large
   * message still arriving. Listened to only once a cut-off is set: a second
   * 'data' listener makes every read's emit copy the listener list.
   */
  private listenForIdle(): void {
    if (this.idleListened) return;
    this.idleListened = true;
    this.socket.on('data', () => this.input.heard());
  }

  /**
   * Keep-alive over the overlay is WebSocket ping/pong (a proxy between the
   * peers would answer TCP keep-alive itself): every keepAliveMs a ping; a
   * peer that sent nothing at all (no pong, no data) for a whole interval is
   * dead and cut off with ERR_READ_TIMEOUT.
   */
  private armPing(): void {
    const ms = this.options.keepAliveMs;
    if (ms <= 0 || this.pingTimer !== null) return;
    this.pingTimer = setInterval(() => {
      if (this.closed) return;
      const read = this.socket.bytesRead;
      // While we do not read, the peer's pongs wait unread: the dead-peer clock stands still (as the idle cut-off).
      if (read === this.bytesReadAtPing && !this.input.paused) {
        this.destroy(new QrpcError('ERR_READ_TIMEOUT', `no pong from the WebSocket peer within ${ms} ms`));
        return;
      }
      this.bytesReadAtPing = read;
      this.ws.ping();
    }, ms);
    this.pingTimer.unref();
  }

  // ---- output ----

  private refusesWrites(): boolean {
    return this.closed || this.ending || this.ws.readyState !== 1;
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    return this.output.count(this.encoder.frame(requestId, flags, cmd, payload));
  }

  /** Bytes that already are encoded frames: split at frame boundaries so each still leaves as one message. */
  writeRaw(bytes: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    let size = 0;
    forEachFrame(bytes, (frame) => (size += this.encoder.message(frame)));
    return this.output.count(size);
  }

  /** True for a server's connection: its messages are unmasked, so a broadcast's can be built once for all (serverMessages). */
  get sharesMessages(): boolean {
    return !this.encoder.masked;
  }

  /** A broadcast's messages, built once by serverMessages(`size` bytes on the wire): no copy, and no flush to wait for when nothing is queued. */
  writeShared(messages: readonly Buffer[], size: number): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    if (!this.encoder.shared(messages)) return this.output.count(size);
    if (this.socket.writableNeedDrain) this.armWriteTimer();
    return this.output.wrote();
  }

  private readonly flush = (): void => {
    this.output.taken();
    if (this.closed) return;
    if (!this.encoder.writeTo()) return;
    if (this.socket.writableNeedDrain) this.armWriteTimer();
    this.checkDrain();
  };

  private armWriteTimer(): void {
    const ms = this.options.writeTimeoutMs;
    if (ms > 0 && this.writeTimer === null) {
      this.writeTimer = setTimeout(() => this.destroy(new QrpcError('ERR_WRITE_TIMEOUT', `output not taken for ${ms} ms`)), ms);
    }
  }

  private onSocketDrain(): void {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
    this.checkDrain();
  }

  private checkDrain(): void {
    if (!this.closed && this.output.drained()) this.handler?.onDrain();
  }

  // ---- closing ----

  /**
   * Flushes, then sends a close frame: 1001 (going away) when the server
   * shuts down, as browsers and Go expect of a departing server; else 1000.
   */
  end(reason?: QrpcError | null): void {
    if (this.closed || this.ending) return;
    this.flush();
    this.ending = true;
    const shutdown = reason?.code === 'ERR_SHUTDOWN';
    this.ws.close(shutdown ? CLOSE_GOING_AWAY : CLOSE_NORMAL, shutdown ? 'server shutting down' : '');
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  destroy(error?: QrpcError): void {
    if (this.closed) return;
    if (error) this.closeError = error;
    this.markClosed();
    this.ws.terminate();
  }

  /** A protocol error: say why in a close frame (the peer sees code and reason), then cut the socket soon. */
  private fail(error: QrpcError, code: number): void {
    if (this.closed) return;
    this.closeError = error;
    this.markClosed();
    // Close reasons are limited to 123 bytes.
    this.ws.close(code, Buffer.from(error.message).subarray(0, 123).toString());
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  private onWsError(err: Error & { code?: string }): void {
    if (this.closed) return;
    // ws closes the socket itself after its own protocol errors (with code 1002 or 1009 sent).
    this.closeError ??=
      err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? new QrpcError('ERR_FRAME_TOO_LARGE', `WebSocket message larger than maxFrameSize allows: ${err.message}`)
        : new QrpcError(err.code?.startsWith('WS_ERR') ? 'ERR_INVALID_FRAME' : 'ERR_SOCKET', `WebSocket error: ${err.message}`, { cause: err });
    this.markClosed();
  }

  private onWsClose(code: number, reason: Buffer): void {
    if (!this.closed) {
      // 1000/1001 are orderly; 1005 (no code) and 1006 (no close frame: Go peers just close the TCP connection) too.
      if (code !== CLOSE_NORMAL && code !== CLOSE_GOING_AWAY && code !== 1005 && code !== 1006 && !this.ending) {
        this.closeError ??= new QrpcError('ERR_SOCKET', `WebSocket closed by the peer with code ${code}${reason.length ? `: ${reason.toString()}` : ''}`);
      }
      this.markClosed();
    }
    const handler = this.handler;
    this.handler = null;
    handler?.onClose(this.closeError);
  }

  private markClosed(): void {
    this.closed = true;
    this.output.clear();
    this.encoder.clear();
    this.input.close();
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.writeTimer = this.pingTimer = null;
  }
}
