#!/usr/bin/env node
// Workers on one port: the gateway scenario (N connections, 1 request in
// flight each) against serveWorkers() with 1 and with 2 workers, driven by
// the C client (bench/contenders/c-limit/client.c) so the client's CPU does
// not hide the server's. Reports requests/s and the workers' CPU per request
// (utime + stime of every worker process over the measured window, from
// /proc). Cells alternate (1, 2, 1, 2, ...) so drifting machine load hits both.
//
//   node bench/workers.mjs [--conns 2000] [--seconds 5] [--runs 3] [--workers 1,2] [--backend native|fallback]
//                          [--mode processes|threads] [--scheduling os|round-robin]
// --mode threads (native only): worker threads of this process instead of
// serveWorkers' processes, to compare the two; CPU is then this process's.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { median } from './lib/common.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    conns: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    workers: { type: 'string', default: '1,2' },
    backend: { type: 'string', default: 'native' },
    mode: { type: 'string', default: 'processes' },
    scheduling: { type: 'string', default: 'os' },
  },
});
process.env.QRPC_BACKEND = args.backend;
const { serveWorkers, backend } = await import('../dist/index.js');
if (backend().name !== args.backend) throw new Error(`wanted backend ${args.backend}, got ${backend().name}`);

function cClient() {
  const out = path.join(BENCH, '.build', 'c-limit-client');
  const src = path.join(BENCH, 'contenders', 'c-limit', 'client.c');
  mkdirSync(path.dirname(out), { recursive: true });
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) execFileSync('cc', ['-O2', '-o', out, src]);
  return out;
}

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
/** utime + stime of a process in µs (fields 14 and 15 of /proc/PID/stat, after the command name). */
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_S) * 1e6;
}

/** n native servers in worker threads of this process, one port (SO_REUSEPORT): the shape of a WorkerPool. */
async function threadPool(n) {
  const start = (port) => {
    const t = new Worker(new URL('./workers/thread.mjs', import.meta.url), { workerData: { port } });
    return new Promise((resolve, reject) => {
      t.once('message', (m) => resolve({ t, port: m.port }));
      t.once('error', reject);
    });
  };
  const first = await start(0);
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => start(first.port)));
  const threads = [first, ...rest].map((x) => x.t);
  return {
    ports: [first.port],
    pids: [process.pid],
    stop: () => Promise.all(threads.map((t) => new Promise((r) => { t.once('exit', r); t.postMessage('stop'); }))),
  };
}

async function gateway(client, workers, conns, ms) {
  const pool = args.mode === 'threads' ? await threadPool(workers) : await serveWorkers({ workers, module: new URL('./workers/worker.mjs', import.meta.url), scheduling: args.scheduling });
  // The connect phase is measured too: on the fallback node:cluster's primary accepts every connection and hands it to a worker.
  const primary0 = cpuUs(process.pid);
  const dialStart = performance.now();
  const c = spawn(client, [String(pool.ports[0]), 'gateway', String(conns), '1', '0', '0', String(ms), '120'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: c.stdout })[Symbol.asyncIterator]();
    const next = async (prefix) => {
      for (;;) {
        const { value, done } = await lines.next();
        if (done) throw new Error(`the C client ended before "${prefix}"`);
        if (value.startsWith(prefix)) return value.slice(prefix.length).trim();
      }
    };
    await next('connected');
    const connectMs = performance.now() - dialStart;
    const primaryConnectUs = cpuUs(process.pid) - primary0;
    const cpu0 = pool.pids.reduce((a, pid) => a + cpuUs(pid), 0);
    const primaryWindow0 = cpuUs(process.pid);
    c.stdin.write('go\n');
    const result = JSON.parse(await next('result'));
    const cpu = pool.pids.reduce((a, pid) => a + cpuUs(pid), 0) - cpu0;
    const primaryWindowUs = cpuUs(process.pid) - primaryWindow0;
    if (result.errors) throw new Error(`${result.errors} wrong answers`);
    return { reqPerS: result.value, cpuUsPerReq: cpu / result.count, requests: result.count, connectMs, primaryConnectUs, primaryWindowUs };
  } finally {
    c.stdin.end();
    c.kill();
    await pool.stop({ timeoutMs: 1000 });
  }
}

const client = cClient();
const counts = args.workers.split(',').map(Number);
const conns = Number(args.conns);
const ms = Number(args.seconds) * 1000;
const cells = new Map(counts.map((n) => [n, []]));
for (let run = 0; run < Number(args.runs); run++) {
  for (const n of counts) {
    const r = await gateway(client, n, conns, ms);
    cells.get(n).push(r);
    process.stderr.write(
      `run ${run + 1}, ${n} worker(s): ${Math.round(r.reqPerS)} req/s, ${r.cpuUsPerReq.toFixed(2)} µs CPU/req; ` +
        `connecting ${conns}: ${Math.round(r.connectMs)} ms, primary CPU ${Math.round(r.primaryConnectUs / 1000)} ms; primary CPU in the window ${Math.round(r.primaryWindowUs / 1000)} ms\n`,
    );
  }
}
console.log(`gateway, ${conns} conns x 1 in flight, ${ms / 1000} s, C client, backend ${args.backend}, worker ${args.mode}, scheduling ${args.scheduling}, median of ${args.runs}:`);
for (const [n, rs] of cells) {
  const req = rs.map((r) => r.reqPerS);
  console.log(`  ${n} worker(s): ${Math.round(median(req)).toLocaleString('en-US')} req/s (min ${Math.round(Math.min(...req))}, max ${Math.round(Math.max(...req))}), server CPU ${median(rs.map((r) => r.cpuUsPerReq)).toFixed(2)} µs/req`);
}
