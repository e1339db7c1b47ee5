// Shared by the native suites: loads the addon/transport or explains why not.
// Without the addon the suites skip (printing the reason) unless
// QRPC_BACKEND=native, where a missing addon is a failure.
import net from 'node:net';
import { loadNativeAddon, loadNativeTransport } from '../../dist/transport/native/load.js';
import { DEFAULT_SOCKET_OPTIONS } from '../../dist/transport/types.js';
import { requestIdOf } from '../../dist/protocol/frame.js';

const { addon, error } = loadNativeAddon();
const { transport } = addon ? loadNativeTransport() : { transport: null };

export function nativeOrSkip(suite) {
  if (addon && transport) return { addon, transport };
  if (process.env.QRPC_BACKEND === 'native') {
    throw new Error(`QRPC_BACKEND=native but the native addon cannot load: ${error}`);
  }
  console.log(`# ${suite}: skipped, native addon not available (${error})`);
  return null;
}

export const opts = (extra = {}) => ({ ...DEFAULT_SOCKET_OPTIONS, ...extra });

export function listen(t, extra, onConnection) {
  return t.listen({ ...opts(extra), host: '127.0.0.1', port: 0, backlog: 511, reusePort: false }, onConnection);
}

export function connect(t, port, extra = {}) {
  return t.connect({ ...opts(extra), host: '127.0.0.1', port, connectTimeoutMs: 5000 });
}

/** A handler that records everything and lets tests await conditions. */
export function recorder() {
  const r = {
    frames: [],
    drains: 0,
    closed: undefined,
    waiters: [],
    onFrame(hi, lo, flags, cmd, payload) {
      r.frames.push({ id: requestIdOf(hi, lo), flags, cmd, payload });
      r.check();
    },
    onDrain() {
      r.drains++;
      r.check();
    },
    onClose(err) {
      if (r.closed !== undefined) throw new Error('onClose called twice');
      r.closed = err;
      r.check();
    },
    check() {
      r.waiters = r.waiters.filter((w) => {
        if (!w.pred()) return true;
        w.resolve();
        return false;
      });
    },
    until(pred) {
      if (pred()) return Promise.resolve();
      return new Promise((resolve) => r.waiters.push({ pred, resolve }));
    },
    untilClosed() {
      return r.until(() => r.closed !== undefined);
    },
  };
  return r;
}

/** Encodes one frame (header + payload) like the wire format. */
export function encode(id, flags, cmd, payload = Buffer.alloc(0)) {
  const b = Buffer.alloc(16 + payload.length);
  b.writeUInt32BE(12 + payload.length, 0);
  b.writeBigUInt64BE(id, 4);
  b.writeUInt32BE((((flags & 0xff) << 24) | (cmd & 0xffffff)) >>> 0, 12);
  payload.copy(b, 16);
  return b;
}

/** A raw node:net client for byte-level tests. */
export function rawClient(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

export const tick = () => new Promise((r) => setImmediate(r));
