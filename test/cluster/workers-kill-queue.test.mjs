// A worker killed with SIGKILL: the primary keeps its native listening
// socket (a pidfd_getfd duplicate), so the connections waiting in that
// socket's accept queue are served by the slot's replacement, which inherits
// the very same socket, and with port 0 the port stays bound while no worker
// runs. Pure-JS listeners are node:cluster's shared handle in the primary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { backend, connect, Flags, serveWorkers } from '../../dist/index.js';
import { RawPeer, until } from '../helpers.mjs';
import { listeningInodes, startLoad } from './restart-lib.mjs';
import { module, parseAnswer, versionFile } from './pool-lib.mjs';

const WAITING = 40;
const nativeOnly = backend().name === 'native' ? test : (name) => console.log(`# native only (a throttled native listener leaves connections in the kernel's queue): ${name}`);

/** A client served by slot `slot` (others are closed). */
async function clientOfSlot(port, slot) {
  for (;;) {
    const conn = await connect(`127.0.0.1:${port}`);
    if (parseAnswer((await conn.call(1, '')).payload).slot === slot) return conn;
    await conn.close();
  }
}

/** `n` raw connections with one call each (the kernel completes the handshake whether or not a worker accepts). */
async function queuedCalls(port, n) {
  const peers = await Promise.all(Array.from({ length: n }, () => RawPeer.connect(port)));
  peers.forEach((p, i) => p.sendFrame(2 * i + 3, Flags.NB, 1));
  return peers;
}

/** Each peer's answer (rejects when a peer is closed or reset first). */
function answers(peers) {
  return Promise.all(peers.map(async (p, i) => {
    const [frame] = await p.waitFrames(1);
    assert.is(frame.requestId, BigInt(2 * i + 3));
    return parseAnswer(frame.payload);
  }));
}

nativeOnly('SIGKILL of a worker with connections in its accept queue: its replacement serves every one', async () => {
  const pool = await serveWorkers({ workers: 2, module, restartDelayMs: 50 });
  try {
    const port = pool.ports[0];
    const [victimPid, otherPid] = pool.pids;
    const sockets = listeningInodes(port).sort();
    const control = await clientOfSlot(port, 0);
    assert.is((await control.call(4, '')).payload.toString(), 'throttled');
    // Those hashed to slot 1 are answered at once; slot 0's wait in its queue (its worker no longer accepts).
    const peers = await queuedCalls(port, WAITING);
    const restarted = once(pool, 'restart');
    process.kill(victimPid, 'SIGKILL');
    const [{ pid: replacement }] = await restarted;
    const got = await answers(peers);
    assert.ok(got.every((a) => a.pid === replacement || a.pid === otherPid), 'answered by the replacement or the other worker');
    const byReplacement = got.filter((a) => a.pid === replacement).length;
    // 40 connections all hashed to slot 1 has odds 2^-40.
    assert.ok(byReplacement > 0, `${byReplacement} of ${WAITING} waited in the killed worker's queue and were served by its replacement`);
    assert.ok(peers.every((p) => !p.closed), 'no waiting connection was reset');
    assert.equal(listeningInodes(port).sort(), sockets, 'the replacement serves the same socket');
    for (const p of peers) p.destroy();
    await control.close();
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
});

nativeOnly('port 0, the only worker killed: the port stays bound and connections made meanwhile are served', async () => {
  const pool = await serveWorkers({ workers: 1, module, restartDelayMs: 200 });
  try {
    const port = pool.ports[0];
    const sockets = listeningInodes(port);
    const exited = once(pool, 'exit');
    const restarted = once(pool, 'restart');
    process.kill(pool.pids[0], 'SIGKILL');
    await exited;
    // No worker runs now: the primary's duplicate still listens.
    assert.equal(listeningInodes(port), sockets);
    const peers = await queuedCalls(port, 5);
    const waitedForReplacement = pool.pids[0] === 0;
    const [{ pid }] = await restarted;
    assert.equal((await answers(peers)).map((a) => a.pid), Array(5).fill(pid));
    console.log(`# connected while the slot was empty: ${waitedForReplacement}`);
    for (const p of peers) p.destroy();
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
});

nativeOnly('a slot that cannot restart lets its socket go while another worker serves; it binds anew once it can', async () => {
  const version = versionFile('v1');
  const errors = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => errors.push(msg) };
  const pool = await serveWorkers({ workers: 2, module, restartDelayMs: 20, logger, env: { FIXTURE_WORKER_VERSION_FILE: version.path } });
  try {
    const port = pool.ports[0];
    const before = listeningInodes(port).sort();
    assert.is(before.length, 2);
    const victim = await clientOfSlot(port, 0);
    version.set('fail');
    const exited = once(pool, 'exit');
    assert.is((await victim.call(9, '')).payload.toString(), 'crashing');
    await exited;
    // The restart fails (the module throws): slot 0's kept socket is closed, slot 1's stays.
    await until(() => errors.length > 0 && listeningInodes(port).length === 1, 'slot 0 released its socket');
    assert.match(errors[0], 'failed to restart');
    const remaining = listeningInodes(port);
    assert.ok(before.includes(remaining[0]));
    version.set('v1');
    const [{ pid }] = await once(pool, 'restart');
    assert.equal(pool.pids[0], pid);
    const after = listeningInodes(port);
    assert.is(after.length, 2);
    assert.ok(after.includes(remaining[0]));
    await victim.close();
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
    version.remove();
  }
});

test('SIGKILL while connections arrive: zero refused, the replacement listens on the same socket', async () => {
  const pool = await serveWorkers({ workers: 2, module, restartDelayMs: 50 });
  let load = null;
  try {
    const port = pool.ports[0];
    const sockets = listeningInodes(port).sort();
    load = startLoad(connect, `127.0.0.1:${port}`, { clients: 0, fresh: 3 });
    await until(() => load.stats.fresh >= 100, 'fresh calls before the kill');
    const restarted = once(pool, 'restart');
    const killedAt = load.stats.fresh;
    process.kill(pool.pids[0], 'SIGKILL');
    const [{ pid }] = await restarted;
    await until(() => [...load.stats.answeredBy.keys()].some((k) => parseAnswer(k).pid === pid), 'a fresh call answered by the replacement');
    const stats = await load.stop();
    load = null;
    assert.equal(stats.refused.map(String), [], 'refused connections');
    assert.ok(stats.fresh > killedAt);
    // A connection the victim had already accepted dies with it (not counted as refused): report them.
    console.log(`# ${stats.failures.length} fresh calls lost with the killed worker (accepted by it): ${stats.failures.map((e) => e.code).join(', ')}`);
    assert.equal(listeningInodes(port).sort(), sockets);
  } finally {
    if (load) await load.stop();
    await pool.stop({ timeoutMs: 2_000 });
  }
});

test.run();
