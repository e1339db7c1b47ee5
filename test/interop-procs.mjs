// The interop tools as child processes, shared by the interop suites (plain TCP, TLS, WebSocket).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every scenario of scripts/interop-client.mjs, in order. */
export const ALL = ['hello', 'hello-nb', 'opaque-cmd', 'push', 'client-push', 'bidi', 'stream', 'cancel', 'panic', 'noreply', 'order', 'codec', 'badframe', 'hugeframe', 'big', 'svc', 'pipe'];

/** Starts the interop server on port 0 with `args`; resolves with { child, port, line } once it printed its "ready HOST:PORT ..." line. */
export function startInteropServer(args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'interop-server.mjs'), '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /^ready \S*:(\d+).*$/m.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        resolve({ child, port: Number(m[1]), line: m[0] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`interop server exited (${code}) before ready:\n${out}`)));
  });
}

/** Runs the interop client to its end; resolves with { code, stdout, stderr }. */
export function runClient(args) {
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

export function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
