// serveWorkers: N processes serve one port. Native: each worker its own epoll
// loop and SO_REUSEPORT socket; fallback: node:cluster's shared handle. Fresh
// connections land on every worker; stop() drains them and they exit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, connect, serveWorkers } from '../../dist/index.js';

const module = new URL('./fixtures/worker-server.mjs', import.meta.url);

async function whoAnswers(port) {
  const conn = await connect(`127.0.0.1:${port}`);
  try {
    const [slot, pid, transport] = (await conn.call(1, '')).payload.toString().split(':');
    return { slot: Number(slot), pid: Number(pid), transport };
  } finally {
    await conn.close();
  }
}

test('two workers on one port: connections reach both, each on this backend', async () => {
  const pool = await serveWorkers({ workers: 2, module });
  try {
    assert.is(pool.ports.length, 1);
    assert.is(pool.pids.length, 2);
    const seen = new Map();
    // SO_REUSEPORT hashes the 4-tuple, node:cluster takes turns: 64 connections all on one worker has odds 2^-63.
    for (let i = 0; i < 64; i++) {
      const who = await whoAnswers(pool.ports[0]);
      assert.is(who.transport, backend().name);
      seen.set(who.slot, who.pid);
    }
    assert.equal([...seen.keys()].sort(), [0, 1]);
    assert.equal([seen.get(0), seen.get(1)], pool.pids);
  } finally {
    await pool.stop({ timeoutMs: 2_000 });
  }
  assert.equal(pool.pids, [0, 0], 'every worker exited');
});

test.run();
