// Shared tools of the fault suite: a fixture server in a child process
// (memory measured there, after global.gc()), raw attacker sockets, bounded
// waits. Nothing here sleeps to assert an absence: waits are for events.
import { fork } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, requestIdOf } from '../../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const MiB = 1024 * 1024;

/** Rejects after `ms` with `what` in the message (clears its timer when `promise` settles). */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      timer.unref?.();
    }),
  ]);
}

export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts test/faults/fixtures/server.mjs with `bindingOptions`; resolves once it listens. */
export async function startFixture(bindingOptions = {}) {
  const child = fork(join(here, 'fixtures', 'server.mjs'), [JSON.stringify(bindingOptions)], {
    execArgv: ['--expose-gc'],
    env: process.env, // QRPC_BACKEND passes through
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const closes = [];
  const aborts = [];
  const fatals = [];
  const replies = new Map();
  const waiters = new Set();
  let seq = 0;
  let exited = false;
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`fixture exited before ready (${code ?? signal})`)));
    child.on('message', (msg) => {
      if (msg.op === 'ready') resolve(msg);
      else if (msg.op === 'close') closes.push(msg.code);
      else if (msg.op === 'abort') aborts.push(msg.cmd);
      else if (msg.op === 'fatal') fatals.push(msg);
      else if (replies.has(msg.seq)) {
        replies.get(msg.seq)(msg);
        replies.delete(msg.seq);
      }
      wake();
    });
  });
  const exitPromise = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const r of replies.values()) r(null);
      replies.clear();
      wake();
      resolve({ code, signal });
    }),
  );
  const { port, gc } = await within(ready, 10_000, 'fixture ready');
  if (!gc) throw new Error('fixture has no global.gc (--expose-gc missing)');
  const ask = (op) =>
    within(
      new Promise((resolve, reject) => {
        if (exited) return reject(new Error('fixture exited'));
        const s = ++seq;
        replies.set(s, (m) => (m ? resolve(m) : reject(new Error('fixture exited'))));
        child.send({ op, seq: s });
      }),
      20_000,
      `fixture ${op}`,
    );
  return {
    child,
    port,
    closes,
    aborts,
    fatals,
    /** { usage: { rss, heapUsed, external, arrayBuffers }, stats } after global.gc() in the server process. */
    mem: () => ask('mem'),
    stats: async () => (await ask('stats')).stats,
    /** The detach handler's record: { held, corrupted, arrivedBad, transferred, transferErrors }. */
    held: async () => (await ask('held')).held,
    /** Resolves once `pred()` holds (re-checked on every fixture message), or rejects after `ms`. */
    until(pred, ms, what) {
      return within(
        new Promise((resolve, reject) => {
          const check = () => {
            if (pred()) {
              waiters.delete(check);
              resolve();
            } else if (exited) {
              waiters.delete(check);
              reject(new Error(`fixture exited while waiting for ${what}`));
            }
          };
          waiters.add(check);
          check();
        }).finally(() => {}),
        ms,
        what,
      ).catch((err) => {
        waiters.clear();
        throw err;
      });
    },
    kill(signal = 'SIGKILL') {
      if (!exited) child.kill(signal);
      return exitPromise;
    },
    async stop() {
      if (exited) return exitPromise;
      child.send({ op: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      const r = await exitPromise;
      clearTimeout(timer);
      return r;
    },
  };
}

/** Opens `n` raw sockets to port (in parallel batches); each records 'close'. */
export async function openSockets(port, n, batch = 100) {
  const socks = [];
  for (let i = 0; i < n; i += batch) {
    const part = await Promise.all(
      Array.from(
        { length: Math.min(batch, n - i) },
        () =>
          new Promise((resolve, reject) => {
            const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
            s.once('error', reject);
          }),
      ),
    );
    for (const s of part) {
      s.closedFlag = false;
      s.removeAllListeners('error');
      s.on('error', () => {});
      s.on('data', () => {});
      s.on('close', () => (s.closedFlag = true));
      socks.push(s);
    }
  }
  return socks;
}

/** Resolves once every socket in `socks` has seen 'close', or rejects after `ms` saying how many did. */
export function allClosed(socks, ms, what = 'sockets closed') {
  return within(Promise.all(socks.map((s) => (s.closedFlag ? null : new Promise((r) => s.once('close', r))))), ms, `${what} (${socks.filter((s) => s.closedFlag).length}/${socks.length} closed)`);
}

export function destroyAll(socks) {
  for (const s of socks) s.destroy();
}

/** A 16-byte header announcing `length` (the field after itself). */
export function header(length, id = 3, flags = 0, cmd = 0) {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(length >>> 0, 0);
  b.writeBigUInt64BE(BigInt(id), 4);
  b.writeUInt32BE(((flags << 24) | cmd) >>> 0, 12);
  return b;
}

export const growth = (before, after) => ({
  rss: after.usage.rss - before.usage.rss,
  arrayBuffers: after.usage.arrayBuffers - before.usage.arrayBuffers,
  external: after.usage.external - before.usage.external,
  heapUsed: after.usage.heapUsed - before.usage.heapUsed,
});

export const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
export const fmtGrowth = (g) => `rss ${mib(g.rss)}, arrayBuffers ${mib(g.arrayBuffers)}, external ${mib(g.external)}, heapUsed ${mib(g.heapUsed)}`;

/** Records every unhandled rejection / uncaught exception of this process. */
export function trapFatal() {
  const seen = [];
  const onRej = (err) => seen.push({ kind: 'unhandledRejection', err });
  const onExc = (err) => seen.push({ kind: 'uncaughtException', err });
  process.on('unhandledRejection', onRej);
  process.on('uncaughtException', onExc);
  return {
    seen,
    dispose() {
      process.off('unhandledRejection', onRej);
      process.off('uncaughtException', onExc);
    },
    describe: () => seen.map((s) => `${s.kind}: ${s.err?.code ?? ''} ${s.err?.stack ?? s.err}`).join('\n'),
  };
}

/** Prints a measured figure so the run's output records it (the report's "before" numbers). */
export function report(line) {
  console.log(`  [measure] ${line}`);
}

/**
 * Samples the fixture's memory until its `handled` counter stops moving
 * (two equal samples in a row) or `maxSamples` is reached; returns the peak
 * growth over `before` and the last stats.
 */
export async function peakWhileSettling(fx, before, { maxSamples = 30, gapMs = 150 } = {}) {
  const peak = { rss: 0, arrayBuffers: 0, external: 0, heapUsed: 0 };
  let last = -1;
  let stats = null;
  for (let i = 0; i < maxSamples; i++) {
    await delay(gapMs);
    const m = await fx.mem();
    const g = growth(before, m);
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], g[k]);
    stats = m.stats;
    if (m.stats.handled === last) break;
    last = m.stats.handled;
  }
  return { peak, stats };
}

/** The detach handler's payloads (fixture cmd 6): 4-byte index, then a pattern of the index. */
export function detachPattern(i, len) {
  const b = Buffer.alloc(len);
  b.writeUInt32BE(i, 0);
  for (let j = 4; j < len; j++) b[j] = (i * 31 + j * 7) & 0xff;
  return b;
}
export const detachLen = (i) => 16 + ((i * 37) % 200);

/** Polls `pred` every 5 ms; resolves true once it holds, or rejects after `ms`. */
export async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`${typeof what === 'function' ? what() : what}: not within ${ms} ms`);
    await delay(5);
  }
  return true;
}

/** The slow-reader requests: `n` frames to the 4 KiB echo (cmd 1), ids 2i+1, payload = index and 0xc0ffee. */
export function echoRequests(n, flags) {
  const frames = [];
  for (let i = 0; i < n; i++) {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(i, 0);
    p.writeUInt32BE(0xc0ffee, 4);
    frames.push(encodeFrame(BigInt(2 * i + 1), flags, 1, p));
  }
  return frames;
}

/**
 * Checks and counts the echo's answers to echoRequests(n): `frame` takes each
 * parsed answer (a FrameParser callback); `state` has count, bad, dup and
 * closed; all() waits until every answer is accounted for or the peer closed.
 */
export function echoAnswers(n) {
  const seen = new Uint8Array(n);
  const state = { count: 0, dup: 0, bad: 0, closed: false };
  const waiters = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  return {
    state,
    frame(hi, lo, flags, cmd, payload) {
      const id = requestIdOf(hi, lo);
      const i = Number((id - 1n) / 2n);
      const ok = cmd === 1 && flags === 0 && payload.length === 4096 && id % 2n === 1n && i < n && payload.readUInt32BE(0) === i && payload.readUInt32BE(4) === 0xc0ffee && payload[4095] === 0x61;
      if (!ok) state.bad++;
      else if (seen[i]) state.dup++;
      else {
        seen[i] = 1;
        state.count++;
      }
    },
    /** Call after each batch of frames. */
    wake,
    close() {
      state.closed = true;
      wake();
    },
    async all() {
      while (state.count + state.bad + state.dup < n && !state.closed) await new Promise((r) => waiters.push(r));
    },
  };
}
