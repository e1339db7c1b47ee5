// The interop tools against each other, as separate processes: the interop
// server (handler table of the vectors README) on port 0, and the interop
// client running every scenario against it. The backend under test is
// inherited through QRPC_BACKEND.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ALL = ['hello', 'hello-nb', 'opaque-cmd', 'push', 'client-push', 'bidi', 'stream', 'cancel', 'panic', 'noreply', 'order', 'codec', 'badframe', 'hugeframe', 'big'];

/** Starts the interop server on port 0; resolves with { child, port } once it printed "ready HOST:PORT". */
function startInteropServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'interop-server.mjs'), '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /^ready \S*:(\d+)/m.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`interop server exited (${code}) before ready:\n${out}`)));
  });
}

function runClient(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'interop-client.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

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
