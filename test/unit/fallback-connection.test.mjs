// The fallback connection's writes tell the truth about closing and its close
// reason is the first one decided: unit tests on a FallbackConnection over a
// real loopback socket pair (the fallback's own behaviour, so run once).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { once } from 'node:events';
import { FallbackConnection } from '../../dist/transport/fallback/connection.js';
import { fallbackTransport } from '../../dist/transport/fallback/index.js';
import { DEFAULT_SOCKET_OPTIONS, WRITE_CLOSED, WRITE_QUEUED } from '../../dist/transport/types.js';
import { QrpcError, encodeFrame } from '../../dist/index.js';

/** A FallbackConnection on the accepting side of a loopback pair, attached; `closed` resolves with its close reason. */
async function pair(options = {}) {
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
      onDrain() {},
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

test.run();
