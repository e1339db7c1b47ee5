// pushAll and room pushes across two nodes over a real redis-server: every connection (every member)
// on both nodes gets the same frame, the report counts nodes and connections, room sizes are
// cluster-wide and a closed member is dropped everywhere it counted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, Flags } from '../../dist/index.js';
import { until } from '../helpers.mjs';
import { startRedis } from './redis-process.mjs';
import { startNode, pushCollector, stopCluster } from './cluster-helpers.mjs';

async function clients(addr, n, room) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const pushes = pushCollector();
      const conn = await connect(addr, { onPush: pushes.onPush });
      if (room) await conn.call(2, room);
      return { conn, pushes };
    }),
  );
}

test('pushAll on node A reaches every connection of both nodes; a room push only the members of both', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  const b = await startNode(redis.url);
  const onA = await clients(a.addr, 3, 'blue');
  const onB = await clients(b.addr, 4, 'blue');
  const outsiders = await clients(b.addr, 2, 'red');
  try {
    assert.equal(await a.server.cluster.pushAll(0, 11, 'everyone'), { nodes: 2, connections: 9, unconfirmedNodes: 0 });
    for (const c of [...onA, ...onB, ...outsiders]) assert.equal(await c.pushes.next(1), [{ flags: Flags.Push, cmd: 11, payload: Buffer.from('everyone') }]);
    // Encoded once per node: every connection of a node got the very same frame (same push id).
    const idsOn = (list) => new Set(list.map((c) => c.pushes.pushIds[0]));
    assert.is(idsOn(onA).size, 1, 'one encoding on node A');
    assert.is(idsOn([...onB, ...outsiders]).size, 1, 'one encoding on node B');

    assert.is(await a.server.cluster.roomSize(0, 'blue'), 7);
    assert.is(await b.server.cluster.roomSize(0, 'red'), 2);
    assert.equal(await b.server.cluster.pushToRoom(0, 'blue', 12, 'blue only'), { nodes: 2, connections: 7, unconfirmedNodes: 0 });
    for (const c of [...onA, ...onB]) assert.equal((await c.pushes.next(2))[1], { flags: Flags.Push, cmd: 12, payload: Buffer.from('blue only') });

    // Members that close leave the room on their node; the size everywhere follows.
    await onB[0].conn.close();
    await onA[0].conn.close();
    await until(() => b.server.stats(0).connections === 5 && a.server.stats(0).connections === 2, 'closed on both nodes');
    assert.is(await a.server.cluster.roomSize(0, 'blue'), 5);
    assert.equal(await a.server.cluster.pushToRoom(0, 'red', 13, 'red only'), { nodes: 2, connections: 2, unconfirmedNodes: 0 });
    for (const c of outsiders) assert.equal((await c.pushes.next(2))[1], { flags: Flags.Push, cmd: 13, payload: Buffer.from('red only') });
    for (const c of [...onA, ...onB]) assert.is(c.pushes.frames.length, 2, 'no red push for blue members');
  } finally {
    for (const c of [...onA, ...onB, ...outsiders]) await c.conn.close();
    await stopCluster(redis, a, b);
  }
});

test.run();
