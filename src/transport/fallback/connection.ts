// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import process from 'node:process';
import type { Socket } from 'node:net';
import { FrameParser } from '../../protocol/parser.js';
import { HEADER_SIZE, writeHeader, writeHeaderView, copyInto } from '../../protocol/frame.js';
import { QrpcError, type ErrorCode } from '../../protocol/errors.js';
import { WRITE_CLOSED, WRITE_FULL, WRITE_QUEUED, type ConnectionHandler, type SocketOptions, type TransportConnection, type WriteResult } from '../types.js';
import { COPY_LIMIT, sharedArena } from '../arena.js';

/** Read once: the process object is in dictionary mode, so `process.nextTick` is a slow lookup on every write. */
const nextTick = process.nextTick;

let dirty: FallbackConnection[] = [];
/** Bytes queued in one tick after which a connection flushes without waiting for the tick to end. */
const EARLY_FLUSH_BYTES = Number(process.env.QRPC_EARLY_FLUSH ?? 16384);
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (const conn of list) {
    conn.dirty = false;
    conn.flush();
  }
}

/**
 * Socket listeners shared by every connection (`this` is the socket): an idle
 * connection costs no closures of its own.
 */
const kConnection = Symbol('qrpc.connection');
type OwnedSocket = Socket & { [kConnection]: FallbackConnection };
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection].onData(chunk);
}
function onSocketError(this: OwnedSocket, err: NodeJS.ErrnoException): void {
  this[kConnection].onError(err);
}
function onSocketClose(this: OwnedSocket): void {
  this[kConnection].onSocketClose();
}
function onSocketDrain(this: OwnedSocket): void {
  this[kConnection].onSocketDrain();
}
function onSocketTimeout(this: OwnedSocket): void {
  this[kConnection].onReadTimeout();
}
function onSocketEnd(this: OwnedSocket): void {
  this[kConnection].onPeerEnd();
}

/** One net.Socket: batch parser in, arena-corked writes out (one flush per tick). */
export class FallbackConnection implements TransportConnection {
  closed = false;
  /** end() was called: nothing more is queued, what is queued leaves, then the socket closes. */
  private ending = false;

  private readonly socket: Socket;
  private readonly parser: FrameParser;
  /** Shared by every connection of a listener; never written. */
  private readonly options: SocketOptions;
  /** This connection's idle cut-off (setReadTimeout changes it without touching the shared options). */
  private readTimeoutMs: number;
  private handler: ConnectionHandler | null = null;
  private closeError: QrpcError | null = null;
  /**
   * Ranges and payloads queued this tick, in order (empty in the common tick
   * of one range), and the array the flush just wrote from: the two swap, so
   * no array is replaced per tick (a replaced one, once promoted, keeps the
   * next tick's young buffers alive through scavenges: bench/README.md).
   */
  private pending: Buffer[] = [];
  private flushed: Buffer[] = [];
  /** The open range in the shared arena that the next frame may extend. */
  private openArena: Buffer | null = null;
  private openStart = 0;
  private openEnd = 0;
  private queuedBytes = 0;
  private wantDrain = false;
  private stallTimer: NodeJS.Timeout | null = null;
  /** pause() was called: reading, and the cut-offs that measure the peer's input, stand still. */
  private paused = false;
  private writeTimer: NodeJS.Timeout | null = null;
  /** Listed for this tick's flush. */
  dirty = false;
  private localCache: { address: string; port: number } | null = null;
  private drainListened = false;
  private timeoutListened = false;

  constructor(socket: Socket, options: SocketOptions) {
    this.socket = socket;
    this.options = options;
    this.readTimeoutMs = options.readTimeoutMs;
    this.parser = new FrameParser(options.maxFrameSize);
    socket.setNoDelay(options.noDelay);
    if (options.keepAliveMs > 0) socket.setKeepAlive(true, options.keepAliveMs);
    socket.pause();
    // allowHalfOpen is false on both ends: a peer's FIN ends our side once our output is flushed.
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
  }

  /** @internal */
  onError(err: NodeJS.ErrnoException): void {
    this.rememberPeer();
    // The first reason wins: an error after we decided to close (end(), destroy(), the peer's FIN) does not rewrite why.
    if (!this.closed && !this.ending) this.closeError = new QrpcError(this.socketErrorCode(err), `socket error: ${err.code ?? err.message}`, { cause: err });
    // Node destroys a socket together with its error: nothing written from here on could leave, so writes must say so.
    if (!this.closed) this.markClosed();
  }

  /** The code a socket error closes with; a layered socket (TLS) may name its own failures. */
  protected socketErrorCode(_err: NodeJS.ErrnoException): ErrorCode {
    return 'ERR_SOCKET';
  }

  /**
   * The peer sent FIN. allowHalfOpen is off, so Node ends our side on the
   * next tick and a write after that would destroy the socket with EPIPE:
   * what this tick queued leaves now, and later writes are refused.
   * @internal
   */
  onPeerEnd(): void {
    if (this.closed || this.ending) return;
    this.flush();
    this.ending = true;
  }

  /** @internal */
  onReadTimeout(): void {
    this.destroy(new QrpcError('ERR_READ_TIMEOUT', `no data for ${this.readTimeoutMs} ms`));
  }

  // Addresses are read from the socket on demand (net.Socket caches them once read, so they stay readable after close).
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get localAddress(): string {
    return this.local().address;
  }

  get localPort(): number {
    return this.local().port;
  }

  /** net.Socket forgets its local address at close, so it is kept here once read. */
  private local(): { address: string; port: number } {
    return (this.localCache ??= { address: this.socket.localAddress ?? '', port: this.socket.localPort ?? 0 });
  }

  /** Reads the peer address while the socket still has it, so close logs can name the peer. */
  private rememberPeer(): void {
    void this.socket.remoteAddress;
  }

  get needDrain(): boolean {
    return this.wantDrain;
  }

  get queuedOutputBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    if (this.readTimeoutMs > 0) this.setReadTimeout(this.readTimeoutMs);
    if (!this.closed) this.socket.resume();
  }

  /**
   * Nothing written now could leave: closed, ending (ours or the peer's FIN), or the socket already destroyed
   * (Node destroys it on a read or write error one tick before 'error' and 'close' reach us).
   */
  private refusesWrites(): boolean {
    return this.closed || this.ending || this.socket.destroyed;
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
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
      writeHeaderView(sharedArena.view, offset, len, requestId, flags, cmd);
      if (len > 0) copyInto(payload, buf, offset + HEADER_SIZE);
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

  writeRaw(bytes: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    this.closeRange();
    this.pending.push(bytes);
    return this.queued(bytes.length);
  }

  /**
   * Broadcast path: with nothing queued this tick the bytes go to the socket
   * at once (order is kept, and the tick's flush has nothing to do for us).
   */
  writeShared(bytes: Buffer): WriteResult {
    if (this.refusesWrites()) return WRITE_CLOSED;
    if (this.dirty) return this.writeRaw(bytes);
    if (!this.socket.write(bytes)) {
      this.awaitDrain();
      return this.wantDrain ? WRITE_FULL : WRITE_QUEUED;
    }
    return WRITE_QUEUED;
  }

  private queued(bytes: number): WriteResult {
    this.queuedBytes += bytes;
    if (!this.dirty) {
      this.dirty = true;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        nextTick(flushAll);
      }
    }
    // A big burst leaves in slices, so the peer starts on the first answers while we produce the rest.
    if (this.queuedBytes >= EARLY_FLUSH_BYTES) this.flush();
    // After an early flush those bytes count in the socket's buffer, not here.
    const queuedBytes = this.queuedBytes;
    const hwm = this.options.highWaterMark;
    // The socket's own buffer only matters once this tick's bytes are a sizeable share of the mark.
    if (queuedBytes * 2 < hwm && !this.wantDrain) return WRITE_QUEUED;
    const over = queuedBytes + this.socket.writableLength > hwm;
    if (over) this.wantDrain = true;
    return over ? WRITE_FULL : WRITE_QUEUED;
  }

  private closeRange(): void {
    if (this.openArena !== null) {
      const range = this.openArena.subarray(this.openStart, this.openEnd);
      // Output the socket could not pass on yet waits for a peer that may never read: a view would keep a
      // whole shared 64 KiB arena alive per few queued bytes, so a backed-up socket gets a copy of its own.
      this.pending.push(this.socket.writableLength > 0 ? Buffer.from(range) : range);
      this.openArena = null;
    }
  }

  /** Hands everything queued this tick to the socket: one write, or one corked writev. */
  flush(): void {
    this.closeRange();
    const pending = this.pending;
    if (pending.length === 0 || this.closed) return;
    this.pending = this.flushed;
    this.flushed = pending;
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
    pending.length = 0;
    if (!accepted) this.awaitDrain();
    // The kernel may take a burst whole: then no 'drain' event comes, and a writer waiting above the mark is released here.
    else if (this.wantDrain) this.onSocketDrain();
  }

  /**
   * The socket buffers more than its own 16 KiB mark: wait for its 'drain' (listened to only from the first
   * time). Only our high-water mark makes writers wait: needDrain and WRITE_FULL mean "above the mark".
   */
  private awaitDrain(): void {
    if (this.queuedBytes + this.socket.writableLength > this.options.highWaterMark) this.wantDrain = true;
    if (!this.drainListened) {
      this.drainListened = true;
      this.socket.on('drain', onSocketDrain);
    }
    this.armWriteTimer();
  }

  private armWriteTimer(): void {
    const ms = this.options.writeTimeoutMs;
    if (ms > 0 && this.writeTimer === null) {
      this.writeTimer = setTimeout(() => this.destroy(new QrpcError('ERR_WRITE_TIMEOUT', `output not taken for ${ms} ms`)), ms);
    }
  }

  /** @internal */
  onSocketDrain(): void {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
    if (this.wantDrain && this.queuedBytes + this.socket.writableLength <= this.options.highWaterMark) {
      this.wantDrain = false;
      this.handler?.onDrain();
    }
  }

  /** @internal */
  onData(chunk: Buffer): void {
    if (this.closed) return;
    const partials = this.parser.partials;
    try {
      this.parser.push(chunk, this.handler!);
    } catch (err) {
      if (err instanceof QrpcError) {
        this.destroy(err);
        return;
      }
      throw err;
    }
    this.watchStall(this.parser.partials !== partials);
  }

  /**
   * Go cuts a peer off when a payload stalls after its header; so do we. The
   * clock is per frame: `newFrame` (another frame is incomplete now) restarts it.
   */
  private watchStall(newFrame: boolean = false): void {
    if (this.parser.awaitingPayload && !this.paused) {
      if (newFrame && this.stallTimer !== null) this.stallTimer.refresh();
      else if (this.stallTimer === null && this.options.stalledPayloadMs > 0) {
        const ms = this.options.stalledPayloadMs;
        this.stallTimer = setTimeout(() => this.destroy(new QrpcError('ERR_STALLED_PAYLOAD', `payload incomplete for ${ms} ms after its header`)), ms);
      }
    } else if (this.stallTimer !== null) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  /**
   * The idle and stalled-payload cut-offs measure the peer: they stand still
   * while we choose not to read, and restart from zero when reading resumes.
   */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
    if (this.readTimeoutMs > 0) this.socket.setTimeout(0);
    if (this.stallTimer !== null) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  resume(): void {
    if (this.handler === null || this.closed) return;
    this.paused = false;
    if (this.readTimeoutMs > 0) this.socket.setTimeout(this.readTimeoutMs);
    this.watchStall();
    this.socket.resume();
  }

  setReadTimeout(ms: number): void {
    this.readTimeoutMs = ms;
    if (ms > 0 && !this.timeoutListened) {
      this.timeoutListened = true;
      this.socket.on('timeout', onSocketTimeout);
    }
    this.socket.setTimeout(this.paused ? 0 : ms);
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.flush();
    this.ending = true;
    this.socket.end();
  }

  destroy(error?: QrpcError): void {
    if (this.closed) return;
    if (error) this.closeError = error;
    this.rememberPeer();
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.closed = true;
    this.pending.length = 0;
    this.openArena = null;
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    this.stallTimer = this.writeTimer = null;
  }

  /** @internal */
  onSocketClose(): void {
    if (!this.closed) this.markClosed();
    const handler = this.handler;
    this.handler = null;
    handler?.onClose(this.closeError);
  }
}
