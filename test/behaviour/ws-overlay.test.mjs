// What only the WebSocket overlay has: the HTTP side (path, 404, origin hook,
// upgrade size limit, subprotocol), message framing (split and batched frames,
// text messages, bad frames, maxPayload), close codes, ping/pong keep-alive,
// and the ws:// client with reconnect. The rest of the behaviour runs in the
// whole behavioural suite over the overlay (run.mjs, QRPC_TEST_OVERLAY=ws).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { WebSocket } from 'ws';
import { Server, connect, encodeFrame, Flags, backend } from '../../dist/index.js';
import { helloMux, until, rejection } from '../helpers.mjs';
import { parseAll, bounded } from '../vectors.mjs';

async function wsServer(bindingOptions = {}, handler = helloMux()) {
  const closes = [];
  const server = new Server([{ addr: '127.0.0.1:0', handler, overlay: 'ws', onClose: (_c, e) => closes.push(e), ...bindingOptions }]);
  await server.listen();
  const port = server.address(0).port;
  return { server, port, closes, url: `ws://127.0.0.1:${port}/qrpc` };
}

/** A raw ws client: every binary message it gets is collected, and the close code and reason. */
function rawClient(url, options = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const c = { ws, messages: [], close: null, pings: 0 };
    ws.on('message', (data) => c.messages.push(Buffer.from(data)));
    ws.on('ping', () => c.pings++);
    ws.on('close', (code, reason) => (c.close = { code, reason: reason.toString() }));
    ws.once('error', reject);
    ws.once('open', () => resolve(c));
  });
}

function httpStatus(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
}

const upgradeHeaders = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };

test('transportOf: a ws binding reports "ws", a plain one its backend', async () => {
  const server = new Server([
    { addr: '127.0.0.1:0', handler: helloMux(), overlay: 'ws' },
    { addr: '127.0.0.1:0', handler: helloMux() },
  ]);
  assert.is(server.transportOf(0), 'ws');
  assert.is(server.transportOf(1), backend().name);
  await server.listen();
  await server.shutdown({ timeoutMs: 100 });
});

test('the upgrade is served on /qrpc only; other paths and plain requests get 404', async () => {
  const { server, port } = await wsServer();
  try {
    assert.is(await httpStatus(port, '/qrpc', upgradeHeaders), 101);
    assert.is(await httpStatus(port, '/other', upgradeHeaders), 404);
    assert.is(await httpStatus(port, '/qrpc'), 404);
    assert.is(await httpStatus(port, '/'), 404);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('a custom path: ws://host:port/custom dials it; the default path is then 404', async () => {
  const { server, port } = await wsServer({ overlay: { type: 'ws', path: '/custom' } });
  try {
    assert.is(await httpStatus(port, '/qrpc', upgradeHeaders), 404);
    const conn = await connect(`ws://127.0.0.1:${port}/custom`);
    assert.is((await conn.call(0, 'p')).payload.toString(), 'hello world p');
    await conn.close();
    const viaOption = await connect(`127.0.0.1:${port}`, { overlay: { type: 'ws', path: '/custom' } });
    assert.is((await viaOption.call(0, 'o')).payload.toString(), 'hello world o');
    await viaOption.close();
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('allowOrigin: false answers 403 before the handshake; the hook sees the Origin header', async () => {
  const seen = [];
  const allowOrigin = (origin) => (seen.push(origin), origin === 'https://good.example');
  const { server, port } = await wsServer({ overlay: { type: 'ws', allowOrigin } });
  try {
    assert.is(await httpStatus(port, '/qrpc', { ...upgradeHeaders, Origin: 'https://evil.example' }), 403);
    assert.is(await httpStatus(port, '/qrpc', { ...upgradeHeaders, Origin: 'https://good.example' }), 101);
    assert.equal(seen, ['https://evil.example', 'https://good.example']);
    assert.is(server.stats(0).connections <= 1, true);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('maxUpgradeBytes: an upgrade request with a larger head is refused (431), a small one is served', async () => {
  const { server, port } = await wsServer({ overlay: { type: 'ws', maxUpgradeBytes: 1024 } });
  try {
    assert.is(await httpStatus(port, '/qrpc', { ...upgradeHeaders, 'X-Pad': 'x'.repeat(2000) }), 431);
    assert.is(await httpStatus(port, '/qrpc', upgradeHeaders), 101);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('subprotocol: "null" is chosen when the client offers it (as Go), none when it offers none', async () => {
  const { server, url } = await wsServer();
  try {
    const a = await rawClient(url, {});
    assert.is(a.ws.protocol, '');
    a.ws.terminate();
    const b = await new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['null'], { perMessageDeflate: false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
    assert.is(b.protocol, 'null');
    b.terminate();
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('receive: one frame split across three messages, and three frames in one message, are all served', async () => {
  const { server, url } = await wsServer();
  try {
    const c = await rawClient(url);
    const f = encodeFrame(3n, Flags.NB, 0, Buffer.from('split'));
    c.ws.send(f.subarray(0, 5));
    c.ws.send(f.subarray(5, 18));
    c.ws.send(f.subarray(18));
    c.ws.send(Buffer.concat([5n, 7n, 9n].map((id) => encodeFrame(id, Flags.NB, 0, Buffer.from(`m${id}`)))));
    await bounded(until(() => c.messages.length === 4), 'four answers');
    // Send side: one binary message per frame, as Go.
    assert.equal(
      c.messages.map((m) => parseAll(m).map((x) => [x.requestId, x.payload.toString()])),
      [[[3n, 'hello world split']], [[5n, 'hello world m5']], [[7n, 'hello world m7']], [[9n, 'hello world m9']]],
    );
    c.ws.terminate();
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('a text message closes the connection with code 1003 and a reason (ERR_INVALID_FRAME on the server)', async () => {
  const { server, url, closes } = await wsServer();
  try {
    const c = await rawClient(url);
    c.ws.send('hello');
    await bounded(until(() => c.close !== null), 'the close');
    assert.is(c.close.code, 1003);
    assert.match(c.close.reason, /text WebSocket message/);
    await until(() => closes.length === 1);
    assert.is(closes[0].code, 'ERR_INVALID_FRAME');
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('a bad frame (length < 12) closes with 1002 and the parser reason', async () => {
  const { server, url, closes } = await wsServer();
  try {
    const c = await rawClient(url);
    const bad = Buffer.alloc(16);
    bad.writeUInt32BE(4, 0);
    c.ws.send(bad);
    await bounded(until(() => c.close !== null), 'the close');
    assert.is(c.close.code, 1002);
    assert.ok(c.close.reason.length > 0, 'a reason');
    await until(() => closes.length === 1);
    assert.is(closes[0].code, 'ERR_INVALID_FRAME');
    assert.is(c.messages.length, 0);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('maxFrameSize: a frame header above it closes with 1009 before its payload; a message above maxPayload too', async () => {
  const { server, url, closes } = await wsServer({ maxFrameSize: 1024 });
  try {
    const c = await rawClient(url);
    const header = encodeFrame(3n, 0, 0, Buffer.alloc(0));
    header.writeUInt32BE(1025, 0);
    c.ws.send(header);
    await bounded(until(() => c.close !== null), 'the close');
    assert.is(c.close.code, 1009);
    await until(() => closes.length === 1);
    assert.is(closes[0].code, 'ERR_FRAME_TOO_LARGE');

    const d = await rawClient(url);
    d.ws.send(Buffer.alloc(1024 + 17));
    await bounded(until(() => d.close !== null), 'the second close');
    assert.is(d.close.code, 1009);
    await until(() => closes.length === 2);
    assert.is(closes[1].code, 'ERR_FRAME_TOO_LARGE');
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('graceful shutdown: the answer in flight arrives, then the close frame 1001', async () => {
  let release;
  const mux = helloMux().handle(8, async (w, req) => {
    await new Promise((r) => (release = r));
    await w.reply(req.requestId, 1, 'late');
  });
  const { server, url } = await wsServer({}, mux);
  const c = await rawClient(url);
  c.ws.send(encodeFrame(3n, Flags.NB, 8, Buffer.alloc(0)));
  await until(() => release !== undefined, 'the handler to run');
  const done = server.shutdown({ timeoutMs: 2000 });
  release();
  await bounded(until(() => c.close !== null), 'the close');
  await done;
  const frames = c.messages.flatMap((m) => parseAll(m));
  assert.equal(frames[0].payload.toString(), 'late');
  assert.is(c.close.code, 1001);
});

test('client close sends 1000; the server sees an orderly close (null)', async () => {
  const { server, url, closes } = await wsServer();
  try {
    const conn = await connect(url);
    await conn.call(0, 'x');
    await conn.close();
    await until(() => closes.length === 1);
    assert.is(closes[0], null);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('keep-alive: the server pings every keepAliveMs; a peer that answers stays open', async () => {
  const { server, url, closes } = await wsServer({ keepAliveMs: 30 });
  try {
    const c = await rawClient(url);
    await bounded(until(() => c.pings >= 3), 'three pings');
    assert.equal(closes, []);
    c.ws.send(encodeFrame(3n, Flags.NB, 0, Buffer.from('alive')));
    await until(() => c.messages.length === 1);
    c.ws.terminate();
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('keep-alive: while the server does not read (throttle), unread pongs do not cut the peer off', async () => {
  const { server, url, closes } = await wsServer({ keepAliveMs: 30 });
  try {
    const c = await rawClient(url);
    await until(() => server.stats(0).connections === 1, 'the accept');
    server.setThrottle(0);
    // Pings keep going out while reading stands still; the answers to them wait unread.
    await bounded(until(() => c.pings >= 4), 'four pings while throttled');
    server.clearThrottle(0);
    c.ws.send(encodeFrame(3n, Flags.NB, 0, Buffer.from('still here')));
    await bounded(until(() => c.messages.length === 1), 'the answer after the throttle');
    assert.is(parseAll(c.messages[0])[0].payload.toString(), 'hello world still here');
    assert.equal(closes, []);
    c.ws.terminate();
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('keep-alive: a peer that never answers pings is cut off with ERR_READ_TIMEOUT', async () => {
  const { server, url, closes } = await wsServer({ keepAliveMs: 30 });
  try {
    const c = await rawClient(url, { autoPong: false });
    await bounded(until(() => closes.length === 1), 'the cut-off');
    assert.is(closes[0].code, 'ERR_READ_TIMEOUT');
    assert.match(closes[0].message, /no pong/);
    assert.ok(c.pings >= 1);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test('reconnect over ws: after the server restarts on the same port, calls succeed again', async () => {
  const first = await wsServer();
  const port = first.port;
  let connects = 0;
  const conn = await connect(first.url, { reconnect: { backoffMs: 20 }, whileDisconnected: 'wait', onConnect: () => connects++ });
  assert.is((await conn.call(0, 'a')).payload.toString(), 'hello world a');
  await first.server.shutdown({ timeoutMs: 100 });
  const second = new Server([{ addr: `127.0.0.1:${port}`, handler: helloMux(), overlay: 'ws' }]);
  await second.listen();
  try {
    assert.is((await bounded(conn.call(0, 'b'), 'a call after the reconnect')).payload.toString(), 'hello world b');
    assert.ok(connects >= 2, `connected again (${connects})`);
  } finally {
    await conn.close();
    await second.shutdown({ timeoutMs: 100 });
  }
});

test('connect: a ws:// address with nothing listening rejects with ERR_CONNECT; a 404 path too', async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const freePort = probe.address().port;
  await new Promise((r) => probe.close(r));
  assert.is((await rejection(connect(`ws://127.0.0.1:${freePort}/qrpc`))).code, 'ERR_CONNECT');
  const { server, port } = await wsServer();
  try {
    const err = await rejection(connect(`ws://127.0.0.1:${port}/nope`));
    assert.is(err.code, 'ERR_CONNECT');
    assert.match(err.message, /404/);
  } finally {
    await server.shutdown({ timeoutMs: 100 });
  }
});

test.run();
