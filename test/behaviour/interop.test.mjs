// The interop tools against each other, as separate processes: the interop
// server (handler table of the vectors README) on port 0, and the interop
// client running every scenario against it. The backend under test is
// inherited through QRPC_BACKEND.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL, runClient, startInteropServer, stop } from '../interop-procs.mjs';

test('interop-client --scenario all passes every scenario against interop-server --port 0', async () => {
  const { child, port } = await startInteropServer();
  try {
    assert.ok(port > 0, 'the real port is printed');
    const { code, stdout, stderr } = await runClient(['--port', String(port), '--scenario', 'all']);
    const lines = stdout.trim().split('\n');
    assert.is(lines.at(-1), `${ALL.length} passed, 0 failed`, `${stdout}${stderr}`);
    assert.is(code, 0, stdout + stderr);
    assert.equal(lines.slice(0, -1), ALL.map((name) => `ok   ${name}`));
  } finally {
    await stop(child);
  }
});

test('interop-client reports a failing scenario and exits non-zero', async () => {
  // A server on a port where nothing listens: every connecting scenario fails.
  const { child, port } = await startInteropServer();
  await stop(child);
  const { code, stdout } = await runClient(['--port', String(port), '--scenario', 'hello']);
  assert.is.not(code, 0);
  assert.match(stdout, /^FAIL hello: /m);
  assert.is(stdout.trim().split('\n').at(-1), '0 passed, 1 failed');
});

test('interop-server exits cleanly on SIGTERM', async () => {
  const { child } = await startInteropServer();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  assert.equal(await exited, { code: 0, signal: null });
});

test.run();
