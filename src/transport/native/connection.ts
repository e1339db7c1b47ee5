import { QrpcError } from '../../protocol/errors.js';
import type { ConnectionHandler, SocketOptions, TransportConnection } from '../types.js';
import { CTL_ATTACH, CTL_CLOSE, CTL_END, CTL_PAUSE, CTL_READ_TIMEOUT, CTL_RESUME } from './binding.js';
import type { NativeLoop } from './loop.js';

/**
 * One native socket, known to JS only by its 32-bit id. Output is encoded into
 * the loop's shared send area and flushed once per tick; backpressure counts
 * this tick's bytes plus what native still queues for the socket.
 */
export class NativeConnection implements TransportConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  closed = false;
  handler: ConnectionHandler | null = null;
  /** Bytes encoded this tick, not yet handed to native. */
  pendingBytes = 0;
  /** Bytes native holds that the kernel did not take yet (as last reported). */
  nativeQueued = 0;
  wantDrain = false;
  /** Listed in the loop's dirty list this tick. */
  dirty = false;
  ending = false;

  constructor(
    readonly loop: NativeLoop,
    readonly id: number,
    readonly options: SocketOptions,
  ) {
    const a = loop.addon.addresses(id);
    this.remoteAddress = a?.[0] ?? '';
    this.remotePort = a?.[1] ?? 0;
    this.localAddress = a?.[2] ?? '';
    this.localPort = a?.[3] ?? 0;
  }

  get needDrain(): boolean {
    return this.wantDrain;
  }

  attach(handler: ConnectionHandler): void {
    this.handler = handler;
    if (!this.closed) this.loop.addon.connCtl(this.id, CTL_ATTACH);
  }

  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): boolean {
    if (this.closed || this.ending) return false;
    return this.queued(this.loop.writeFrame(this, requestId, flags, cmd, payload));
  }

  writeRaw(bytes: Buffer): boolean {
    if (this.closed || this.ending) return false;
    return this.queued(this.loop.writeRaw(this, bytes));
  }

  private queued(bytes: number): boolean {
    this.pendingBytes += bytes;
    const over = this.pendingBytes + this.nativeQueued > this.options.highWaterMark;
    if (over) this.wantDrain = true;
    return !over;
  }

  pause(): void {
    if (!this.closed) this.loop.addon.connCtl(this.id, CTL_PAUSE);
  }

  resume(): void {
    if (!this.closed && this.handler !== null) this.loop.addon.connCtl(this.id, CTL_RESUME);
  }

  setReadTimeout(ms: number): void {
    this.options.readTimeoutMs = ms;
    if (!this.closed) this.loop.addon.connCtl(this.id, CTL_READ_TIMEOUT, ms);
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.loop.flushNow();
    if (this.closed) return;
    this.ending = true;
    this.loop.addon.connCtl(this.id, CTL_END);
  }

  destroy(error?: QrpcError): void {
    if (this.closed) return;
    this.markClosed();
    this.loop.addon.connCtl(this.id, CTL_CLOSE);
    this.closeLater(error ?? null);
  }

  // ---- called by the loop

  markClosed(): void {
    this.closed = true;
    this.wantDrain = false;
    this.loop.forget(this);
  }

  /** onClose is never called from inside a caller's own method (like the fallback's 'close' event). */
  closeLater(error: QrpcError | null): void {
    process.nextTick(() => this.closeNow(error));
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
    if (this.wantDrain && !this.closed && this.nativeQueued === 0 && this.pendingBytes <= this.options.highWaterMark) {
      this.wantDrain = false;
      this.handler?.onDrain();
    }
  }
}
