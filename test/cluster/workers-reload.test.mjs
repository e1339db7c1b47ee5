// pool.reload() under load: slot by slot a new worker (the module imported
// again) starts on the slot's listening socket, then the old one drains.
// While it runs, reconnecting clients and fresh connections keep calling;
// each new worker is held before it listens until a few hundred more fresh
// connects and calls went through, so the load spans the whole reload.
// Zero refused connections, zero calls failed without an answer (a call the
// drain answered with a shutdown reset, or whose connection closed with the
// shutdown notice, is retried), every slot's pid changed, the new workers
// run the new version, and the listening sockets are the same ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, connect, Flags, serveWorkers } from '../../dist/index.js';
import { RawPeer, until } from '../helpers.mjs';
import { listeningInodes, startLoad } from './restart-lib.mjs';
import { ask, gatekeeper, module, parseAnswer, versionFile } from './pool-lib.mjs';

const FRESH_PER_SLOT = 150;

/** Answers counted per version (the load keys them by the whole "slot:pid:transport:version" payload). */
function byVersion(stats) {
  const counts = new Map();
  for (const [payload, n] of stats.answeredBy) {
    const { version } = parseAnswer(payload);
    counts.set(version, (counts.get(version) ?? 0) + n);
  }
  return counts;
}

async function reloadUnderLoad(workers) {
  const version = versionFile('v1');
  const gate = gatekeeper();
  const pool = await serveWorkers({ workers, module, env: { FIXTURE_WORKER_VERSION_FILE: version.path, FIXTURE_WORKER_GATE: '1' } });
  let load = null;
  try {
    const port = pool.ports[0];
    const before = pool.pids;
    const socketsBefore = listeningInodes(port).sort();
    assert.is(socketsBefore.length, backend().name === 'native' ? workers : 1, 'native: one SO_REUSEPORT socket per worker; fallback: the primary\'s shared one');
    load = startLoad(connect, `127.0.0.1:${port}`, { clients: 4, fresh: 3 });
    await until(() => (byVersion(load.stats).get('v1') ?? 0) >= 200, 'calls answered by v1');

    // Each new worker listens only after FRESH_PER_SLOT more fresh connects and calls.
    let freshWhileHeld = 0;
    gate.policy = async () => {
      const from = load.stats.fresh;
      await until(() => load.stats.fresh - from >= FRESH_PER_SLOT, 'fresh calls while a new worker is held');
      freshWhileHeld += load.stats.fresh - from;
    };
    const reloads = [];
    pool.on('reload', (e) => reloads.push(e));
    version.set('v2');
    const freshBefore = load.stats.fresh;
    await pool.reload();
    const freshDuring = load.stats.fresh - freshBefore;
    await until(() => (byVersion(load.stats).get('v2') ?? 0) >= 200, 'calls answered by v2');
    const stats = await load.stop();
    load = null;

    assert.equal(stats.refused.map(String), [], 'refused connections');
    assert.equal(stats.failures.map((e) => `${e.code}: ${e.message}`), [], 'calls failed without an answer');
    assert.ok(freshWhileHeld >= workers * FRESH_PER_SLOT, `${freshWhileHeld} fresh connects + calls while new workers were held`);
    console.log(`# reload: ${freshDuring} fresh connects + calls during reload(), ${stats.retried} retried after a shutdown signal`);

    const after = pool.pids;
    for (let id = 0; id < workers; id++) assert.ok(!before.includes(after[id]) && after[id] > 0, `slot ${id}: pid ${before[id]} -> ${after[id]}`);
    assert.equal(reloads.map((e) => e.id), before.map((_, id) => id), "'reload' per slot, in order");
    assert.equal(reloads.map((e) => e.previousPid), before);
    assert.equal(reloads.map((e) => e.pid), after);
    // The answers of the new workers carry the new version: the module was imported again.
    const newAnswers = [...stats.answeredBy.keys()].map(parseAnswer).filter((a) => after.includes(a.pid));
    assert.ok(newAnswers.length > 0 && newAnswers.every((a) => a.version === 'v2'), 'new workers answer v2');
    assert.ok([...stats.answeredBy.keys()].map(parseAnswer).every((a) => a.version === (before.includes(a.pid) ? 'v1' : 'v2')));
    // The same kernel sockets (accept queues) as before: native: kept by the primary and inherited; fallback: node:cluster's.
    assert.equal(listeningInodes(port).sort(), socketsBefore);
  } finally {
    if (load) await load.stop();
    gate.close();
    await pool.stop({ timeoutMs: 2_000 });
    version.remove();
  }
}

test('reload() under load, 2 workers: zero refused, zero unanswered, every slot replaced, the module loaded again', () => reloadUnderLoad(2));
// One worker: no other worker holds the socket while the only one is replaced (node:cluster's handle on
// the fallback stays open because the new worker listens before the old one closes).
test('reload() under load, 1 worker: the same, and the same socket throughout', () => reloadUnderLoad(1));

// Native only: a throttled native listener leaves new connections in the kernel's queue (the fallback's
// throttle holds accepted sockets in JS); without the kept socket, the old worker's close would reset them.
const nativeOnly = backend().name === 'native' ? test : (name) => console.log(`# native only: ${name}`);
nativeOnly("reload(): connections waiting in the old worker's accept queue are served by the new one", async () => {
  const pool = await serveWorkers({ workers: 1, module });
  try {
    const port = pool.ports[0];
    const [old] = pool.pids;
    const control = await connect(`127.0.0.1:${port}`);
    assert.is((await control.call(4, '')).payload.toString(), 'throttled');
    const peers = await Promise.all(Array.from({ length: 20 }, () => RawPeer.connect(port)));
    peers.forEach((p, i) => p.sendFrame(2 * i + 3, Flags.NB, 1));
    // The throttled control connection reads nothing more: the old worker's drain ends at its deadline.
    await pool.reload({ timeoutMs: 300 });
    const got = await Promise.all(peers.map(async (p) => parseAnswer((await p.waitFrames(1))[0].payload).pid));
    assert.equal(got, Array(20).fill(pool.pids[0]));
    assert.is.not(pool.pids[0], old);
    for (const p of peers) p.destroy();
    await control.close();
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
});

test('a worker module on the CommonJS build: its listening sockets are kept and served again after reload', async () => {
  const warnings = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (obj, msg) => warnings.push(msg) };
  const pool = await serveWorkers({ workers: 2, module: new URL('./fixtures/worker-server-cjs.cjs', import.meta.url), logger });
  try {
    const port = pool.ports[0];
    const sockets = listeningInodes(port).sort();
    await pool.reload();
    assert.equal(warnings, []);
    assert.equal(listeningInodes(port).sort(), sockets);
    assert.is((await ask(port)).version, 'cjs');
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
});

test('stop() after reload: nothing left listening, every worker gone', async () => {
  const pool = await serveWorkers({ workers: 2, module });
  const port = pool.ports[0];
  try {
    await pool.reload();
    assert.ok(listeningInodes(port).length > 0);
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
  assert.equal(pool.pids, [0, 0]);
  // The primary's kept duplicates are closed too: the port is free.
  assert.equal(listeningInodes(port), []);
});

test.run();
