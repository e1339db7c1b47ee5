// A socket-shaped face on a raw `ws` client, so the raw-peer helpers of the
// behavioural suites speak qrpc bytes over the WebSocket overlay unchanged
// (QRPC_TEST_OVERLAY=ws): each write() is one binary message (partial or
// several frames: the receiver treats messages as one byte stream), each
// received binary message is one 'data' chunk.
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';

const MESSAGE_SLICE = 64 * 1024;

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

  /** What the WebSocket still holds unsent (ws's and the socket's buffers). */
  get writableLength() {
    return this.ws.bufferedAmount;
  }

  /** Large writes go as 64 KiB messages: a TCP peer's megabytes in one go would exceed maxPayload as one message. */
  write(bytes, cb) {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const buf = Buffer.from(bytes);
    for (let off = 0; off < buf.length; off += MESSAGE_SLICE) {
      const last = off + MESSAGE_SLICE >= buf.length;
      this.ws.send(buf.subarray(off, off + MESSAGE_SLICE), { binary: true }, last ? cb : undefined);
    }
    return this.ws.bufferedAmount < 16384;
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
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  destroy() {
    this.destroyed = true;
    this.ws.terminate();
  }
}
