// Single login across the cluster: setId on node B kicks the holder on node A (A's onKick writes a last
// frame, then the kick notice, then the close), and of two logins racing on two nodes exactly one wins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, encodeFrame, Flags, ResetReason } from '../../dist/index.js';
import { RawPeer } from '../helpers.mjs';
import { startRedis } from './redis-process.mjs';
import { startNode, stopCluster } from './cluster-helpers.mjs';

test("setId on node B kicks the holder on node A: onKick's last frame, the notice, the close; B holds the id", async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url, { binding: { onKick: (old) => old.push(9, 'bye from A') } });
  const b = await startNode(redis.url);
  const first = await RawPeer.connect(a.port);
  try {
    first.sendFrame(1, 0, 1, 'alice');
    await first.waitFrames(1);
    const second = await connect(b.addr);
    await second.call(1, 'alice'); // resolves after A ran the kick
    await first.waitClose();
    assert.equal(first.frames.slice(1).map((f) => [f.flags, f.cmd, f.payload.toString()]), [
      [Flags.Push, 9, 'bye from A'],
      [Flags.StreamRst, ResetReason.Kicked, ''],
    ]);
    assert.is(first.received.subarray(first.received.length - 16).toString('hex'), encodeFrame(0n, Flags.StreamRst, ResetReason.Kicked).toString('hex'));
    assert.is(a.server.stats(0).kicked, 1);
    assert.is(a.server.getConnectionInfoById(0, 'alice'), null);
    assert.equal(await a.server.cluster.lookup(0, 'alice'), { online: true, node: b.server.cluster.nodeId, local: false });
    assert.is(second.isClosed, false);
    await second.close();
  } finally {
    first.destroy();
    await stopCluster(redis, a, b);
  }
});

test('two logins racing on two nodes: exactly one stays logged in, every round', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  const b = await startNode(redis.url);
  try {
    for (let round = 0; round < 20; round++) {
      const id = `racer-${round}`;
      const [onA, onB] = await Promise.all([connect(a.addr), connect(b.addr)]);
      const settled = await Promise.allSettled([onA.call(1, id), onB.call(1, id)]);
      // The loser is kicked: wait until exactly one side is closed, and check the winner holds the registry.
      await Promise.race([onA.closed, onB.closed]);
      const winner = onA.isClosed ? onB : onA;
      const loser = onA.isClosed ? onA : onB;
      assert.is(loser.closeReason?.code, 'ERR_KICKED', `round ${round}: the loser was kicked`);
      assert.is(winner.isClosed, false, `round ${round}: the winner stays`);
      const winnerServer = winner === onA ? a.server : b.server;
      assert.ok(winnerServer.getConnectionInfoById(0, id) !== null, `round ${round}: winner's node holds the id`);
      const seen = await (winner === onA ? b : a).server.cluster.lookup(0, id);
      assert.equal(seen, { online: true, node: winnerServer.cluster.nodeId, local: false }, `round ${round}: registry agrees`);
      assert.ok(settled.some((s) => s.status === 'fulfilled'));
      await winner.close();
    }
  } finally {
    await stopCluster(redis, a, b);
  }
});

test.run();
