// The Broker seam on its own (what a server's cluster layer relies on), with two Redis brokers and
// recording LocalNodes: claim returns the replaced claim after the other node ran kick(id, token) for
// exactly that token; release leaves a newer claim alone; stop releases what is still held.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'redis';
import { redisBroker } from '../../dist/index.js';
import { startRedis } from './redis-process.mjs';

function recordingNode(nodeId) {
  const held = new Map();
  return {
    nodeId,
    kicks: [],
    held,
    deliverToIds: () => [],
    deliverToAll: () => 0,
    deliverToRoom: () => 0,
    async kick(bindingIndex, id, token) {
      this.kicks.push({ bindingIndex, id, token });
      const mine = held.get(id) === token;
      if (mine) held.delete(id);
      return mine;
    },
    *heldIds() {
      for (const [id, token] of held) yield { bindingIndex: 0, id, token };
    },
    roomSize: () => 0,
  };
}

test('claim kicks exactly the replaced claim on the other node; release and stop respect newer claims', async () => {
  const redis = await startRedis();
  const inspector = createClient({ url: redis.url });
  await inspector.connect();
  const nodeA = recordingNode('node-a');
  const nodeB = recordingNode('node-b');
  const a = redisBroker({ url: redis.url });
  const b = redisBroker({ url: redis.url });
  try {
    await a.start(nodeA);
    await b.start(nodeB);
    nodeA.held.set('carol', 't1');
    assert.is(await a.claim(0, 'carol', 't1'), null);
    nodeB.held.set('carol', 't9');
    assert.equal(await b.claim(0, 'carol', 't9'), { node: 'node-a', token: 't1' });
    assert.equal(nodeA.kicks, [{ bindingIndex: 0, id: 'carol', token: 't1' }], 'A was asked to kick its t1 login before claim resolved');
    assert.equal(await a.lookup(0, 'carol'), { node: 'node-b', token: 't9' });
    await a.release(0, 'carol', 't1'); // A's stale release must not drop B's claim
    assert.is(await inspector.get('qrpc:id:0:carol'), 'node-b t9');
    nodeB.held.set('dave', 't10');
    await b.claim(0, 'dave', 't10');
    await b.stop();
    assert.is(await inspector.get('qrpc:id:0:carol'), null, 'stop released what B still held');
    assert.is(await inspector.get('qrpc:id:0:dave'), null);
    assert.is(await a.lookup(0, 'carol'), null);
  } finally {
    await a.stop();
    await b.stop();
    await inspector.destroy();
    await redis.stop();
  }
});

test.run();
