// pool.reload() failures: a new worker that cannot load its module fails the
// reload with ERR_RESTART and the old workers serve on; reload() during or
// after stop() is ERR_SHUTDOWN; concurrent calls share one run; a bad
// reloadSignal is ERR_INVALID_ARG. A worker whose listening fd cannot be
// kept: one warning, and reload still replaces every worker (on new sockets).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import cluster from 'node:cluster';
import { backend, connect, serveWorkers } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { listeningInodes } from './restart-lib.mjs';
import { ask, module, parseAnswer, versionFile } from './pool-lib.mjs';

const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((w) => w && w.process.exitCode === null && w.process.signalCode === null);

test('the module fails to load on reload: ERR_RESTART, the old workers serve on', async () => {
  const version = versionFile('v1');
  const pool = await serveWorkers({ workers: 2, module, env: { FIXTURE_WORKER_VERSION_FILE: version.path } });
  try {
    const before = pool.pids;
    const conn = await connect(`127.0.0.1:${pool.ports[0]}`);
    version.set('fail');
    const err = await rejection(pool.reload());
    assert.is(err.code, 'ERR_RESTART');
    assert.match(err.message, 'fixture: this version does not load');
    assert.equal(pool.pids, before);
    assert.equal(liveWorkers().map((w) => w.process.pid).sort(), [...before].sort(), 'the failed new worker is gone');
    // The connection made before serves on, and so do new ones.
    assert.is(parseAnswer((await conn.call(1, '')).payload).version, 'v1');
    assert.is(conn.isClosed, false);
    const fresh = await ask(pool.ports[0]);
    assert.ok(before.includes(fresh.pid) && fresh.version === 'v1');
    await conn.close();
    // Fixed: the next reload goes through.
    version.set('v2');
    await pool.reload();
    assert.is((await ask(pool.ports[0])).version, 'v2');
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
    version.remove();
  }
});

test('concurrent reload() calls share one run', async () => {
  const pool = await serveWorkers({ workers: 2, module });
  try {
    const reloads = [];
    pool.on('reload', (e) => reloads.push(e.id));
    const a = pool.reload();
    const b = pool.reload();
    assert.is(a, b);
    await a;
    assert.equal(reloads, [0, 1]);
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
});

test('reload() during and after stop(): ERR_SHUTDOWN, no worker left', async () => {
  const pool = await serveWorkers({ workers: 2, module });
  const running = pool.reload();
  const stopped = pool.stop({ timeoutMs: 2_000 });
  assert.is((await rejection(pool.reload())).code, 'ERR_SHUTDOWN');
  // The reload under way ends: it either finished its slot before the stop reached it or stops with ERR_SHUTDOWN.
  const outcome = await running.then(() => null, (err) => err.code);
  assert.ok(outcome === null || outcome === 'ERR_SHUTDOWN', String(outcome));
  await stopped;
  assert.is((await rejection(pool.reload())).code, 'ERR_SHUTDOWN');
  assert.equal(pool.pids, [0, 0]);
  assert.equal(liveWorkers(), []);
});

test('no listening fd to keep: warned once, reload still replaces every worker', async () => {
  const warnings = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (obj, msg) => warnings.push({ obj, msg }) };
  const pool = await serveWorkers({ workers: 2, module, logger, env: { FIXTURE_WORKER_HIDE_FDS: '1' } });
  try {
    const port = pool.ports[0];
    const before = pool.pids;
    const sockets = listeningInodes(port).sort();
    await pool.reload();
    assert.ok(pool.pids.every((pid) => pid > 0 && !before.includes(pid)));
    assert.ok(before.every(Boolean));
    assert.ok((await ask(port)).pid > 0);
    if (backend().name === 'native') {
      assert.is(warnings.length, 1, 'one warning for the whole pool');
      assert.match(warnings[0].msg, 'cannot keep a duplicate');
      assert.is(warnings[0].obj.why, 'the worker did not report its listening fd');
      // Today's behaviour: each new worker bound a socket of its own.
      assert.ok(listeningInodes(port).every((inode) => !sockets.includes(inode)));
    } else {
      assert.equal(warnings, [], 'nothing to keep for pure-JS listeners');
      assert.equal(listeningInodes(port).sort(), sockets);
    }
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
});

test('reloadSignal: not a catchable signal name: ERR_INVALID_ARG', async () => {
  for (const reloadSignal of ['SIGNOPE', 'SIGKILL', 'SIGSTOP', 42, 'hup']) {
    const err = await rejection(serveWorkers({ workers: 1, module, reloadSignal }));
    assert.is(err.code, 'ERR_INVALID_ARG', String(reloadSignal));
  }
  assert.equal(liveWorkers(), []);
});

test.run();
