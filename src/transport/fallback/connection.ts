import type { Socket } from 'node:net';
import { FrameParser } from '../../protocol/parser.js';
import { HEADER_SIZE, writeHeader } from '../../protocol/frame.js';
import { QrpcError } from '../../protocol/errors.js';
import type { ConnectionHandler, SocketOptions, TransportConnection } from '../types.js';
import { COPY_LIMIT, sharedArena } from './arena.js';

const dirty = new Set<FallbackConnection>();
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  for (const conn of dirty) conn.flush();
  dirty.clear();
}

/** One net.Socket: batch parser in, arena-corked writes out (one flush per tick). */
export class FallbackConnection implements TransportConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  closed = false;

  private readonly socket: Socket;
  private readonly parser: FrameParser;
  private readonly options: SocketOptions;
  private handler: ConnectionHandler | null = null;
  private closeError: QrpcError | null = null;
  /** Ranges and payloads queued this tick, in order. */
  private pending: Buffer[] = [];
  /** The open range in the shared arena that the next frame may extend. */
  private openArena: Buffer | null = null;
  private openStart = 0;
  private openEnd = 0;
  private queuedBytes = 0;
  private wantDrain = false;
  private stallTimer: NodeJS.Timeout | null = null;
  private writeTimer: NodeJS.Timeout | null = null;
  private readonly deliver: (id: bigint, flags: number, cmd: number, payload: Buffer) => void;

  constructor(socket: Socket, options: SocketOptions) {
    this.socket = socket;
    this.options = options;
    this.parser = new FrameParser(options.maxFrameSize);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    socket.setNoDelay(options.noDelay);
    if (options.keepAliveMs > 0) socket.setKeepAlive(true, options.keepAliveMs);
    socket.pause();
    this.deliver = (id, flags, cmd, payload) => this.handler!.onFrame(id, flags, cmd, payload);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.socket.end());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.closeError ??= new QrpcError('ERR_SOCKET', `socket error: ${err.code ?? err.message}`, { cause: err });
    });
    socket.on('close', () => this.onSocketClose());
    socket.on('drain', () => this.onSocketDrain());
    socket.on('timeout', () => this.destroy(new QrpcError('ERR_READ_TIMEOUT', `no data for ${options.readTimeoutMs} ms`)));
  }

  get needDrain(): boolean {
    return this.wantDrain;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    if (this.options.readTimeoutMs > 0) this.socket.setTimeout(this.options.readTimeoutMs);
    if (!this.closed) this.socket.resume();
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): boolean {
    if (this.closed) return false;
    const len = payload.length;
    if (len >= COPY_LIMIT) {
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, len, requestId, flags, cmd);
      this.closeRange();
      this.pending.push(header, payload);
    } else {
      const size = HEADER_SIZE + len;
      const offset = sharedArena.reserve(size);
      const buf = sharedArena.buf;
      writeHeader(buf, offset, len, requestId, flags, cmd);
      if (len > 0) payload.copy(buf, offset + HEADER_SIZE);
      if (this.openArena === buf && this.openEnd === offset) {
        this.openEnd = offset + size;
      } else {
        this.closeRange();
        this.openArena = buf;
        this.openStart = offset;
        this.openEnd = offset + size;
      }
    }
    return this.queued(HEADER_SIZE + len);
  }

  writeRaw(bytes: Buffer): boolean {
    if (this.closed) return false;
    this.closeRange();
    this.pending.push(bytes);
    return this.queued(bytes.length);
  }

  private queued(bytes: number): boolean {
    this.queuedBytes += bytes;
    dirty.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushAll);
    }
    const over = this.queuedBytes + this.socket.writableLength > this.options.highWaterMark;
    if (over) this.wantDrain = true;
    return !over;
  }

  private closeRange(): void {
    if (this.openArena !== null) {
      this.pending.push(this.openArena.subarray(this.openStart, this.openEnd));
      this.openArena = null;
    }
  }

  /** Hands everything queued this tick to the socket: one write, or one corked writev. */
  flush(): void {
    this.closeRange();
    const pending = this.pending;
    if (pending.length === 0 || this.closed) return;
    this.pending = [];
    this.queuedBytes = 0;
    let accepted: boolean;
    if (pending.length === 1) {
      accepted = this.socket.write(pending[0]);
    } else {
      this.socket.cork();
      for (let i = 0; i < pending.length - 1; i++) this.socket.write(pending[i]);
      accepted = this.socket.write(pending[pending.length - 1]);
      this.socket.uncork();
    }
    if (!accepted) {
      this.wantDrain = true;
      this.armWriteTimer();
    }
  }

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
    if (this.wantDrain && this.queuedBytes + this.socket.writableLength <= this.options.highWaterMark) {
      this.wantDrain = false;
      this.handler?.onDrain();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.parser.push(chunk, this.deliver);
    } catch (err) {
      if (err instanceof QrpcError) {
        this.destroy(err);
        return;
      }
      throw err;
    }
    this.watchStall();
  }

  /** Go cuts a peer off when a payload stalls after its header; so do we. */
  private watchStall(): void {
    if (this.parser.awaitingPayload) {
      if (this.stallTimer === null && this.options.stalledPayloadMs > 0) {
        const ms = this.options.stalledPayloadMs;
        this.stallTimer = setTimeout(() => this.destroy(new QrpcError('ERR_STALLED_PAYLOAD', `payload incomplete for ${ms} ms after its header`)), ms);
      }
    } else if (this.stallTimer !== null) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (this.handler !== null && !this.closed) this.socket.resume();
  }

  setReadTimeout(ms: number): void {
    this.options.readTimeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  end(): void {
    if (this.closed) return;
    this.flush();
    dirty.delete(this);
    this.socket.end();
  }

  destroy(error?: QrpcError): void {
    if (this.closed) return;
    if (error) this.closeError = error;
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.closed = true;
    this.pending = [];
    this.openArena = null;
    dirty.delete(this);
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    this.stallTimer = this.writeTimer = null;
  }

  private onSocketClose(): void {
    if (!this.closed) this.markClosed();
    const handler = this.handler;
    this.handler = null;
    handler?.onClose(this.closeError);
  }
}
