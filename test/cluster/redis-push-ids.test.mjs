// Cross-node pushToIds over a real redis-server: the holder's node gets one message and delivers the
// frame byte for byte; the report says per id delivered / offline; ids held locally never touch Redis.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'redis';
import { encodeFrame, Flags } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { startRedis } from './redis-process.mjs';
import { rawPeerAfter, startNode, stopCluster } from './cluster-helpers.mjs';


test('a push by id issued on node A reaches the client held by node B; the registry holds it with a TTL', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url, { broker: { idTtlMs: 4000 } });
  const b = await startNode(redis.url, { broker: { idTtlMs: 4000 } });
  const inspector = createClient({ url: redis.url });
  await inspector.connect();
  const onB = await rawPeerAfter(b.port, 1, 'user-b');
  const onA = await rawPeerAfter(a.port, 1, 'user-a');
  try {
    const payload = Buffer.from([0, 1, 2, 0xff, 0xfe, 10]);
    const report = await a.server.cluster.pushToIds(0, ['user-b', 'user-a', 'nobody'], 300, payload, Flags.NB);
    assert.equal(report.delivered.sort(), ['user-a', 'user-b']);
    assert.equal(report.offline, ['nobody']);
    assert.equal(report.unconfirmed, []);
    for (const peer of [onB, onA]) {
      const [, push] = await peer.waitFrames(2);
      assert.is(push.flags, Flags.Push | Flags.NB);
      assert.is(push.cmd, 300);
      assert.is(peer.received.subarray(peer.received.length - 22).toString('hex'), encodeFrame(push.requestId, Flags.Push | Flags.NB, 300, payload).toString('hex'));
    }
    const value = await inspector.get('qrpc:id:0:user-b');
    assert.is(value.split(' ')[0], b.server.cluster.nodeId, 'the registry names the holding node');
    const ttl = await inspector.pTTL('qrpc:id:0:user-b');
    assert.ok(ttl > 0 && ttl <= 4000, `entry expires (pttl ${ttl})`);
    assert.equal(await a.server.cluster.lookup(0, 'user-b'), { online: true, node: b.server.cluster.nodeId, local: false });
    assert.equal(await b.server.cluster.lookup(0, 'user-b'), { online: true, node: b.server.cluster.nodeId, local: true });
    assert.equal(await a.server.cluster.lookup(0, 'nobody'), { online: false, node: null, local: false });
    // Logging out (closing) releases the entry at once.
    onB.destroy();
    await onB.waitClose();
    while ((await inspector.get('qrpc:id:0:user-b')) !== null) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await a.server.cluster.pushToIds(0, ['user-b'], 300, 'late'), { delivered: [], offline: ['user-b'], unconfirmed: [] });
  } finally {
    onA.destroy();
    onB.destroy();
    await inspector.destroy();
    await stopCluster(redis, a, b);
  }
});

test('bad pushes are refused before anything is sent; after shutdown the cluster calls fail with ERR_BROKER', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  try {
    assert.is((await rejection(a.server.cluster.pushToIds(0, ['x'], 0x1000000, 'p'))).code, 'ERR_INVALID_CMD');
    assert.is((await rejection(a.server.cluster.pushToIds(0, ['x'], 1, 'p', 300))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(a.server.cluster.pushAll(0, 1, Buffer.alloc(11 * 1024 * 1024)))).code, 'ERR_FRAME_TOO_LARGE');
  } finally {
    await a.server.shutdown({ timeoutMs: 200 });
  }
  try {
    const err = await rejection(a.server.cluster.lookup(0, 'x'));
    assert.is(err.code, 'ERR_BROKER');
  } finally {
    await redis.stop();
  }
});

test.run();
