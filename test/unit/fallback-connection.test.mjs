// The fallback connection's writes tell the truth about closing and its close
// reason is the first one decided: unit tests on a FallbackConnection over a
// real loopback socket pair (the fallback's own behaviour, so run once).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { once } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { sharedArena } from '../../dist/transport/arena.js';
import { FallbackConnection } from '../../dist/transport/fallback/connection.js';
import { fallbackTransport } from '../../dist/transport/fallback/index.js';
import { DEFAULT_SOCKET_OPTIONS, WRITE_CLOSED, WRITE_FULL, WRITE_QUEUED } from '../../dist/transport/types.js';
import { QrpcError, encodeFrame } from '../../dist/index.js';

/** A FallbackConnection on the accepting side of a loopback pair, attached; `closed` resolves with its close reason. */
async function pair(options = {}, onDrain = () => {}) {
  const server = net.createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('error', () => {});
  client.resume(); // reads and drops what we send, so our FIN is seen and the pair closes
  const [socket] = await accepted;
  server.close();
  const conn = new FallbackConnection(socket, { ...DEFAULT_SOCKET_OPTIONS, ...options });
  const frames = [];
  let closes = 0;
  const closed = new Promise((resolve) => {
    conn.attach({
      onFrame: (hi, lo, flags, cmd, payload) => frames.push(payload),
      onDrain,
      onClose(error) {
        closes++;
        resolve(error);
      },
    });
  });
  return { conn, socket, client, closed, frames, closeCount: () => closes };
}

const FRAME = encodeFrame(3n, 0, 1, Buffer.from('hello'));

test('after end() every write returns WRITE_CLOSED and the close is orderly', async () => {
  const { conn, closed } = await pair();
  conn.end();
  assert.is(conn.writeFrame(3n, 0, 1, Buffer.from('x')), WRITE_CLOSED);
  assert.is(conn.writeRaw(FRAME), WRITE_CLOSED);
  assert.is(conn.writeShared(FRAME), WRITE_CLOSED);
  assert.is(await closed, null);
});

test("a write after the peer's FIN returns WRITE_CLOSED and does not turn the orderly close into ERR_SOCKET", async () => {
  const { conn, socket, client, closed } = await pair();
  const peerEnded = once(socket, 'end'); // listened after the connection's own listener
  client.end();
  await peerEnded;
  assert.is(conn.writeFrame(3n, 0, 1, Buffer.from('late answer')), WRITE_CLOSED);
  assert.is(conn.writeRaw(FRAME), WRITE_CLOSED);
  assert.is(conn.writeShared(FRAME), WRITE_CLOSED);
  assert.is(await closed, null);
});

test("what was queued in the tick of the peer's FIN still leaves before our FIN", async () => {
  const { conn, socket, client, closed } = await pair();
  const got = [];
  client.on('data', (d) => got.push(d));
  const clientDone = once(client, 'end');
  // The answer is queued in the same tick as the FIN is seen, before the tick's flush.
  socket.prependListener('end', () => assert.is(conn.writeRaw(FRAME), WRITE_QUEUED));
  client.end();
  await clientDone;
  assert.equal(Buffer.concat(got), FRAME);
  assert.is(await closed, null);
});

test('after a socket error writes return WRITE_CLOSED (not backpressure) and the reason is ERR_SOCKET', async () => {
  const { conn, socket, client, closed } = await pair();
  const results = [];
  socket.once('error', () => {
    results.push(conn.writeFrame(3n, 0, 1, Buffer.from('x')), conn.writeRaw(FRAME), conn.writeShared(FRAME));
  });
  client.resetAndDestroy();
  const error = await closed;
  assert.instance(error, QrpcError);
  assert.is(error.code, 'ERR_SOCKET');
  assert.equal(results, [WRITE_CLOSED, WRITE_CLOSED, WRITE_CLOSED]);
  assert.ok(conn.closed);
});

test('once Node has destroyed the socket, writes return WRITE_CLOSED before its error and close events arrive', async () => {
  for (const cause of [undefined, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })]) {
    const { conn, socket, closed } = await pair();
    socket.destroy(cause); // what Node does on a read or write error; 'error' and 'close' follow a tick later
    assert.is(conn.writeFrame(3n, 0, 1, Buffer.from('x')), WRITE_CLOSED);
    assert.is(conn.writeRaw(FRAME), WRITE_CLOSED);
    assert.is(conn.writeShared(FRAME), WRITE_CLOSED);
    const error = await closed;
    if (cause === undefined) assert.is(error, null);
    else assert.is(error.code, 'ERR_SOCKET');
  }
});

test('a socket error after destroy() does not replace the close reason', async () => {
  for (const reason of [undefined, new QrpcError('ERR_READ_TIMEOUT', 'given reason')]) {
    const { conn, socket, closed, closeCount } = await pair();
    conn.destroy(reason);
    socket.emit('error', Object.assign(new Error('late'), { code: 'EPIPE' }));
    assert.is(await closed, reason ?? null);
    assert.is(closeCount(), 1);
  }
});

test('a socket error after end() does not turn the orderly close into ERR_SOCKET', async () => {
  const { conn, socket, closed } = await pair();
  conn.end();
  socket.emit('error', Object.assign(new Error('late'), { code: 'ECONNRESET' }));
  assert.is(await closed, null);
  assert.is(conn.writeRaw(FRAME), WRITE_CLOSED);
});

test('the peer resetting while end() still flushes keeps the orderly close reason', async () => {
  const { conn, client, closed } = await pair();
  client.pause(); // reads nothing: the big answer stays queued on our side
  conn.writeRaw(Buffer.alloc(32 * 1024 * 1024));
  conn.end();
  client.resetAndDestroy();
  assert.is(await closed, null);
});

test('broadcast counts only the connections that took the bytes', async () => {
  const open = await pair();
  const ending = await pair();
  const gone = await pair();
  ending.conn.end();
  const peerEnded = once(gone.socket, 'end');
  gone.client.end();
  await peerEnded;
  assert.is(fallbackTransport.broadcast([open.conn, ending.conn, gone.conn], FRAME), 1);
  open.conn.end();
  for (const p of [open, ending, gone]) assert.is(await p.closed, null);
});

test('output above the socket buffer but below the high-water mark is not reported as backpressure', async () => {
  const { conn, client, closed } = await pair({ highWaterMark: 256 * 1024 * 1024 });
  client.pause();
  // More than loopback's kernel buffers take, far less than the mark.
  conn.writeRaw(Buffer.alloc(32 * 1024 * 1024));
  conn.flush();
  assert.not.ok(conn.needDrain);
  assert.is(conn.writeShared(FRAME), WRITE_QUEUED);
  assert.is(conn.writeFrame(5n, 0, 1, Buffer.from('x')), WRITE_QUEUED);
  assert.is(conn.writeRaw(FRAME), WRITE_QUEUED);
  assert.not.ok(conn.needDrain);
  conn.destroy();
  assert.is(await closed, null);
});

test('output above the high-water mark is reported, and onDrain follows once the peer reads', async () => {
  let drains = 0;
  let drained;
  const onDrain = new Promise((resolve) => (drained = resolve));
  const { conn, client, closed } = await pair({ highWaterMark: 1024 * 1024 }, () => {
    drains++;
    drained();
  });
  client.pause();
  assert.is(conn.writeRaw(Buffer.alloc(64 * 1024 * 1024)), WRITE_FULL);
  assert.ok(conn.needDrain);
  client.resume();
  await onDrain;
  assert.not.ok(conn.needDrain);
  assert.is(drains, 1);
  conn.destroy();
  assert.is(await closed, null);
});

v8.setFlagsFromString('--expose-gc');
const forceGc = globalThis.gc ?? vm.runInNewContext('gc');
const arrayBuffers = () => {
  forceGc();
  forceGc();
  return process.memoryUsage().arrayBuffers;
};

test('small frames queued for a peer that does not read pin their bytes, not the shared output arenas', async () => {
  const { conn, client, closed } = await pair();
  client.pause();
  conn.writeRaw(Buffer.alloc(64 * 1024 * 1024)); // far more than loopback kernel buffers take
  conn.flush();
  assert.ok(conn.needDrain, 'the socket is backed up');
  const N = 2000;
  const before = arrayBuffers();
  for (let i = 0; i < N; i++) {
    conn.writeFrame(BigInt(2 * i + 3), 0, 1, Buffer.alloc(100, i & 0xff));
    conn.flush();
    // Other connections' traffic fills the arena: the next frame starts a fresh one.
    sharedArena.reserve(64 * 1024);
  }
  const growth = arrayBuffers() - before;
  // A view per frame kept a 64 KiB arena each (125 MiB here).
  const bound = N * (116 + 1024) + 16 * 1024 * 1024;
  assert.ok(growth < bound, `${N} queued 116-byte frames hold ${(growth / 1048576).toFixed(1)} MiB (bound ${(bound / 1048576).toFixed(1)} MiB)`);
  conn.destroy();
  assert.is(await closed, null);
});

test('a throttled listener holds at most backlog sockets; the rest are refused and the held ones follow on resume', async () => {
  const BACKLOG = 4;
  const accepted = [];
  const listener = await fallbackTransport.listen({ ...DEFAULT_SOCKET_OPTIONS, host: '127.0.0.1', port: 0, backlog: BACKLOG, reusePort: false }, (conn) => {
    accepted.push(conn);
    conn.attach({ onFrame() {}, onDrain() {}, onClose() {} });
  });
  listener.pause();
  const clients = [];
  let refused = 0;
  const TOTAL = 12;
  let guard;
  const allRefused = new Promise((resolve, reject) => {
    guard = setTimeout(() => reject(new Error(`only ${refused} of ${TOTAL - BACKLOG} surplus connections were refused while throttled`)), 10_000);
    // One at a time, so the kernel's own accept queue (as small as the backlog) never overflows.
    const next = () => {
      if (clients.length === TOTAL) return;
      const c = net.connect(listener.port, '127.0.0.1');
      c.on('error', () => {});
      c.resume();
      c.once('connect', next);
      c.once('close', () => {
        if (++refused === TOTAL - BACKLOG) resolve();
      });
      clients.push(c);
    };
    next();
  });
  await allRefused.finally(() => clearTimeout(guard));
  assert.is(accepted.length, 0, 'nothing is accepted while throttled');
  const attachedAll = new Promise((resolve) => {
    const check = () => (accepted.length >= BACKLOG ? resolve() : setImmediate(check));
    check();
  });
  listener.resume();
  await attachedAll;
  assert.is(accepted.length, BACKLOG);
  for (const conn of accepted) conn.destroy();
  for (const c of clients) c.destroy();
  await listener.close();
});

test.run();
