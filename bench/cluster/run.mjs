// Cluster benchmark (npm run bench:cluster): two nodes over one real redis-server started here, clients in
// separate processes (the open-file limit is per process), qrpc's Redis broker against socket.io with
// @socket.io/redis-adapter. Scenarios: a push by id issued on node A to a client held by node B (p50/p99,
// with a local push and a Redis round trip measured alongside), pushAll on A to N clients spread over A and
// B (time until the last client has it), and a push to one N-member room spread the same way.
// Every latency sample (cross-node, local, Redis PING) starts after the same idle gap with every process
// quiet: on this VM a process woken from idle costs far more than one kept busy, so samples taken with
// different gaps (qrpc's node answers after the ack, socket.io's at once) would not compare.
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startRedis } from '../../test/cluster/redis-process.mjs';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    'procs-per-node': { type: 'string', default: '2' },
    samples: { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '15' },
    gap: { type: 'string', default: '2' },
    'warmup-samples': { type: 'string', default: '100' },
    only: { type: 'string', default: 'qrpc,socket.io' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('usage: node bench/cluster/run.mjs [--clients 10000] [--procs-per-node 2] [--samples 1000] [--warmup-samples 100] [--gap 2 (ms idle before each latency sample)] [--repeat 15] [--only qrpc,socket.io]');
  process.exit(0);
}
const N = Number(opts.clients);
const PROCS = Number(opts['procs-per-node']);
const SAMPLES = Number(opts.samples);
const REPEAT = Number(opts.repeat);
const WARMUP = 2;
const GAP_MS = Number(opts.gap);
const WARMUP_SAMPLES = Number(opts['warmup-samples']);
const idle = () => new Promise((resolve) => setTimeout(resolve, GAP_MS));
const here = new URL('.', import.meta.url).pathname;
const log = (...a) => console.error('[bench:cluster]', ...a);

function child(script) {
  const proc = fork(here + script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let ref = 0;
  const pending = new Map();
  proc.on('message', (m) => {
    const p = pending.get(m.ref);
    pending.delete(m.ref);
    if (m.ok) p.resolve(m);
    else p.reject(new Error(`${script}: ${m.error}`));
  });
  proc.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited (${code})`));
  });
  return {
    call: (op, msg = {}) =>
      new Promise((resolve, reject) => {
        const r = ++ref;
        pending.set(r, { resolve, reject });
        proc.send({ op, ref: r, ...msg });
      }),
    kill: () => proc.kill('SIGKILL'),
  };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (ns) => (ns / 1e6).toFixed(3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `sample()` → ns, taken SAMPLES times after WARMUP_SAMPLES unmeasured ones, each after the idle gap. */
async function sampled(sample) {
  const samples = [];
  for (let s = -WARMUP_SAMPLES; s < SAMPLES; s++) {
    await idle();
    const ns = await sample(s + WARMUP_SAMPLES);
    if (s >= 0) samples.push(ns);
  }
  samples.sort((a, b) => a - b);
  return { p50: pct(samples, 50), p99: pct(samples, 99) };
}

/** Issued on `node` until the latency client has it ("received": its push handler ran, either contender). */
function latency(nodeOp, node, lat, id, seq0) {
  return sampled(async (s) => {
    const seq = seq0 + s;
    const [issued, arrived] = await Promise.all([node.call(nodeOp, { id, seq }), lat.call('arrived', { seq, expected: 1 })]);
    return Number(BigInt(arrived.t) - BigInt(issued.t));
  });
}

async function fanOut(nodeOp, node, procs, seq0, extra) {
  const times = [];
  // Two unmeasured rounds first: right after 10,000 logins every process is still busy (GC, JIT).
  for (let r = -WARMUP; r < REPEAT; r++) {
    const seq = seq0 + WARMUP + r;
    const [issued, ...arrivals] = await Promise.all([node.call(nodeOp, { seq, ...extra }), ...procs.map((p) => p.proc.call('arrived', { seq, expected: p.count }))]);
    const last = arrivals.reduce((m, a) => (BigInt(a.t) > m ? BigInt(a.t) : m), 0n);
    if (r >= 0) times.push(Number(last - BigInt(issued.t)));
  }
  return { min: Math.min(...times), median: median(times) };
}

async function runContender(contender, redis) {
  const script = contender === 'qrpc' ? 'node-qrpc.mjs' : 'node-socketio.mjs';
  const a = child(script);
  const b = child(script);
  const procs = [];
  const everyone = [a, b];
  try {
    const [{ port: portA }, { port: portB }] = await Promise.all([a.call('start', { redisUrl: redis.url }), b.call('start', { redisUrl: redis.url })]);
    const lat = child('clients.mjs');
    everyone.push(lat);
    const { ids } = await lat.call('open', { contender, port: portB, count: 1, idPrefix: 'lat-', room: null });
    const out = {};
    log(contender, 'cross-node push by id');
    out.crossNode = await latency('pushId', a, lat, ids[0], 1_000_000);
    if (contender === 'qrpc') {
      log(contender, 'local push by id');
      out.local = await latency('localPushId', b, lat, ids[0], 2_000_000);
      out.redisRtt = (await sampled(async () => (await a.call('redisPing', { redisUrl: redis.url })).ns)).p50;
    }
    log(contender, `opening ${N} clients in ${PROCS * 2} processes`);
    const perProc = Math.ceil(N / (PROCS * 2));
    for (let i = 0; i < PROCS * 2; i++) {
      const proc = child('clients.mjs');
      everyone.push(proc);
      const port = i % 2 === 0 ? portA : portB;
      const count = Math.min(perProc, N - i * perProc);
      await proc.call('open', { contender, port, count, idPrefix: `c${i}-`, room: 'big' });
      procs.push({ proc, count });
    }
    log(contender, 'pushAll');
    out.pushAll = await fanOut('pushAll', a, [...procs, { proc: lat, count: 1 }], 3_000_000, {});
    log(contender, 'room push');
    out.room = await fanOut('pushRoom', a, procs, 4_000_000, { room: 'big' });
    await Promise.all([a.call('stop'), b.call('stop')]).catch(() => {});
    return out;
  } finally {
    for (const c of everyone) c.kill();
  }
}

const redis = await startRedis();
const results = {};
try {
  for (const contender of opts.only.split(',')) results[contender] = await runContender(contender, redis);
} finally {
  await redis.stop();
}

const q = results.qrpc;
const s = results['socket.io'];
const row = (name, qv, sv) => `${name.padEnd(44)} ${(qv === undefined ? '-' : ms(qv)).padStart(10)} ${(sv === undefined ? '-' : ms(sv)).padStart(10)} ${qv !== undefined && sv !== undefined ? (sv / qv).toFixed(1) + 'x' : ''}`;
console.log(`cluster benchmark: 2 nodes, ${N} clients in ${PROCS * 2} processes, ${SAMPLES} latency samples (after ${WARMUP_SAMPLES} unmeasured, each after ${GAP_MS} ms idle), fan-out min and median of ${REPEAT} rounds after ${WARMUP} warm-up rounds; ms`);
console.log(`${'scenario'.padEnd(44)} ${'qrpc'.padStart(10)} ${'socket.io'.padStart(10)} socket.io/qrpc`);
console.log(row('cross-node push by id p50', q?.crossNode.p50, s?.crossNode.p50));
console.log(row('cross-node push by id p99', q?.crossNode.p99, s?.crossNode.p99));
console.log(row(`pushAll, last of ${N} clients, min`, q?.pushAll.min, s?.pushAll.min));
console.log(row(`pushAll, last of ${N} clients, median`, q?.pushAll.median, s?.pushAll.median));
console.log(row(`room push, last of ${N} members, min`, q?.room.min, s?.room.min));
console.log(row(`room push, last of ${N} members, median`, q?.room.median, s?.room.median));
if (q?.local) {
  console.log(row('qrpc local push by id p50 (same node)', q.local.p50));
  console.log(row('Redis PING round trip p50 (same idle gap)', q.redisRtt));
  const bound = 2 * (q.local.p50 + q.redisRtt);
  console.log(`cross-node p50 ${ms(q.crossNode.p50)} ms vs 2 x (local p50 + Redis RTT) = ${ms(bound)} ms: ${q.crossNode.p50 <= bound ? 'within' : 'NOT within'}`);
}
