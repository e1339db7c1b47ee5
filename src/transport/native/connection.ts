// Node's process global is an accessor: the module binding skips a getter call per use.
import process from 'node:process';
import { QrpcError } from '../../protocol/errors.js';
import { WRITE_CLOSED, WRITE_FULL, WRITE_QUEUED, type ConnectionHandler, type SocketOptions, type TransportConnection, type WriteResult } from '../types.js';
import { CTL_ATTACH, CTL_CLOSE, CTL_END, CTL_PAUSE, CTL_READ_TIMEOUT, CTL_RESUME } from './binding.js';
import type { NativeLoop } from './loop.js';

/** Read once: the process object is in dictionary mode, so `process.nextTick` is a slow lookup on every write. */
const nextTick = process.nextTick;

// State bits of NativeConnection.bits (one small integer instead of four boolean fields).
export const B_CLOSED = 1;
export const B_WANT_DRAIN = 2;
/** Listed in the loop's dirty list this tick. */
export const B_DIRTY = 4;
export const B_ENDING = 8;
/** peer/local hold IPv4 addresses as int32 (ACCEPT/CONNECTED events, native/state.h). */
const B_ADDR_V4 = 16;
/** ... of IPv4-mapped IPv6 addresses (a dual-stack listener). */
const B_ADDR_MAPPED = 32;
/** Native already closed the socket; its close event is later in the batch being delivered. */
export const B_GONE = 64;

type Addresses = [string, number, string, number, string];
const NO_ADDRESSES: Addresses = ['', 0, '', 0, ''];

function ipv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/**
 * One native socket, known to JS only by its 32-bit id. Output is encoded into
 * the loop's shared send area and flushed once per tick; backpressure counts
 * this tick's bytes plus what native still queues for the socket.
 *
 * Kept small for idle connections: no strings, booleans folded into `bits`,
 * the options object shared with the listener (copied on write by
 * setReadTimeout), IPv4 addresses kept as three integers from the accept
 * event and formatted on access (other IPv6 addresses: fetched once, at
 * creation, so they stay readable after the socket is closed).
 */
export class NativeConnection implements TransportConnection {
  handler: ConnectionHandler | null = null;
  /** Bytes encoded this tick, not yet handed to native. */
  pendingBytes = 0;
  /** Bytes native holds that the kernel did not take yet (as last reported). */
  nativeQueued = 0;
  bits = 0;
  /** Remote IPv4 (int32), or the addresses fetched from the addon. */
  private peer: number | Addresses = 0;
  /** Remote port << 16 | local port (int32). */
  private ports = 0;
  private local = 0;

  constructor(
    readonly loop: NativeLoop,
    readonly id: number,
    public options: SocketOptions,
    kind: number,
    peer: number,
    ports: number,
    local: number,
  ) {
    if (kind === 1 || kind === 2) {
      this.bits = kind === 1 ? B_ADDR_V4 : B_ADDR_MAPPED;
      this.peer = peer | 0;
      this.ports = ports | 0;
      this.local = local | 0;
    } else {
      this.peer = loop.addon.addresses(id) ?? NO_ADDRESSES;
    }
  }

  private ip(a: number): string {
    return this.bits & B_ADDR_V4 ? ipv4(a) : `::ffff:${ipv4(a)}`;
  }

  get remoteAddress(): string {
    const p = this.peer;
    return typeof p === 'number' ? this.ip(p) : p[0];
  }

  get remotePort(): number {
    const p = this.peer;
    return typeof p === 'number' ? this.ports >>> 16 : p[1];
  }

  get localAddress(): string {
    const p = this.peer;
    return typeof p === 'number' ? this.ip(this.local) : p[2];
  }

  get localPort(): number {
    const p = this.peer;
    return typeof p === 'number' ? this.ports & 0xffff : p[3];
  }

  get closed(): boolean {
    return (this.bits & B_CLOSED) !== 0;
  }

  get ending(): boolean {
    return (this.bits & B_ENDING) !== 0;
  }

  get queuedOutputBytes(): number {
    return this.pendingBytes + this.nativeQueued;
  }

  get needDrain(): boolean {
    return (this.bits & B_WANT_DRAIN) !== 0;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    if (!(this.bits & B_CLOSED)) this.loop.addon.connCtl(this.id, CTL_ATTACH);
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): WriteResult {
    if (this.bits & (B_CLOSED | B_ENDING | B_GONE)) return WRITE_CLOSED;
    return this.queued(this.loop.writeFrame(this, requestId, flags, cmd, payload));
  }

  writeRaw(bytes: Buffer): WriteResult {
    if (this.bits & (B_CLOSED | B_ENDING | B_GONE)) return WRITE_CLOSED;
    return this.queued(this.loop.writeRaw(this, bytes));
  }

  private queued(bytes: number): WriteResult {
    this.pendingBytes += bytes;
    const over = this.pendingBytes + this.nativeQueued > this.options.highWaterMark;
    if (over) this.bits |= B_WANT_DRAIN;
    return over ? WRITE_FULL : WRITE_QUEUED;
  }

  pause(): void {
    if (!(this.bits & B_CLOSED)) this.loop.addon.connCtl(this.id, CTL_PAUSE);
  }

  resume(): void {
    if (!(this.bits & B_CLOSED) && this.handler !== null) this.loop.addon.connCtl(this.id, CTL_RESUME);
  }

  setReadTimeout(ms: number): void {
    // options may be shared with the listener and its other connections: copy on write.
    this.options = { ...this.options, readTimeoutMs: ms };
    if (!(this.bits & B_CLOSED)) this.loop.addon.connCtl(this.id, CTL_READ_TIMEOUT, ms);
  }

  end(): void {
    if (this.bits & (B_CLOSED | B_ENDING)) return;
    this.loop.flushNow();
    if (this.bits & B_CLOSED) return;
    this.bits |= B_ENDING;
    this.loop.addon.connCtl(this.id, CTL_END);
  }

  destroy(error?: QrpcError): void {
    if (this.bits & B_CLOSED) return;
    this.markClosed();
    this.loop.addon.connCtl(this.id, CTL_CLOSE);
    this.closeLater(error ?? null);
  }

  // ---- called by the loop

  markClosed(): void {
    this.bits = (this.bits | B_CLOSED) & ~B_WANT_DRAIN;
    this.loop.forget(this);
  }

  /** onClose is never called from inside a caller's own method (like the fallback's 'close' event). */
  closeLater(error: QrpcError | null): void {
    nextTick(() => this.closeNow(error));
  }

  closeNow(error: QrpcError | null): void {
    const handler = this.handler;
    this.handler = null;
    handler?.onClose(error);
  }

  /** Native's queue for this socket emptied. */
  drained(): void {
    this.nativeQueued = 0;
    this.maybeDrain();
  }

  maybeDrain(): void {
    if ((this.bits & (B_WANT_DRAIN | B_CLOSED)) === B_WANT_DRAIN && this.nativeQueued === 0 && this.pendingBytes <= this.options.highWaterMark) {
      this.bits &= ~B_WANT_DRAIN;
      this.handler?.onDrain();
    }
  }
}
