// Pushes by id through the registry run the broker's Lua script by digest (EVALSHA), not by sending its body
// each time; a Redis that lost its script cache (SCRIPT FLUSH, a restart) answers NOSCRIPT, and the push still
// goes through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'redis';
import { encodeFrame, Flags } from '../../dist/index.js';
import { startRedis } from './redis-process.mjs';
import { commandCalls as calls, rawPeerAfter, startNode, stopCluster } from './cluster-helpers.mjs';

test('a cross-node push by id runs the script by digest; after SCRIPT FLUSH it is sent once by body and delivered', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  const b = await startNode(redis.url);
  const inspector = createClient({ url: redis.url });
  await inspector.connect();
  // Three ids, each pushed once: a first push to an id goes through the registry script (later ones by route).
  const peers = [];
  for (const id of ['b1', 'b2', 'b3']) peers.push(await rawPeerAfter(b.port, 1, id));
  try {
    const pushes = [Buffer.from('first'), Buffer.from('second'), Buffer.from('third')];
    // A fresh Redis has not seen the script: this one may go by body; after it the script is cached.
    assert.equal(await a.server.cluster.pushToIds(0, ['b1'], 300, pushes[0]), { delivered: ['b1'], offline: [], unconfirmed: [] });
    const evalsBefore = await calls(inspector, 'eval');
    const evalshasBefore = await calls(inspector, 'evalsha');
    assert.equal(await a.server.cluster.pushToIds(0, ['b2'], 300, pushes[1]), { delivered: ['b2'], offline: [], unconfirmed: [] });
    assert.is(await calls(inspector, 'eval'), evalsBefore, 'no script body was sent for a cached script');
    assert.ok((await calls(inspector, 'evalsha')) > evalshasBefore, 'the push ran by digest');

    await inspector.scriptFlush();
    const evalsAfterFlush = await calls(inspector, 'eval');
    assert.equal(await a.server.cluster.pushToIds(0, ['b3'], 300, pushes[2]), { delivered: ['b3'], offline: [], unconfirmed: [] });
    assert.ok((await calls(inspector, 'eval')) > evalsAfterFlush, 'NOSCRIPT made the broker send the body');

    for (const [i, peer] of peers.entries()) {
      const [, push] = await peer.waitFrames(2);
      const expected = encodeFrame(push.requestId, Flags.Push, 300, pushes[i]);
      assert.is(peer.received.subarray(peer.received.length - expected.length).toString('hex'), expected.toString('hex'), 'byte for byte');
    }
  } finally {
    for (const peer of peers) peer.destroy();
    await inspector.destroy();
    await stopCluster(redis, a, b);
  }
});

test('ids that need JSON escaping reach their holder and come back in the report as they were', async () => {
  const redis = await startRedis();
  const a = await startNode(redis.url);
  const b = await startNode(redis.url);
  const odd = 'a "quoted"\\ id/with ünïcode \u0001';
  const onB = await rawPeerAfter(b.port, 1, odd);
  try {
    assert.equal(await a.server.cluster.pushToIds(0, [odd, 'nobody'], 301, 'x'), { delivered: [odd], offline: ['nobody'], unconfirmed: [] });
    const [, push] = await onB.waitFrames(2);
    assert.is(push.cmd, 301);
    assert.is(push.payload.toString(), 'x');
  } finally {
    onB.destroy();
    await stopCluster(redis, a, b);
  }
});

test.run();
