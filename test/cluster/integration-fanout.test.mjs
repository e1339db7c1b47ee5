// serveWorkers + the machine broker: pushAll and pushToRoom from one worker reach the clients of
// every worker, each worker encoding the push once (one push id for all its connections).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Flags } from '../../dist/index.js';
import { startPool } from './integration-lib.mjs';

test('pushAll and pushToRoom from worker 0 reach every worker; one encoding per worker', async () => {
  const p = await startPool(2);
  try {
    const on0 = [await p.clientOn(0), await p.clientOn(0)];
    const on1 = [await p.clientOn(1), await p.clientOn(1), await p.clientOn(1)];
    for (const c of [on0[0], on1[0], on1[1]]) await c.conn.call(2, 'blue');
    const everyone = [...on0, ...on1];

    assert.equal(await p.admin(0, 21, { cmd: 11, payload: 'everyone' }), { nodes: 2, connections: 5, unconfirmedNodes: 0 });
    for (const c of everyone) assert.equal(await c.pushes.next(1), [{ flags: Flags.Push, cmd: 11, payload: Buffer.from('everyone') }]);
    const pushIds = (list, i) => new Set(list.map((c) => c.pushes.pushIds[i]));
    assert.is(pushIds(on0, 0).size, 1, 'one encoding on worker 0');
    assert.is(pushIds(on1, 0).size, 1, 'one encoding on worker 1');

    assert.is(await p.admin(1, 24, { room: 'blue' }), 3);
    assert.equal(await p.admin(1, 22, { room: 'blue', cmd: 12, payload: 'blue only' }), { nodes: 2, connections: 3, unconfirmedNodes: 0 });
    const members = [on0[0], on1[0], on1[1]];
    for (const c of members) assert.equal((await c.pushes.next(2))[1], { flags: Flags.Push, cmd: 12, payload: Buffer.from('blue only') });
    assert.is(pushIds([on1[0], on1[1]], 1).size, 1, 'one encoding of the room push on worker 1');
    // The next push reaches everyone: the non-members' second frame is it, so they got no room push.
    await p.admin(1, 21, { cmd: 13, payload: 'last' });
    for (const c of [on0[1], on1[2]]) assert.equal((await c.pushes.next(2))[1], { flags: Flags.Push, cmd: 13, payload: Buffer.from('last') });
  } finally {
    await p.stop();
  }
});

test.run();
