// The interop tools over TLS, as separate processes: interop-server with
// --tls-cert/--tls-key (and --tls-ca for mutual TLS) on port 0, and
// interop-client with --tls-ca (and a client certificate) running every
// scenario against it. Certificates are made at test time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL, runClient, startInteropServer, stop } from '../interop-procs.mjs';

import { haveOpenssl, makeTestCertificates } from '../tls-certs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

if (!haveOpenssl()) throw new Error('these tests make their certificates with openssl, which is not installed');
const { files, cleanup } = makeTestCertificates();

const serverTls = ['--tls-cert', files.server, '--tls-key', files.serverKey];

test('over wss (--ws with the TLS flags on both): every scenario passes', async () => {
  const { child, port, line } = await startInteropServer([...serverTls, '--ws']);
  try {
    assert.match(line, /transport: ws, path \/qrpc/);
    const { code, stdout, stderr } = await runClient(['--port', String(port), '--ws', '--tls-ca', files.ca, '--servername', 'localhost']);
    assert.is(stdout.trim().split('\n').at(-1), `${ALL.length} passed, 0 failed`, stdout + stderr);
    assert.is(code, 0);
  } finally {
    await stop(child);
  }
});

test('interop-client --tls-ca passes every scenario against interop-server --tls-cert/--tls-key', async () => {
  const { child, port, line } = await startInteropServer(serverTls);
  try {
    assert.match(line, /transport: tls/);
    const { code, stdout, stderr } = await runClient(['--port', String(port), '--tls-ca', files.ca, '--servername', 'localhost']);
    assert.is(stdout.trim().split('\n').at(-1), `${ALL.length} passed, 0 failed`, stdout + stderr);
    assert.is(code, 0);
  } finally {
    await stop(child);
  }
});

test('mutual TLS: with --tls-ca on the server, a client with a certificate passes everything, one without fails', async () => {
  const { child, port, line } = await startInteropServer([...serverTls, '--tls-ca', files.ca]);
  try {
    assert.match(line, /client certificates required/);
    const withCert = await runClient(['--port', String(port), '--tls-ca', files.ca, '--tls-cert', files.client, '--tls-key', files.clientKey]);
    assert.is(withCert.stdout.trim().split('\n').at(-1), `${ALL.length} passed, 0 failed`, withCert.stdout + withCert.stderr);
    const without = await runClient(['--port', String(port), '--tls-ca', files.ca, '--scenario', 'hello']);
    assert.is.not(without.code, 0);
    assert.match(without.stdout, /^FAIL hello: ERR_/m);
  } finally {
    await stop(child);
  }
});

test('interop-client without --tls-ca fails against a TLS server; bad flag combinations exit 2', async () => {
  const { child, port } = await startInteropServer(serverTls);
  try {
    const plain = await runClient(['--port', String(port), '--scenario', 'hello']);
    assert.is.not(plain.code, 0);
    assert.match(plain.stdout, /^FAIL hello: /m);
    assert.is((await runClient(['--port', String(port), '--tls-cert', files.client])).code, 2);
  } finally {
    await stop(child);
  }
  const badServer = spawn(process.execPath, [join(root, 'scripts', 'interop-server.mjs'), '--port', '0', '--tls-ca', files.ca], { cwd: root, stdio: 'ignore' });
  assert.is(await new Promise((resolve) => badServer.once('exit', resolve)), 2);
});

test.after(() => cleanup());
test.run();
