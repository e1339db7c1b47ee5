// The WebSocket overlay over TLS (wss): a binding with `overlay` and `tls`
// serves wss on an HTTPS listener; a client dials wss:// with node:tls options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../dist/index.js';
import { helloMux, rejection, startServer } from '../helpers.mjs';
import { haveOpenssl, makeTestCertificates } from '../tls-certs.mjs';

if (!haveOpenssl()) throw new Error('these tests make their certificates with openssl, which is not installed');
const certs = makeTestCertificates();
const { pem } = certs;

async function wssServer(extra = {}) {
  return startServer(helloMux(), { overlay: 'ws', tls: { key: pem.serverKey, cert: pem.server, ...extra } });
}

test('wss: a call over the overlay on TLS; the binding reports the ws transport', async () => {
  const { server, port } = await wssServer();
  const conn = await connect(`wss://127.0.0.1:${port}/qrpc`, { tls: { ca: pem.ca } });
  try {
    assert.is(server.transportOf(0), 'ws');
    assert.is((await conn.call(0, 'over wss')).payload.toString(), 'hello world over wss');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('wss: an untrusted server certificate fails the connect (ERR_CONNECT, cause the TLS error); the server keeps serving', async () => {
  const { server, port } = await wssServer();
  try {
    const err = await rejection(connect(`wss://127.0.0.1:${port}/qrpc`, { tls: { ca: pem.otherCa }, connectTimeoutMs: 5000 }));
    assert.is(err.code, 'ERR_CONNECT');
    assert.match(String(err.cause?.code ?? err.cause?.message), /CERT|VERIFY|SELF_SIGNED|unable/i);
    const ok = await connect(`wss://127.0.0.1:${port}/qrpc`, { tls: { ca: pem.ca } });
    assert.is((await ok.call(0, 'still')).payload.toString(), 'hello world still');
    await ok.close();
  } finally {
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('wss with mutual TLS: a client without a certificate is refused, one with a certificate is served', async () => {
  const { server, port } = await wssServer({ ca: pem.ca, requestCert: true, rejectUnauthorized: true });
  try {
    const err = await rejection(
      connect(`wss://127.0.0.1:${port}/qrpc`, { tls: { ca: pem.ca }, connectTimeoutMs: 5000 }).then(async (c) => {
        // TLS 1.3: the handshake may complete before the server refuses the certificate; the first call then fails.
        try {
          await c.call(0, 'x', { timeoutMs: 5000 });
        } finally {
          await c.close();
        }
      }),
    );
    assert.ok(['ERR_CONNECT', 'ERR_CONN_CLOSED', 'ERR_SOCKET'].includes(err.code), err.code);
    const ok = await connect(`wss://127.0.0.1:${port}/qrpc`, { tls: { ca: pem.ca, cert: pem.client, key: pem.clientKey } });
    assert.is((await ok.call(0, 'mtls')).payload.toString(), 'hello world mtls');
    await ok.close();
  } finally {
    await server.shutdown({ timeoutMs: 200 });
  }
});

test.after(() => certs.cleanup());
test.run();
