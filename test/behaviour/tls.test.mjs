// TLS and mutual TLS on the TCP transport, with certificates made at test
// time (test/tls-certs.mjs). TLS bindings are served by the TLS transport on
// either backend; this file runs once per backend like the rest, so the plain
// bindings used for contrast are the backend under test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { Server, connect, Flags, backend } from '../../dist/index.js';
import { interopBinding } from '../../scripts/interop-handlers.mjs';
import { RawPeer, helloMux, rejection, startServer, until } from '../helpers.mjs';
import { haveOpenssl, makeTestCertificates } from '../tls-certs.mjs';

if (!haveOpenssl()) throw new Error('these tests make their certificates with openssl, which is not installed');
const certs = makeTestCertificates();
const { pem } = certs;

/** A logger that keeps what it is given, by level. */
function recordingLogger() {
  const seen = { debug: [], info: [], warn: [], error: [] };
  const log = (level) => (obj, msg) => seen[level].push({ ...obj, msg });
  return { seen, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}

const serverTls = (extra = {}) => ({ key: pem.serverKey, cert: pem.server, ...extra });
const mtls = (extra = {}) => serverTls({ ca: pem.ca, requestCert: true, ...extra });
const clientCert = { ca: pem.ca, cert: pem.client, key: pem.clientKey };

async function tlsServer(tlsOptions, binding = {}, logger) {
  const { seen, logger: recorder } = recordingLogger();
  const started = await startServer(helloMux(), { tls: tlsOptions, ...binding }, { logger: logger ?? recorder });
  return { ...started, seen, url: `tls://127.0.0.1:${started.port}` };
}

/** The outcome of dialling and making one call: 'ok', or the error's code (and its cause's). */
async function attempt(url, options) {
  let conn;
  try {
    conn = await connect(url, { connectTimeoutMs: 5000, ...options });
  } catch (err) {
    return { stage: 'connect', code: err.code, cause: err.cause?.code ?? null, err };
  }
  try {
    await conn.call(0, 'x', { timeoutMs: 5000 });
    return { stage: 'ok', code: null, cause: null };
  } catch (err) {
    // Refused after its own handshake completed (TLS 1.3): the session closed, and says why.
    const reason = conn.closeReason;
    return { stage: 'call', code: err.code, cause: reason?.code ?? null, reason };
  } finally {
    await conn.close();
  }
}

async function assertServes(conn, what) {
  const frame = await conn.call(0, 'still', { timeoutMs: 5000 });
  assert.is(frame.payload.toString(), 'hello world still', what);
}

test('a tls binding is served by the TLS transport on either backend; plain bindings by the backend', async () => {
  const server = new Server([
    { addr: '127.0.0.1:0', handler: helloMux(), tls: serverTls() },
    { addr: '127.0.0.1:0', handler: helloMux() },
  ]);
  assert.is(server.transportOf(0), 'tls', 'known before listen');
  await server.listen();
  try {
    assert.is(server.transportOf(0), 'tls');
    assert.is(server.transportOf(1), backend().name);
    assert.is(server.stats(0).tlsErrors, 0);
    assert.is(server.stats(1).tlsErrors, 0);
  } finally {
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('request, stream, push and server call over TLS (tls:// address, server verified against the test CA)', async () => {
  const server = new Server([{ addr: '127.0.0.1:0', tls: serverTls(), ...interopBinding() }], { logger: recordingLogger().logger });
  await server.listen();
  const pushes = [];
  const conn = await connect(`tls://127.0.0.1:${server.address(0).port}`, {
    tls: { ca: pem.ca },
    codec: interopBinding().codec,
    onPush: (f) => pushes.push(f),
    handler: (w, req) => w.reply(req.requestId, 4, 'client resp'),
  });
  try {
    assert.is(conn.tls.authorized, true, 'the client verified the server');
    assert.is(conn.tls.peerCertificate.subject.CN, 'localhost');
    assert.match(conn.tls.protocol, /^TLSv1\.[23]$/);
    assert.is((await conn.call(0, 'xu')).payload.toString(), 'hello world xu');
    // Stream both ways.
    const { writer, response } = conn.streamRequest(5, 0, 'a');
    await writer.write('b');
    await writer.end('c');
    const frames = [];
    for await (const f of response.frames()) frames.push(f.payload.toString());
    assert.equal(frames, ['first a', 'cont b', 'cont c']);
    // Server push (broadcast path) arrives before its reply.
    assert.is((await conn.call(2, 'p')).payload.toString(), 'push done');
    assert.ok(pushes.some((p) => p.payload.toString() === 'pushed p' && (p.flags & Flags.Push) !== 0), 'push received');
    // Server → client call.
    assert.is((await conn.call(3, 'xu ')).payload.toString(), 'xu client resp');
    // A large frame crosses many TLS records intact.
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const echoed = await conn.call(0, big);
    assert.is(echoed.payload.length, big.length + 12);
    // Plain connections carry no TLS facts.
    const info = [];
    server.walkConn(0, (c) => info.push(c.tls));
    assert.is(info[0].peerCertificate, null, 'no client certificate was asked for');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('the tls option alone (host:port address) also dials TLS', async () => {
  const s = await tlsServer(serverTls());
  try {
    const conn = await connect(s.addr, { tls: { ca: pem.ca } });
    await assertServes(conn, 'TLS without the tls:// prefix');
    await conn.close();
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('mutual TLS: onAccept reads the client certificate and maps its CN to the connection id', async () => {
  const accepted = [];
  const s = await tlsServer(mtls(), {
    onAccept(info) {
      accepted.push({ authorized: info.authorized, error: info.authorizationError, cn: info.peerCertificate?.subject.CN });
      void info.setId(info.peerCertificate.subject.CN);
    },
  });
  const one = await connect(s.url, { tls: clientCert });
  const two = await connect(s.url, { tls: { ca: pem.ca, cert: pem.client2, key: pem.client2Key } });
  try {
    await assertServes(one, 'device-1');
    await assertServes(two, 'device-2');
    assert.equal(accepted, [
      { authorized: true, error: null, cn: 'device-1' },
      { authorized: true, error: null, cn: 'device-2' },
    ]);
    const info = s.server.getConnectionInfoById(0, 'device-2');
    assert.ok(info !== null, 'found by the id taken from its certificate');
    assert.is(info.peerCertificate.issuer.CN, 'ca');
    assert.match(info.tls.protocol, /^TLSv1\.[23]$/);
    assert.is(s.server.stats(0).tlsErrors, 0);
  } finally {
    await one.close();
    await two.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('mutual TLS: a client without a certificate is refused in the handshake (ERR_TLS); others keep working', async () => {
  const accepted = [];
  const s = await tlsServer(mtls(), { onAccept: (info) => void accepted.push(info.peerCertificate?.subject.CN) });
  const good = await connect(s.url, { tls: clientCert });
  try {
    const r = await attempt(s.url, { tls: { ca: pem.ca } });
    // TLS 1.2: connect() rejects; TLS 1.3: the client's handshake ends first, then the server's alert closes it.
    if (r.stage === 'connect') assert.is(r.code, 'ERR_TLS', r.err?.message);
    else assert.is(r.cause, 'ERR_TLS', `call failed with ${r.code}, connection closed with ${r.cause}`);
    await until(() => s.server.stats(0).tlsErrors === 1, 'the refusal counted');
    assert.equal(accepted, ['device-1'], 'onAccept never saw the refused client');
    assert.is(s.seen.warn.at(-1).code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    assert.is(s.seen.error.length, 0, 'nothing logged at error level');
    await assertServes(good, 'the certified client');
  } finally {
    await good.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('mutual TLS under TLS 1.2: a client without a certificate has connect() rejected with ERR_TLS', async () => {
  const s = await tlsServer(mtls());
  try {
    const err = await rejection(connect(s.url, { tls: { ca: pem.ca, maxVersion: 'TLSv1.2' } }));
    assert.is(err.code, 'ERR_TLS', err.message);
    assert.match(err.cause.code, /^ERR_SSL_/);
    await until(() => s.server.stats(0).tlsErrors === 1, 'the refusal counted');
    const conn = await connect(s.url, { tls: { ...clientCert, maxVersion: 'TLSv1.2' } });
    assert.is(conn.tls.protocol, 'TLSv1.2');
    await assertServes(conn, 'a certified TLS 1.2 client');
    await conn.close();
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('backpressure over TLS: 24 MiB of answers to a client, writers wait for drain and everything arrives', async () => {
  const { ServeMux } = await import('../../dist/index.js');
  const mux = new ServeMux();
  const chunk = Buffer.alloc(1024 * 1024, 1);
  mux.handle(20, async (w, req) => {
    for (let i = 0; i < 23; i++) {
      w.startWrite(req.requestId, 20, Flags.Stream);
      w.writeBytes(chunk);
      await w.endWrite();
    }
    await w.reply(req.requestId, 20, chunk, Flags.StreamEnd);
  });
  const server = new Server([{ addr: '127.0.0.1:0', handler: mux, tls: serverTls(), highWaterMark: 256 * 1024 }], { logger: recordingLogger().logger });
  await server.listen();
  const conn = await connect(`tls://127.0.0.1:${server.address(0).port}`, { tls: { ca: pem.ca } });
  try {
    const { response } = conn.request(20, Flags.NB, 'go');
    let bytes = 0;
    for await (const f of response.frames()) bytes += f.payload.length;
    assert.is(bytes, 24 * 1024 * 1024);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('mutual TLS: a client certificate from another CA is refused; others keep working', async () => {
  const accepted = [];
  const s = await tlsServer(mtls(), { onAccept: (info) => void accepted.push(info.peerCertificate?.subject.CN) });
  const good = await connect(s.url, { tls: clientCert });
  try {
    const r = await attempt(s.url, { tls: { ca: pem.ca, cert: pem.otherClient, key: pem.otherClientKey } });
    assert.is.not(r.stage, 'ok', 'no answer for an untrusted client');
    assert.ok(typeof r.code === 'string' && r.code.startsWith('ERR_'), `a QrpcError code, got ${r.code}`);
    await until(() => s.server.stats(0).tlsErrors === 1, 'the refusal counted');
    assert.equal(accepted, ['device-1']);
    assert.is(s.seen.warn.at(-1).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    await assertServes(good, 'the certified client');
  } finally {
    await good.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('requestCert with rejectUnauthorized: false lets onAccept decide, seeing why the certificate failed', async () => {
  const seen = [];
  const s = await tlsServer(mtls({ rejectUnauthorized: false }), {
    onAccept(info) {
      seen.push({ cn: info.peerCertificate?.subject.CN ?? null, authorized: info.authorized, error: info.authorizationError });
      return info.authorized;
    },
  });
  try {
    assert.is((await attempt(s.url, { tls: clientCert })).stage, 'ok');
    assert.is.not((await attempt(s.url, { tls: { ca: pem.ca, cert: pem.otherClient, key: pem.otherClientKey } })).stage, 'ok');
    assert.equal(seen, [
      { cn: 'device-1', authorized: true, error: null },
      { cn: 'intruder', authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    ]);
    assert.is(s.server.stats(0).rejected, 1, 'refused by onAccept, not by TLS');
    assert.is(s.server.stats(0).tlsErrors, 0);
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('the client refuses a server certificate from an untrusted CA: ERR_TLS (cause UNABLE_TO_VERIFY_LEAF_SIGNATURE)', async () => {
  const s = await tlsServer({ key: pem.otherServerKey, cert: pem.otherServer });
  try {
    const err = await rejection(connect(s.url, { tls: { ca: pem.ca } }));
    assert.is(err.code, 'ERR_TLS');
    assert.is(err.cause.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    await until(() => s.server.stats(0).tlsErrors === 1, 'the server saw the aborted handshake');
    // The server is unharmed: a client trusting its CA is served.
    const conn = await connect(s.url, { tls: { ca: pem.otherCa } });
    await assertServes(conn, 'a client trusting the other CA');
    await conn.close();
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('the client refuses an expired server certificate: ERR_TLS (cause CERT_HAS_EXPIRED)', async () => {
  const s = await tlsServer({ key: pem.expiredKey, cert: pem.expired });
  try {
    const err = await rejection(connect(s.url, { tls: { ca: pem.ca } }));
    assert.is(err.code, 'ERR_TLS');
    assert.is(err.cause.code, 'CERT_HAS_EXPIRED');
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('the client refuses a certificate for another name: ERR_TLS (cause ERR_TLS_CERT_ALTNAME_INVALID); localhost matches', async () => {
  const s = await tlsServer(serverTls());
  try {
    const err = await rejection(connect(s.url, { tls: { ca: pem.ca, servername: 'other.example' } }));
    assert.is(err.code, 'ERR_TLS');
    assert.is(err.cause.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    const conn = await connect(`tls://localhost:${s.port}`, { tls: { ca: pem.ca } });
    await assertServes(conn, 'by DNS name');
    await conn.close();
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('a plain-TCP qrpc client on a TLS port is closed, counted, and the server keeps serving', async () => {
  const s = await tlsServer(serverTls());
  const good = await connect(s.url, { tls: { ca: pem.ca } });
  try {
    const peer = await RawPeer.connect(s.port);
    peer.sendFrame(1, 0, 0, 'plain');
    await peer.waitClose();
    assert.is(peer.frames.length, 0, 'no qrpc frame reached a plain client');
    await until(() => s.server.stats(0).tlsErrors === 1, 'counted');
    assert.is(s.seen.debug.at(-1).code, 'ERR_SSL_WRONG_VERSION_NUMBER');
    assert.is(s.server.stats(0).accepted, 1, 'only the TLS client was accepted');
    // The qrpc client API on a TLS port without tls: the server closes it before any answer.
    const r = await attempt(s.addr, {});
    assert.is.not(r.stage, 'ok');
    await assertServes(good, 'the TLS client');
  } finally {
    await good.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('handshake timeout: a peer that connects and says nothing is dropped (ERR_TLS_HANDSHAKE_TIMEOUT)', async () => {
  const s = await tlsServer(serverTls({ handshakeTimeout: 150 }));
  const good = await connect(s.url, { tls: { ca: pem.ca } });
  try {
    const peer = await RawPeer.connect(s.port);
    await peer.waitClose();
    await until(() => s.server.stats(0).tlsErrors === 1, 'counted');
    assert.is(s.seen.debug.at(-1).code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
    await assertServes(good, 'the TLS client');
  } finally {
    await good.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('shutdown drops a peer still in its handshake (it does not wait for handshakeTimeout)', async () => {
  const s = await tlsServer(serverTls({ handshakeTimeout: 600_000 }));
  const good = await connect(s.url, { tls: { ca: pem.ca } });
  const peer = await RawPeer.connect(s.port);
  await assertServes(good, 'the server accepted meanwhile');
  await Promise.all([s.server.shutdown({ timeoutMs: 500 }), peer.waitClose()]);
  assert.ok(peer.closed);
  await good.close();
});

test('a TLS client on a plain port fails to connect (ERR_CONNECT, or ERR_TIMEOUT), the plain server keeps serving', async () => {
  const { server, port, addr } = await startServer(helloMux(), {}, { logger: recordingLogger().logger });
  const plain = await connect(addr);
  try {
    const err = await rejection(connect(`tls://127.0.0.1:${port}`, { tls: { ca: pem.ca }, connectTimeoutMs: 3000 }));
    assert.ok(err.code === 'ERR_CONNECT' || err.code === 'ERR_TIMEOUT', `got ${err.code}: ${err.message}`);
    await assertServes(plain, 'the plain client');
  } finally {
    await plain.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('client handshake timeout: a server that accepts and never answers gives ERR_TIMEOUT', async () => {
  const silent = net.createServer(() => {});
  const sockets = [];
  silent.on('connection', (s) => sockets.push(s));
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const err = await rejection(connect(`tls://127.0.0.1:${silent.address().port}`, { tls: { ca: pem.ca }, connectTimeoutMs: 150 }));
    assert.is(err.code, 'ERR_TIMEOUT');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('bad TLS options fail listen with ERR_TLS; a tls:// binding address without tls options is ERR_INVALID_ARG', async () => {
  const mismatched = new Server([{ addr: '127.0.0.1:0', handler: helloMux(), tls: { key: pem.clientKey, cert: pem.server } }]);
  const err = await rejection(mismatched.listen());
  assert.is(err.code, 'ERR_TLS');
  const noOptions = new Server([{ addr: 'tls://127.0.0.1:0', handler: helloMux() }]);
  assert.is((await rejection(noOptions.listen())).code, 'ERR_INVALID_ARG');
});

test.after(() => certs.cleanup());
test.run();
