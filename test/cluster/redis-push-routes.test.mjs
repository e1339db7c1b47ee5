// A push by id to an id pushed before goes to its holder's node directly (one PUBLISH, no registry script);
// a route that went stale (the id logged in on another node since) is corrected through the registry, so the
// push still reaches the id and the report stays true.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'redis';
import { encodeFrame, Flags } from '../../dist/index.js';
import { startRedis } from './redis-process.mjs';
import { commandCalls as calls, rawPeerAfter, startNode, stopCluster } from './cluster-helpers.mjs';

/** The frame a peer got last is exactly this push (byte for byte). */
async function assertLastPush(peer, count, cmd, payload) {
  const frames = await peer.waitFrames(count);
  const expected = encodeFrame(frames[count - 1].requestId, Flags.Push, cmd, Buffer.from(payload));
  assert.is(peer.received.subarray(peer.received.length - expected.length).toString('hex'), expected.toString('hex'));
}

test('the second push to an id skips the registry script; a mixed batch is reported per id', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  const b = await startNode(redis.url);
  const inspector = createClient({ url: redis.url });
  await inspector.connect();
  const known = await rawPeerAfter(b.port, 1, 'known');
  const fresh = await rawPeerAfter(b.port, 1, 'fresh');
  try {
    assert.equal(await a.server.cluster.pushToIds(0, ['known'], 310, 'one'), { delivered: ['known'], offline: [], unconfirmed: [] });
    const scripts = (await calls(inspector, 'evalsha')) + (await calls(inspector, 'eval'));
    assert.equal(await a.server.cluster.pushToIds(0, ['known'], 310, 'two'), { delivered: ['known'], offline: [], unconfirmed: [] });
    assert.is((await calls(inspector, 'evalsha')) + (await calls(inspector, 'eval')), scripts, 'no script ran for a known route');
    await assertLastPush(known, 3, 310, 'two');

    const report = await a.server.cluster.pushToIds(0, ['known', 'fresh', 'nobody'], 311, 'three');
    assert.equal(report.delivered.sort(), ['fresh', 'known']);
    assert.equal(report.offline, ['nobody']);
    assert.equal(report.unconfirmed, []);
    await assertLastPush(known, 4, 311, 'three');
    await assertLastPush(fresh, 2, 311, 'three');
  } finally {
    known.destroy();
    fresh.destroy();
    await inspector.destroy();
    await stopCluster(redis, a, b);
  }
});

test('an id that moved to another node since the last push is reached there, and reported delivered', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  const b = await startNode(redis.url);
  const c = await startNode(redis.url);
  const onB = await rawPeerAfter(b.port, 1, 'mover');
  let onC = null;
  try {
    assert.equal(await a.server.cluster.pushToIds(0, ['mover'], 320, 'at b'), { delivered: ['mover'], offline: [], unconfirmed: [] });
    await assertLastPush(onB, 2, 320, 'at b');
    // The same id logs in on C: B's login is kicked (closed).
    onC = await rawPeerAfter(c.port, 1, 'mover');
    await onB.waitClose();
    assert.equal(await a.server.cluster.pushToIds(0, ['mover'], 321, 'at c'), { delivered: ['mover'], offline: [], unconfirmed: [] });
    await assertLastPush(onC, 2, 321, 'at c');
    // And the route now points at C: delivered again without a detour.
    assert.equal(await a.server.cluster.pushToIds(0, ['mover'], 322, 'again'), { delivered: ['mover'], offline: [], unconfirmed: [] });
    await assertLastPush(onC, 3, 322, 'again');
  } finally {
    onB.destroy();
    onC?.destroy();
    await stopCluster(redis, a, b, c);
  }
});

test.run();
