// Shared test helpers: a server on an ephemeral loopback port, a raw TCP peer
// that speaks bytes (for wire-exact assertions), and small waiting tools.
import net from 'node:net';
import { Server, ServeMux, connect, encodeFrame, FrameParser, requestIdOf } from '../dist/index.js';
import { WsSocket } from './ws-socket.mjs';

/**
 * QRPC_TEST_OVERLAY=ws runs a suite over the WebSocket overlay: the binding
 * gets `overlay: 'ws'` and `addr` is the ws:// URL clients dial (run.mjs does
 * this for the suites that speak through the API only, not raw TCP bytes).
 */
export const OVERLAY = process.env.QRPC_TEST_OVERLAY || null;

/** Starts a server with one binding on 127.0.0.1:0; returns { server, port, addr }. */
export async function startServer(handler, bindingOptions = {}, serverOptions = {}) {
  const overlay = OVERLAY !== null && bindingOptions.overlay === undefined ? { overlay: OVERLAY } : {};
  const server = new Server([{ addr: '127.0.0.1:0', handler, ...overlay, ...bindingOptions }], serverOptions);
  await server.listen();
  const { port } = server.address(0);
  const ws = server.transportOf(0) === 'ws';
  return { server, port, addr: ws ? `ws://127.0.0.1:${port}/qrpc` : `127.0.0.1:${port}` };
}

/** A mux with Go's demo handlers used across suites: 0 → "hello world " + payload (reply cmd 1). */
export function helloMux() {
  const mux = new ServeMux();
  mux.handle(0, (w, req) => w.startWrite(req.requestId, 1, 0).writeBytes('hello world ').writeBytes(req.payload).endWrite());
  return mux;
}

export async function withServerAndClient(handler, fn, { binding = {}, client = {} } = {}) {
  const { server, addr, port } = await startServer(handler, binding);
  const conn = await connect(addr, client);
  try {
    return await fn({ server, conn, addr, port });
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
}

/**
 * A raw TCP peer: send bytes or frames, read frames as parsed objects, and
 * see the close. Everything it received is also kept as raw bytes.
 */
export class RawPeer {
  static connect(port, host = '127.0.0.1') {
    // Over the overlay the raw peer speaks the same qrpc bytes inside binary WebSocket messages.
    if (OVERLAY === 'ws') return WsSocket.connect(port, host).then((socket) => new RawPeer(socket));
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  static fromSocket(socket) {
    return new RawPeer(socket);
  }

  constructor(socket) {
    this.socket = socket;
    this.frames = [];
    this.bytes = [];
    this.waiters = [];
    this.closed = false;
    this.parser = new FrameParser(1 << 30);
    socket.on('data', (chunk) => {
      this.bytes.push(chunk);
      this.parser.push(chunk, (idHigh, idLow, flags, cmd, payload) => {
        this.frames.push({ requestId: requestIdOf(idHigh, idLow), flags, cmd, payload: Buffer.from(payload) });
      });
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  get received() {
    return Buffer.concat(this.bytes);
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(bytes) {
    this.socket.write(bytes);
  }

  sendFrame(requestId, flags, cmd, payload = Buffer.alloc(0)) {
    this.socket.write(encodeFrame(BigInt(requestId), flags, cmd, Buffer.from(payload)));
  }

  /** Resolves once `n` frames in total have arrived (rejects if the socket closes first). */
  async waitFrames(n) {
    while (this.frames.length < n) {
      if (this.closed) throw new Error(`peer closed after ${this.frames.length} of ${n} frames`);
      await new Promise((resolve) => this.waiters.push(resolve));
    }
    return this.frames.slice(0, n);
  }

  /** Resolves once `n` raw bytes have arrived. */
  async waitBytes(n) {
    while (this.received.length < n) {
      if (this.closed) throw new Error(`peer closed after ${this.received.length} of ${n} bytes`);
      await new Promise((resolve) => this.waiters.push(resolve));
    }
    return this.received;
  }

  async waitClose() {
    while (!this.closed) await new Promise((resolve) => this.waiters.push(resolve));
  }

  end() {
    this.socket.end();
  }

  destroy() {
    this.socket.destroy();
  }
}

/** A raw TCP server that hands each accepted socket to `onSocket` as a RawPeer. */
export function rawServer(onPeer) {
  return new Promise((resolve) => {
    const peers = [];
    const arrivals = [];
    const server = net.createServer((socket) => {
      const peer = RawPeer.fromSocket(socket);
      peers.push(peer);
      onPeer(peer);
      for (const wake of arrivals.splice(0)) wake();
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        peers,
        /** The i-th accepted peer, once accepted. */
        async peer(i = 0) {
          while (peers.length <= i) await new Promise((resolve) => arrivals.push(resolve));
          return peers[i];
        },
        close: () => {
          for (const p of peers) p.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

/** Resolves after `fn()` returns truthy, polling each macrotask (no wall-clock assertions). */
export async function until(fn, what = 'condition', maxTurns = 20000) {
  for (let i = 0; i < maxTurns; i++) {
    if (fn()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Captures the rejection of a promise (fails if it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a resolution');
}

export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A connected (not listening) TCP socket, and close() for it and its server: for tests that need a socket fd of the wrong kind. */
export async function connectedSocket() {
  const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const socket = net.connect(server.address().port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  return {
    socket,
    close() {
      socket.destroy();
      server.close();
    },
  };
}
