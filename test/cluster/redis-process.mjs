// A real redis-server started by a test on a free loopback port (no persistence), killed and restarted
// at will. Not finding or not starting redis-server is a failure, never a skip (.ci/run installs it).
import { spawn } from 'node:child_process';
import net from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function launch(port) {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const fail = (why) => reject(new Error(`redis-server did not start on port ${port}: ${why}\n${out}`));
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        child.removeAllListeners('exit');
        resolve(child);
      }
    });
    child.stderr.on('data', (chunk) => (out += chunk));
  });
}

/** Starts redis-server; returns { port, url, kill(signal), restart(), stop() }. */
export async function startRedis() {
  const port = await freePort();
  let child = await launch(port);
  const exited = (c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((resolve) => c.once('exit', resolve)));
  const handle = {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Kills it (SIGKILL by default: a crash, its data gone) and waits for the exit. */
    async kill(signal = 'SIGKILL') {
      child.kill(signal);
      await exited(child);
    },
    /** Starts it again on the same port, empty. */
    async restart() {
      child = await launch(port);
    },
    async stop() {
      await handle.kill('SIGKILL');
    },
  };
  return handle;
}
