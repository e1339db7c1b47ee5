// A socket-shaped face on a raw `ws` client, so the raw-peer helpers of the
// behavioural suites speak qrpc bytes over the WebSocket overlay unchanged
// (QRPC_TEST_OVERLAY=ws): each write() is one binary message (partial or
// several frames: the receiver treats messages as one byte stream), each
// received binary message is one 'data' chunk.
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';

const MESSAGE_SLICE = 64 * 1024;
const TURN_BUDGET = 1024 * 1024;

export class WsSocket extends EventEmitter {
  /** Resolves once the upgrade on ws://host:port/path completed. */
  static connect(port, host = '127.0.0.1', path = '/qrpc') {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host}:${port}${path}`, { perMessageDeflate: false });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        resolve(new WsSocket(ws));
      });
    });
  }

  constructor(ws) {
    super();
    this.ws = ws;
    this.destroyed = false;
    /** The close code and reason the server sent (null until the close). */
    this.closeCode = null;
    this.closeReason = '';
    /** Slices not yet handed to ws (sent a budget per turn), in order. */
    this.unsent = [];
    this.unsentBytes = 0;
    this.sendScheduled = false;
    this.endWhenSent = false;
    ws.on('message', (data, isBinary) => this.emit('data', isBinary ? data : Buffer.from(data)));
    ws.on('error', (err) => this.emit('error', err));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.destroyed = true;
      this.emit('end');
      this.emit('close');
    });
  }

  get localPort() {
    return this.ws._socket?.localPort;
  }

  /** What is still unsent: our slices not yet handed over, ws's and the socket's buffers. */
  get writableLength() {
    return this.unsentBytes + this.ws.bufferedAmount;
  }

  /**
   * Large writes go as 64 KiB messages (a TCP peer's megabytes in one go would
   * exceed maxPayload as one message), at most 1 MiB per turn of the event
   * loop: masking megabytes in one go would keep this peer silent longer than
   * a server's read timeout, which a TCP peer writing the same bytes never is.
   */
  write(bytes, cb) {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const buf = Buffer.from(bytes);
    for (let off = 0; off < buf.length; off += MESSAGE_SLICE) {
      const last = off + MESSAGE_SLICE >= buf.length;
      this.unsent.push({ bytes: buf.subarray(off, off + MESSAGE_SLICE), cb: last ? cb : undefined });
      this.unsentBytes += Math.min(MESSAGE_SLICE, buf.length - off);
    }
    this.sendSome();
    return this.writableLength < 16384;
  }

  sendSome() {
    let budget = TURN_BUDGET;
    while (this.unsent.length > 0 && budget > 0 && this.ws.readyState === WebSocket.OPEN) {
      const { bytes, cb } = this.unsent.shift();
      this.unsentBytes -= bytes.length;
      budget -= bytes.length;
      this.ws.send(bytes, { binary: true }, cb);
    }
    if (this.unsent.length === 0 && this.endWhenSent) this.end();
    if (this.unsent.length > 0 && !this.sendScheduled && this.ws.readyState === WebSocket.OPEN) {
      this.sendScheduled = true;
      setImmediate(() => {
        this.sendScheduled = false;
        this.sendSome();
      });
    }
  }

  setNoDelay() {
    return this;
  }

  /** ws.pause() leaves the socket flowing while its receiver is draining: the socket is paused too, so reading stops now. */
  pause() {
    this.ws.pause();
    this.ws._socket.pause();
    return this;
  }

  resume() {
    this.ws.resume();
    return this;
  }

  /** The TCP half-close has no WebSocket equivalent: a close frame (1000) ends our side. */
  end() {
    if (this.unsent.length > 0) this.endWhenSent = true;
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  destroy() {
    this.destroyed = true;
    this.ws.terminate();
  }
}
