// serveWorkers + the machine broker: a worker that does not answer (here: stopped with SIGSTOP) within
// confirmTimeoutMs makes its share unconfirmed, never delivered or offline: the push may still
// arrive, and does once the worker runs again. confirmTimeoutMs is checked up front.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Flags, serveWorkers } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { startPool } from './integration-lib.mjs';

test('a push to a worker that does not answer in time is reported unconfirmed, and arrives when it runs again', async () => {
  const p = await startPool(2, { confirmTimeoutMs: 200 });
  const { pid } = await p.whoIs(1);
  try {
    const alice = await p.clientOn(1);
    await alice.conn.call(1, 'alice');
    await p.admin(0, 23, { id: 'alice' }); // worker 0's admin connection is open before worker 1 stops
    process.kill(pid, 'SIGSTOP');
    assert.equal(await p.admin(0, 20, { ids: ['alice', 'bob'], cmd: 7, payload: 'late' }), { delivered: [], offline: ['bob'], unconfirmed: ['alice'] });
    assert.equal(await p.admin(0, 21, { cmd: 8, payload: 'all' }), { nodes: 1, connections: 0, unconfirmedNodes: 1 });
    process.kill(pid, 'SIGCONT');
    assert.equal(await alice.pushes.next(2), [
      { flags: Flags.Push, cmd: 7, payload: Buffer.from('late') },
      { flags: Flags.Push, cmd: 8, payload: Buffer.from('all') },
    ]);
    // Its late answers were dropped; it confirms again now.
    assert.equal(await p.admin(0, 20, { ids: ['alice'], cmd: 9, payload: 'on time' }), { delivered: ['alice'], offline: [], unconfirmed: [] });
  } finally {
    process.kill(pid, 'SIGCONT');
    await p.stop();
  }
});

test('confirmTimeoutMs must be a whole number >= 1 (0 would wait forever)', async () => {
  for (const bad of [0, -1, 1.5, Number.NaN, '100']) {
    const err = await rejection(serveWorkers({ workers: 1, module: new URL('./fixtures/integration-worker.mjs', import.meta.url), confirmTimeoutMs: bad }));
    assert.is(err.code, 'ERR_INVALID_ARG', String(bad));
    assert.match(err.message, /confirmTimeoutMs/);
  }
});

test.run();
