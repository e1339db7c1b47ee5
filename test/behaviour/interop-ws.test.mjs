// The interop tools against each other over the WebSocket overlay (--ws on
// both: ws://127.0.0.1:PORT/qrpc): the 15 scenarios as over TCP; the server
// reports the transport serving its binding ("transport: ws").
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
    const child = spawn(process.execPath, [join(root, 'scripts', 'interop-server.mjs'), '--port', '0', '--ws'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /^ready \S*:(\d+) \(backend: \w+, transport: ws, path \/qrpc\)/m.exec(out);
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

test('interop-client --ws --scenario all passes every scenario against interop-server --port 0 --ws', async () => {
  const { child, port } = await startInteropServer();
  try {
    assert.ok(port > 0, 'the real port is printed');
    const { code, stdout, stderr } = await runClient(['--port', String(port), '--scenario', 'all', '--ws']);
    const lines = stdout.trim().split('\n');
    assert.is(lines.at(-1), `${ALL.length} passed, 0 failed`, `${stdout}${stderr}`);
    assert.is(code, 0, stdout + stderr);
    assert.equal(lines.slice(0, -1), ALL.map((name) => `ok   ${name}`));
  } finally {
    await stop(child);
  }
});

test.run();
