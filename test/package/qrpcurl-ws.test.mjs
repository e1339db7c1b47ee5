// qrpcurl over the WebSocket overlay (ws://, -w, a custom path, wss://) and over TLS (tls://, mutual TLS):
// the same frames printed byte for byte; a refused certificate is a failed connect (exit 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer, until } from '../helpers.mjs';
import { haveOpenssl, makeTestCertificates } from '../tls-certs.mjs';
import { cliMux, run, start, textFrame } from './qrpcurl-run.mjs';

if (!haveOpenssl()) throw new Error('these tests make their certificates with openssl, which is not installed');
const certs = makeTestCertificates();
const { pem, files } = certs;
const { mux, seen } = cliMux();
const ws = await startServer(mux, { overlay: 'ws' });
const wsPath = await startServer(mux, { overlay: { type: 'ws', path: '/rpc' } });
const wss = await startServer(mux, { overlay: 'ws', tls: { key: pem.serverKey, cert: pem.server } });
const mtls = await startServer(mux, { tls: { key: pem.serverKey, cert: pem.server, ca: pem.ca, requestCert: true } });
const expected = (payload) => textFrame('request', 3, 0, 0, payload) + textFrame('response', 3, 0, 1, `hello world ${payload}`);

test('ws://host:port/qrpc/CMD and ws://host:port/CMD (default path) and -w host:port/CMD: the same exchange', async () => {
  const [full, short, flag] = await Promise.all([
    run([`ws://127.0.0.1:${ws.port}/qrpc/0`, 'full']),
    run([`ws://127.0.0.1:${ws.port}/0`, 'short']),
    run(['-w', `127.0.0.1:${ws.port}/0`, 'flag']),
  ]);
  for (const [r, p] of [[full, 'full'], [short, 'short'], [flag, 'flag']]) {
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, expected(p));
  }
  assert.equal(seen.map((s) => s.payload).sort(), ['flag', 'full', 'short']);
});

test('a custom path keeps its segments: ws://host:port/rpc/0; the default path there is a failed connect (404), exit 2', async () => {
  const ok = await run([`ws://127.0.0.1:${wsPath.port}/rpc/0`, 'custom']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, expected('custom'));
  const wrong = await run([`ws://127.0.0.1:${wsPath.port}/0`, 'x']);
  assert.is(wrong.code, 2, wrong.stderr);
});

test('wss:// and ws:// with --tls, trusting --tls-ca; without the CA the certificate is refused (exit 2)', async () => {
  const [url, flag, untrusted] = await Promise.all([
    run(['--tls-ca', files.ca, `wss://127.0.0.1:${wss.port}/qrpc/0`, 'wss']),
    run(['--tls', '--tls-ca', files.ca, '--servername', 'localhost', `ws://127.0.0.1:${wss.port}/0`, 'tls-flag']),
    run([`wss://127.0.0.1:${wss.port}/0`, 'x']),
  ]);
  assert.is(url.code, 0, url.stderr);
  assert.is(url.stdout, expected('wss'));
  assert.is(flag.code, 0, flag.stderr);
  assert.is(flag.stdout, expected('tls-flag'));
  assert.is(untrusted.code, 2);
  assert.match(untrusted.stderr, /ERR_(CONNECT|TLS)/);
});

test('tls:// with mutual TLS: --tls-cert/--tls-key are presented; --tls-cert without --tls-key is a usage error', async () => {
  const ok = await run(['--tls-ca', files.ca, '--tls-cert', files.client, '--tls-key', files.clientKey, `tls://127.0.0.1:${mtls.port}/0`, 'mtls']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, expected('mtls'));
  const half = await run(['--tls-ca', files.ca, '--tls-cert', files.client, `tls://127.0.0.1:${mtls.port}/0`, 'x']);
  assert.is(half.code, 1);
});

test('--listen-pushes without a cmd: ws://host:port/rpc is the address (its path), pushes print until SIGINT (exit 0)', async () => {
  const child = start(['--listen-pushes', '--json', `ws://127.0.0.1:${wsPath.port}/rpc`]);
  let connected = 0;
  await until(() => {
    connected = 0;
    wsPath.server.walkConn(0, () => void connected++);
    return connected === 1;
  }, 'qrpcurl connected');
  await wsPath.server.pushAll(0, 8, 'to everyone');
  await child.untilOutput((out) => out.includes('to everyone'));
  child.kill('SIGINT');
  const r = await child.result;
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => [l.type, l.cmd, l.payload]), [['push', 8, 'to everyone']], 'no request was sent, one push printed');
});

test.after(async () => {
  await Promise.all([ws, wsPath, wss, mtls].map((s) => s.server.shutdown({ timeoutMs: 500 })));
  certs.cleanup();
});

test.run();
