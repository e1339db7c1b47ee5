// Node's Buffer and process globals are accessors: module bindings skip a getter call per use on the hot paths.
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { markAsUntransferable } from 'node:worker_threads';
import { HEADER_SIZE, writeHeaderView, copyInto } from '../../protocol/frame.js';
import { QrpcError } from '../../protocol/errors.js';
import { TRANSPORT_COPY_LIMIT, type ConnectOptions, type ListenOptions, type SocketOptions, type TransportConnection, type TransportListener } from '../types.js';
import { listenTarget } from '../listen-target.js';
import {
  EV_ACCEPT,
  EV_CLOSE,
  EV_CONNECT_FAILED,
  EV_CONNECTED,
  EV_DRAIN,
  EV_FRAME,
  REPORT_ERROR,
  REPORT_NO_MEMORY,
  REPORT_QUEUED,
  type NativeAddon,
  type NativeOpts,
} from './binding.js';
import { B_CLOSED, B_DIRTY, B_ENDING, B_GONE, B_WANT_DRAIN, NativeConnection } from './connection.js';
import { closeError, noMemoryError, socketError, systemError } from './errors.js';

/** Read once: the process object is in dictionary mode, so `process.nextTick` is a slow lookup on every write. */
const nextTick = process.nextTick;

/** Payloads at least this big are handed to native by reference, not copied into the send area (the seam's contract). */
const COPY_LIMIT = TRANSPORT_COPY_LIMIT;
/** Encoded bytes after which the send area is flushed without waiting for the end of the tick. */
const EARLY_FLUSH_BYTES = Number(process.env.QRPC_EARLY_FLUSH ?? 16384);
/** Broadcast id batches (bounded by the native report area). */
const BROADCAST_CHUNK = 4096;
const EMPTY = Buffer.alloc(0);
/** Connection ids: slot (low 20 bits, index into NativeLoop.conns) + generation (native/conn_table.cc). */
const SLOT_MASK = (1 << 20) - 1;

interface ListenerEntry {
  options: ListenOptions;
  onConnection: (conn: TransportConnection) => void;
  closed: boolean;
}

interface PendingConnect {
  options: ConnectOptions;
  resolve: (conn: TransportConnection) => void;
  reject: (err: unknown) => void;
}

function nativeOpts(o: SocketOptions): NativeOpts {
  return [o.maxFrameSize, o.highWaterMark, o.readTimeoutMs, o.writeTimeoutMs, o.stalledPayloadMs, o.keepAliveMs, o.noDelay, o.sendBufferSize, o.receiveBufferSize];
}

/**
 * The address to bind or connect to. A name that does not resolve rejects with a QrpcError, as the fallback's
 * net errors do: ERR_SOCKET for listen (the fallback's listen error code), ERR_CONNECT for connect.
 */
async function resolveHost(host: string, port: number, listen: boolean): Promise<{ ip: string; family: number }> {
  if (!host) return listen ? { ip: '::', family: 6 } : { ip: '127.0.0.1', family: 4 };
  const v = isIP(host);
  if (v !== 0) return { ip: host, family: v };
  try {
    const r = await lookup(host);
    return { ip: r.address, family: r.family };
  } catch (err) {
    const what = listen ? `listen ${host}:${port}` : `connect to ${host}:${port}`;
    throw new QrpcError(listen ? 'ERR_SOCKET' : 'ERR_CONNECT', `${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The per-thread side of the addon: one epoll set (created by the addon when
 * this thread loaded it), one events callback per batch, one send area.
 */
export class NativeLoop {
  /** Open connections by the slot part of their id (a dense array: ~8 bytes per slot, less than a Map entry). */
  readonly conns: Array<NativeConnection | undefined> = [];
  private readonly listeners = new Map<number, ListenerEntry>();
  private readonly connects = new Map<number, PendingConnect>();
  private readonly ev32: Uint32Array;
  private readonly evView: DataView;
  private readonly area: Buffer;
  private readonly areaView: DataView;
  private readonly ops: Uint32Array;
  private readonly opsCap: number;
  private readonly report: Uint32Array;
  private areaUsed = 0;
  private opCount = 0;
  private lastOpConn = -1;
  private extras: Buffer[] = [];
  private dirty: NativeConnection[] = [];
  private readonly bcastIds = new Uint32Array(BROADCAST_CHUNK);
  private flushScheduled = false;
  private readonly flushTick = () => {
    this.flushScheduled = false;
    this.flushNow();
  };
  readonly connSize: number;

  constructor(readonly addon: NativeAddon) {
    const shared = addon.init((count, buffers, carried) => this.onEvents(count, buffers, carried));
    this.ev32 = new Uint32Array(shared.events);
    this.evView = new DataView(shared.events);
    this.area = Buffer.from(shared.sendArea);
    this.areaView = new DataView(shared.sendArea);
    this.ops = new Uint32Array(shared.ops);
    this.opsCap = this.ops.length >>> 2;
    this.report = new Uint32Array(shared.report);
    this.connSize = shared.connSize;
  }

  // ------------------------------------------------------------ connections by id

  /** The open connection with this id (stale ids of closed connections resolve to undefined). */
  conn(id: number): NativeConnection | undefined {
    const c = this.conns[id & SLOT_MASK];
    return c !== undefined && c.id === id ? c : undefined;
  }

  private addConn(conn: NativeConnection): void {
    const slot = conn.id & SLOT_MASK;
    const conns = this.conns;
    while (conns.length < slot) conns.push(undefined);  // no far holes: keeps the array in fast mode
    conns[slot] = conn;
  }

  forget(conn: NativeConnection): void {
    const slot = conn.id & SLOT_MASK;
    if (this.conns[slot] === conn) this.conns[slot] = undefined;
  }

  // ------------------------------------------------------------ inbound

  private onEvents(count: number, buffers: ArrayBuffer[] | undefined, carried: number): void {
    if (buffers !== undefined) {
      // Once per buffer, when JS first sees it: structuredClone / postMessage with a transfer list then copy it
      // instead of detaching the memory under every other payload in it (native/payload_memory.cc).
      for (let i = 0; i < buffers.length; i++) if (i !== carried - 1) markAsUntransferable(buffers[i]);
    }
    const ev = this.ev32;
    // A connection closed natively in this batch is gone before its earlier frames are handled: writes made
    // while handling them must say WRITE_CLOSED, not queue bytes that will never be sent.
    for (let i = 0; i < count; i++) {
      if (ev[i * 8] === EV_CLOSE) {
        const conn = this.conn(ev[i * 8 + 1]);
        if (conn !== undefined) conn.bits |= B_GONE;
      }
    }
    let thrown: { err: unknown } | null = null;
    for (let i = 0; i < count; i++) {
      const w = i * 8;
      const id = ev[w + 1];
      try {
        switch (ev[w]) {
          case EV_FRAME: {
            const conn = this.conn(id);
            if (conn === undefined || conn.handler === null || conn.bits & B_CLOSED) break;
            const len = ev[w + 6];
            let payload = EMPTY;
            if (len > 0) {
              const ab = buffers![ev[w + 7] - 1];
              const off = ev[w + 5];
              if (off + len > ab.byteLength) {
                // Detached by user code despite the marking (a runtime without markAsUntransferable): the
                // bytes are gone, so the stream is broken for this connection only.
                conn.destroy(new QrpcError('ERR_SOCKET', 'a payload buffer was detached (transferred) by user code'));
                break;
              }
              payload = Buffer.from(ab, off, len);
            }
            const word = ev[w + 4];
            const view = this.evView;
            conn.handler.onFrame(view.getUint32(w * 4 + 8, false), view.getUint32(w * 4 + 12, false), word >>> 24, word & 0xffffff, payload);
            break;
          }
          case EV_ACCEPT:
            this.onAccept(id, w);
            break;
          case EV_CLOSE: {
            const conn = this.conn(id);
            if (conn === undefined || conn.bits & B_CLOSED) break;
            conn.markClosed();
            conn.closeNow(closeError(ev[w + 4], ev[w + 5], conn.options));
            break;
          }
          case EV_DRAIN:
            this.conn(id)?.drained();
            break;
          case EV_CONNECTED: {
            const p = this.connects.get(id);
            if (p === undefined) break;
            this.connects.delete(id);
            // The caller's options object is this connection's own (setReadTimeout copies before it writes).
            const conn = new NativeConnection(this, id, p.options, ev[w + 4] >>> 24, ev[w + 5], ev[w + 6], ev[w + 7]);
            this.addConn(conn);
            p.resolve(conn);
            break;
          }
          case EV_CONNECT_FAILED: {
            const p = this.connects.get(id);
            if (p === undefined) break;
            this.connects.delete(id);
            const errno = ev[w + 4];
            const o = p.options;
            if (errno === 0) {
              p.reject(new QrpcError('ERR_TIMEOUT', `connect to ${o.host}:${o.port} timed out after ${o.connectTimeoutMs} ms`));
            } else {
              const cause = systemError(errno, 'connect', `${o.host}:${o.port}`);
              p.reject(new QrpcError('ERR_CONNECT', `connect to ${o.host}:${o.port}: ${cause.message}`, { cause }));
            }
            break;
          }
        }
      } catch (err) {
        // A throwing handler must not cost the rest of the batch; it surfaces
        // as an uncaught exception, as it would from a socket 'data' event.
        thrown ??= { err };
      }
    }
    if (thrown !== null) {
      const { err } = thrown;
      nextTick(() => {
        throw err;
      });
    }
  }

  private onAccept(id: number, w: number): void {
    const ev = this.ev32;
    const word = ev[w + 4];
    const l = this.listeners.get(word & 0xffffff);
    if (l === undefined || l.closed) {
      this.addon.connCtl(id, 5);
      return;
    }
    // The listener's (private, never mutated) options object is shared by all
    // its connections; setReadTimeout copies it for its connection.
    const conn = new NativeConnection(this, id, l.options, word >>> 24, ev[w + 5], ev[w + 6], ev[w + 7]);
    this.addConn(conn);
    l.onConnection(conn);
  }

  // ------------------------------------------------------------ outbound

  /** Makes room for `bytes` in the send area and `ops` flush ops, flushing if needed. */
  private reserve(bytes: number, ops: number): void {
    // Past EARLY_FLUSH_BYTES a burst leaves in slices, so peers start on the first answers while we produce the rest.
    const used = this.areaUsed;
    if (used >= EARLY_FLUSH_BYTES || used + bytes > this.area.length || this.opCount + ops > this.opsCap) this.flushNow();
  }

  private touch(conn: NativeConnection): void {
    if (!(conn.bits & B_DIRTY)) {
      conn.bits |= B_DIRTY;
      this.dirty.push(conn);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      nextTick(this.flushTick);
    }
  }

  /** An op for bytes at [off, off+len) of the send area; merged with the previous one when contiguous. */
  private areaOp(conn: NativeConnection, off: number, len: number): void {
    const ops = this.ops;
    if (this.lastOpConn === conn.id) {
      const p = (this.opCount - 1) * 4;
      if (ops[p + 1] === 0 && ops[p + 2] + ops[p + 3] === off) {
        ops[p + 3] += len;
        return;
      }
    }
    const p = this.opCount++ * 4;
    ops[p] = conn.id;
    ops[p + 1] = 0;
    ops[p + 2] = off;
    ops[p + 3] = len;
    this.lastOpConn = conn.id;
  }

  private extraOp(conn: NativeConnection, buf: Buffer): void {
    this.extras.push(buf);
    const p = this.opCount++ * 4;
    this.ops[p] = conn.id;
    this.ops[p + 1] = this.extras.length;
    this.ops[p + 2] = 0;
    this.ops[p + 3] = buf.length;
    this.lastOpConn = conn.id;
  }

  /** Encodes one frame for `conn`; returns the bytes queued. */
  writeFrame(conn: NativeConnection, requestId: bigint, flags: number, cmd: number, payload: Buffer): number {
    const len = payload.length;
    const big = len >= COPY_LIMIT;
    this.reserve(big ? HEADER_SIZE : HEADER_SIZE + len, big ? 2 : 1);
    const area = this.area;
    const off = this.areaUsed;
    writeHeaderView(this.areaView, off, len, requestId, flags, cmd);
    if (big) {
      this.areaUsed = off + HEADER_SIZE;
      this.areaOp(conn, off, HEADER_SIZE);
      this.extraOp(conn, payload);
    } else {
      if (len > 0) copyInto(payload, area, off + HEADER_SIZE);
      this.areaUsed = off + HEADER_SIZE + len;
      this.areaOp(conn, off, HEADER_SIZE + len);
    }
    this.touch(conn);
    return HEADER_SIZE + len;
  }

  writeRaw(conn: NativeConnection, bytes: Buffer): number {
    const len = bytes.length;
    if (len === 0) return 0;
    if (len >= COPY_LIMIT) {
      this.reserve(0, 1);
      this.extraOp(conn, bytes);
    } else {
      this.reserve(len, 1);
      const off = this.areaUsed;
      bytes.copy(this.area, off);
      this.areaUsed = off + len;
      this.areaOp(conn, off, len);
    }
    this.touch(conn);
    return len;
  }

  /** Hands everything encoded so far to native: one writev per connection. */
  flushNow(): void {
    const dirty = this.dirty;
    if (this.opCount === 0 && dirty.length === 0) return;
    this.dirty = [];
    const n = this.opCount > 0 ? this.addon.flush(this.opCount, this.extras.length > 0 ? this.extras : undefined) : 0;
    this.opCount = 0;
    this.areaUsed = 0;
    this.lastOpConn = -1;
    if (this.extras.length > 0) this.extras = [];
    // Only connections written this tick can be reported; those not reported
    // have nothing queued natively.
    for (const conn of dirty) {
      conn.bits &= ~B_DIRTY;
      conn.pendingBytes = 0;
      if (!(conn.bits & B_CLOSED)) conn.nativeQueued = 0;
    }
    this.applyReport(n);
    for (const conn of dirty) conn.maybeDrain();
  }

  private applyReport(n: number): void {
    const r = this.report;
    for (let i = 0; i < n; i++) {
      const id = r[1 + i * 3];
      const kind = r[2 + i * 3];
      const value = r[3 + i * 3];
      const conn = this.conn(id);
      if (conn === undefined) continue;
      if (kind === REPORT_QUEUED) {
        conn.nativeQueued = value;
        if (value + conn.pendingBytes > conn.options.highWaterMark) conn.bits |= B_WANT_DRAIN;
      } else if (kind === REPORT_ERROR) {
        conn.markClosed();
        conn.closeLater(socketError(value, 'write'));
      } else if (kind === REPORT_NO_MEMORY) {
        conn.markClosed();
        conn.closeLater(noMemoryError('write'));
      }
    }
  }

  broadcast(conns: Iterable<TransportConnection>, bytes: Buffer): number {
    this.flushNow();
    // Per recipient: one property check and one id store here, one send() in native.
    let took = 0;
    const ids = this.bcastIds;
    let n = 0;
    for (const t of conns) {
      const c = t as NativeConnection;
      if (c.loop !== this) {
        // Not one of ours (another backend or thread): its own write path.
        if (!t.closed) {
          t.writeRaw(bytes);
          took++;
        }
        continue;
      }
      if (c.bits & (B_CLOSED | B_ENDING | B_GONE)) continue;
      ids[n++] = c.id;
      if (n === BROADCAST_CHUNK) {
        took += this.addon.broadcast(ids, n, bytes);
        this.applyReport(this.report[0]);
        n = 0;
      }
    }
    if (n > 0) {
      took += this.addon.broadcast(ids, n, bytes);
      this.applyReport(this.report[0]);
    }
    return took;
  }

  // ------------------------------------------------------------ listen / connect

  async listen(options: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
    const inherited = options.fd ?? null;
    let r: [number, number, string] | number;
    if (inherited !== null) r = this.addon.listenFd(inherited, nativeOpts(options));
    else {
      const { ip, family } = await resolveHost(options.host, options.port, true);
      r = this.addon.listen(ip, options.port, family, options.backlog, options.reusePort, nativeOpts(options));
    }
    if (typeof r === 'number') {
      const what = listenTarget(options);
      const cause = systemError(-r, 'listen', what);
      throw new QrpcError('ERR_SOCKET', `listen ${what}: ${cause.message}`, { cause });
    }
    const [id, port, address] = r;
    const family = address.includes(':') ? 6 : 4;
    const entry: ListenerEntry = { options: { ...options }, onConnection, closed: false };
    this.listeners.set(id, entry);
    const addon = this.addon;
    const listeners = this.listeners;
    return {
      host: address,
      port,
      family: family === 6 ? 'IPv6' : 'IPv4',
      pause() {
        if (!entry.closed) addon.listenerCtl(id, 0);
      },
      resume() {
        if (!entry.closed) addon.listenerCtl(id, 1);
      },
      close() {
        if (!entry.closed) {
          entry.closed = true;
          addon.listenerCtl(id, 2);
          listeners.delete(id);
        }
        return Promise.resolve();
      },
      fd: () => (entry.closed ? null : addon.listenerFd(id)),
    };
  }

  async connect(options: ConnectOptions): Promise<TransportConnection> {
    const target = await resolveHost(options.host, options.port, false);
    const id = this.addon.connect(target.ip, options.port, target.family, options.connectTimeoutMs, nativeOpts(options));
    if (id < 0) {
      const cause = systemError(-id, 'connect', `${options.host}:${options.port}`);
      throw new QrpcError('ERR_CONNECT', `connect to ${options.host}:${options.port}: ${cause.message}`, { cause });
    }
    return new Promise((resolve, reject) => {
      this.connects.set(id, { options, resolve, reject });
    });
  }
}
