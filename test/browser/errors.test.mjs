// Failures in the browser build, in real Chromium, each with its stable code:
// bad addresses and payloads, nothing listening, a 404 path, an untrusted
// wss:// certificate, and a server shutdown under a pending call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { Server, ServeMux, silentLogger } from '../../dist/index.js';
import { startBrowserEnv } from './harness.mjs';
import { makeTestCertificates } from '../tls-certs.mjs';
import { deferred } from '../helpers.mjs';

let started = deferred();
const mux = new ServeMux();
mux.handle(1, (w, req) => w.reply(req.requestId, 1, 'ok'));
// cmd 2: answers only when aborted (the shutdown deadline aborts it).
mux.handle(2, async (_w, req) => {
  started.resolve();
  await new Promise((resolve) => req.signal.addEventListener('abort', resolve));
});

const env = await startBrowserEnv(mux);
const tryConnect = (url) => env.page.evaluate((url) => settle(qrpc.connect(url).then((c) => c.close())), url);

/** A port nothing listens on (bound, read, released). */
async function deadPort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

test('a host:port or tls:// address is refused with ERR_INVALID_ARG (the page dials ws:// / wss:// only)', async () => {
  for (const addr of ['127.0.0.1:1234', 'tls://127.0.0.1:1234']) {
    const r = await tryConnect(addr);
    assert.is(r.ok, false);
    assert.is(r.error.code, 'ERR_INVALID_ARG', addr);
    assert.match(r.error.message, /ws:\/\/ or wss:\/\//);
  }
  const empty = await env.page.evaluate(() => settle(qrpc.connect([])));
  assert.is(empty.error.code, 'ERR_INVALID_ARG');
});

test('nothing listening: ERR_CONNECT', async () => {
  const r = await tryConnect(`ws://127.0.0.1:${await deadPort()}/qrpc`);
  assert.equal([r.ok, r.error.code], [false, 'ERR_CONNECT']);
});

test('a path the server does not upgrade (404): ERR_CONNECT', async () => {
  const r = await tryConnect(env.urls.ws.replace('/qrpc', '/elsewhere'));
  assert.equal([r.ok, r.error.code], [false, 'ERR_CONNECT']);
});

test('wss:// to a certificate the browser does not trust: ERR_CONNECT, and the trusted server still serves', async () => {
  const certs = makeTestCertificates();
  // Signed by another CA and a key outside the run's SPKI list.
  const other = new Server([{ addr: '127.0.0.1:0', handler: mux, overlay: 'ws', tls: { key: certs.pem.otherServerKey, cert: certs.pem.otherServer } }], { logger: silentLogger });
  await other.listen();
  try {
    const r = await tryConnect(`wss://127.0.0.1:${other.address(0).port}/qrpc`);
    assert.equal([r.ok, r.error.code], [false, 'ERR_CONNECT']);
    assert.is((await tryConnect(env.urls.wss)).ok, true);
  } finally {
    await other.shutdown({ timeoutMs: 200 });
    certs.cleanup();
  }
});

test('a payload that is not bytes or a string: ERR_INVALID_ARG naming it; the connection stays usable', async () => {
  const r = await env.page.evaluate(async (url) => {
    const conn = await qrpc.connect(url);
    const bad = await settle(conn.call(1, { not: 'bytes' }));
    const good = await conn.call(1, 'x');
    await conn.close();
    return { bad: bad.error, good: new TextDecoder().decode(good.payload) };
  }, env.urls.ws);
  assert.is(r.bad.code, 'ERR_INVALID_ARG');
  assert.match(r.bad.message, /object/);
  assert.is(r.good, 'ok');
});

test('a call after close() fails with ERR_CONN_CLOSED', async () => {
  const r = await env.page.evaluate(async (url) => {
    const conn = await qrpc.connect(url);
    await conn.close();
    return settle(conn.call(1, 'x'));
  }, env.urls.ws);
  assert.is(r.error.code, 'ERR_CONN_CLOSED');
});

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));

// Last: it shuts the shared server down.
test('a server shutdown under a pending call: ERR_STREAM_RESET or ERR_CONN_CLOSED, and the close reason is ERR_SHUTDOWN', async () => {
  started = deferred();
  await env.page.evaluate(async (url) => {
    window.conn = await qrpc.connect(url);
    window.pending = settle(window.conn.call(2, 'x'));
  }, env.urls.ws);
  await started.promise;
  await env.server.shutdown({ timeoutMs: 100 });
  const r = await env.page.evaluate(async () => {
    await window.conn.closed;
    return { pending: (await window.pending).error, reason: window.conn.closeReason?.code };
  });
  assert.is(r.reason, 'ERR_SHUTDOWN');
  assert.ok(['ERR_STREAM_RESET', 'ERR_CONN_CLOSED'].includes(r.pending.code), r.pending.code);
});

test.after(() => env.close());
test.run();
