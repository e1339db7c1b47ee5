// serveWorkers + the machine broker: a worker that crashes takes its ids with it. Pushes to them are
// reported offline and lookups say offline from the surviving worker; its restarted replacement is a
// new node of the broker, holding nothing, that takes its share of pushes to all.
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startPool } from './integration-lib.mjs';

test("a crashed worker's ids are offline for the others; pushes to them say so", async () => {
  const p = await startPool(2);
  try {
    const carol = await p.clientOn(0);
    await carol.conn.call(1, 'carol');
    const dave = await p.clientOn(1);
    await dave.conn.call(1, 'dave');
    const w0 = await p.whoIs(0);
    assert.equal(await p.admin(1, 23, { id: 'carol' }), { online: true, node: w0.nodeId, local: false });

    const restarted = once(p.pool, 'restart');
    const exit = await p.crash(0);
    assert.equal({ id: exit.id, code: exit.code }, { id: 0, code: 9 });
    await carol.conn.closed;
    assert.equal(await p.admin(1, 23, { id: 'carol' }), { online: false, node: null, local: false });
    assert.equal(await p.admin(1, 20, { ids: ['carol', 'dave'], cmd: 7, payload: 'x' }), { delivered: ['dave'], offline: ['carol'], unconfirmed: [] });
    // Whether or not the replacement serves yet: carol stays offline (her connection died with the worker).
    await restarted;
    const w0again = await p.whoIs(0);
    assert.is.not(w0again.nodeId, w0.nodeId, 'the replacement is a new node');
    assert.equal(await p.admin(1, 23, { id: 'carol' }), { online: false, node: null, local: false });
    assert.equal(await p.admin(1, 21, { cmd: 7, payload: 'all' }), { nodes: 2, connections: 1, unconfirmedNodes: 0 });
  } finally {
    await p.stop();
  }
});

test.run();
