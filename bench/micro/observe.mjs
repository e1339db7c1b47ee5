#!/usr/bin/env node
// What the metrics hooks cost: pipelined calls over loopback in one process (server and client), for
//   before  — another build of the library (--before DIR: e.g. main's tree, built), hooks unset
//   off     — this build, hooks unset (must match `before` within noise)
//   noop    — this build, every hook set to an empty function (the engine's own cost of reporting)
//   prom    — this build, the prom-client adapter on both sides (what a user pays)
// Each cell runs in its own child process; rounds alternate the cells so machine noise hits all alike.
//
//   node bench/micro/observe.mjs --before /tmp/observe-before [--rounds 5] [--calls 200000] [--window 128]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};

async function child() {
  const dist = arg('--dist');
  const mode = arg('--mode');
  const calls = Number(arg('--calls'));
  const window = Number(arg('--window'));
  const q = await import(path.join(dist, 'index.js'));
  let serverHooks;
  let clientHooks;
  if (mode === 'noop') {
    const noop = () => {};
    const all = { request: noop, reset: noop, push: noop, bytes: noop, connectionOpened: noop, connectionClosed: noop, kick: noop };
    serverHooks = { ...all };
    clientHooks = { ...all };
  } else if (mode === 'prom') {
    const { Registry } = await import('prom-client');
    const { prometheusMetrics } = await import(path.join(dist, 'metrics', 'prometheus.js'));
    const metrics = prometheusMetrics({ registry: new Registry() });
    serverHooks = metrics.server();
    clientHooks = metrics.client();
  }
  const mux = new q.ServeMux();
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, req.payload));
  const server = new q.Server([{ addr: '127.0.0.1:0', handler: mux, ...(serverHooks ? { metrics: serverHooks } : {}) }]);
  await server.listen();
  const conn = await q.connect(`127.0.0.1:${server.address(0).port}`, clientHooks ? { metrics: clientHooks } : {});
  const payload = Buffer.from('0123456789abcdef');
  const run = (n) =>
    new Promise((resolve, reject) => {
      let sent = 0;
      let done = 0;
      const next = () => {
        if (done === n) return resolve();
        if (sent < n) {
          sent++;
          conn.call(0, payload).then(() => {
            done++;
            next();
          }, reject);
        }
      };
      for (let i = 0; i < Math.min(window, n); i++) next();
    });
  await run(Math.min(20_000, calls)); // warm-up: JIT the paths
  const t0 = process.hrtime.bigint();
  await run(calls);
  const ns = Number(process.hrtime.bigint() - t0);
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
  process.stdout.write(JSON.stringify({ callsPerSecond: Math.round(calls / (ns / 1e9)), backend: q.backend().name }));
}

function driver() {
  const before = arg('--before');
  const rounds = Number(arg('--rounds', 5));
  const calls = arg('--calls', '200000');
  const window = arg('--window', '128');
  const cells = [
    ...(before ? [{ name: 'before', dist: path.join(path.resolve(before), 'dist'), mode: 'off' }] : []),
    { name: 'off', dist: path.join(ROOT, 'dist'), mode: 'off' },
    { name: 'noop', dist: path.join(ROOT, 'dist'), mode: 'noop' },
    { name: 'prom', dist: path.join(ROOT, 'dist'), mode: 'prom' },
  ];
  const results = Object.fromEntries(cells.map((c) => [c.name, []]));
  let backendName = '';
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no cell always runs first (or right after the heaviest).
    const order = cells.map((_, i) => cells[(i + r) % cells.length]);
    for (const cell of order) {
      const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--dist', cell.dist, '--mode', cell.mode, '--calls', calls, '--window', window], { encoding: 'utf8', cwd: ROOT });
      if (out.status !== 0) throw new Error(`${cell.name}: ${out.stderr}`);
      const { callsPerSecond, backend } = JSON.parse(out.stdout);
      backendName = backend;
      results[cell.name].push(callsPerSecond);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(results[before ? 'before' : 'off']);
  console.log(`backend ${backendName}; ${calls} pipelined calls (window ${window}) per run, ${rounds} rounds, cells alternated`);
  for (const cell of cells) {
    const m = median(results[cell.name]);
    console.log(`${cell.name.padEnd(7)} median ${String(m).padStart(7)} calls/s  (${((m / base - 1) * 100).toFixed(1).padStart(5)}% vs ${before ? 'before' : 'off'})  runs: ${results[cell.name].join(' ')}`);
  }
}

if (process.argv.includes('--child')) await child();
else driver();
