// Tools of the graceful-restart suites: the self-restarting fixture program,
// its JSON event lines, the kernel's view of listening sockets, a call load.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { within } from '../faults/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Starts generation 1 of test/cluster/fixtures/restart-server.mjs (or another
 * fixture program printing JSON event lines with a pid). `next(pred)`
 * resolves with the first event line (past or future) matching pred;
 * `stop()` kills every process seen.
 */
export function startRestartFixture(env = {}, program = 'restart-server.mjs') {
  const child = spawn(process.execPath, [join(here, 'fixtures', program)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const events = [];
  const waiters = [];
  const pids = new Set([child.pid]);
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line);
    events.push(event);
    pids.add(event.pid);
    for (const w of [...waiters]) if (w.pred(event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(event);
    }
  });
  return {
    child,
    events,
    next(pred, what = 'fixture event', ms = 20_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return within(new Promise((resolve) => waiters.push({ pred, resolve })), ms, what);
    },
    stop() {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    },
  };
}

/** The exit code of a child process (waits for its exit). */
export function exitOf(child) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}. */
export function listeningInodes(port) {
  const inodes = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      if (parseInt(f[1].split(':')[1], 16) === port) inodes.push(f[9]);
    }
  }
  return inodes;
}

/** The shutdown signals a caller may retry on: its request was not served (reset or closed by the drain). */
export function isShutdownSignal(err) {
  if (err?.code === 'ERR_STREAM_RESET' && err.reason === 3) return true;
  return err?.code === 'ERR_CONN_CLOSED' && err.cause?.code === 'ERR_SHUTDOWN';
}

/**
 * A call load against `addr` until stop(): `clients` reconnecting clients
 * calling in a loop (a call that got a shutdown signal is retried, as a
 * caller would) and `fresh` loops of fresh connections (connect, call, close).
 * Every failure that is not a shutdown signal is kept in `failures`, every
 * refused connect in `refused`; `answeredBy` counts answers per server pid.
 */
export function startLoad(connect, addr, { clients = 4, cmd = 1, fresh: freshLoops = 1 } = {}) {
  const stats = { answeredBy: new Map(), retried: 0, refused: [], failures: [], fresh: 0 };
  let stopping = false;
  const answered = (frame) => {
    const pid = frame.payload.toString();
    stats.answeredBy.set(pid, (stats.answeredBy.get(pid) ?? 0) + 1);
  };
  const callUntilAnswered = async (conn, payload) => {
    for (;;) {
      try {
        return answered(await conn.call(cmd, payload, { timeoutMs: 10_000 }));
      } catch (err) {
        if (!isShutdownSignal(err)) return void stats.failures.push(err);
        stats.retried++;
      }
    }
  };
  const steady = async (i) => {
    const conn = await connect(addr, { reconnect: { backoffMs: 20 }, whileDisconnected: 'wait' });
    while (!stopping) await callUntilAnswered(conn, `c${i}`);
    await conn.close();
  };
  const fresh = async () => {
    while (!stopping) {
      let conn;
      try {
        conn = await connect(addr, { connectTimeoutMs: 5_000 });
      } catch (err) {
        stats.refused.push(err);
        continue;
      }
      try {
        answered(await conn.call(cmd, 'fresh', { timeoutMs: 10_000 }));
        stats.fresh++;
      } catch (err) {
        // A fresh connection that met the drain is retried on a new one, as a caller would.
        if (!isShutdownSignal(err)) stats.failures.push(err);
        else stats.retried++;
      }
      await conn.close();
    }
  };
  const running = Promise.all([...Array.from({ length: clients }, (_, i) => steady(i)), ...Array.from({ length: freshLoops }, () => fresh())]);
  return {
    stats,
    async stop() {
      stopping = true;
      await running;
      return stats;
    },
  };
}
