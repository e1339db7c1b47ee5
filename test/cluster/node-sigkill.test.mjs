// A node killed with SIGKILL: pushes to its ids are reported offline (not delivered) as soon as Redis
// sees its connections gone, the entry met by that push is deleted, and entries nobody touches expire
// by their TTL (the dead node no longer extends them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { startRedis } from './redis-process.mjs';
import { rawPeerAfter, startNode, stopCluster } from './cluster-helpers.mjs';


const TTL = 1500;

async function spawnNode(url) {
  const child = spawn(process.execPath, [new URL('./fixtures/node.mjs', import.meta.url).pathname, url, String(TTL)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { child, ...JSON.parse(line) };
}

test('pushes to the ids of a SIGKILLed node are reported not delivered; its entries are cleaned or expire', async () => {
  const redis = await startRedis();
  const inspector = createClient({ url: redis.url });
  await inspector.connect();
  const a = await startNode(redis.url, { broker: { idTtlMs: TTL } });
  const doomed = await spawnNode(redis.url);
  const peers = [];
  try {
    peers.push(await rawPeerAfter(doomed.port, 1, 'pushed'), await rawPeerAfter(doomed.port, 1, 'untouched'));
    assert.equal(await a.server.cluster.lookup(0, 'pushed'), { online: true, node: doomed.nodeId, local: false });
    assert.equal(await a.server.cluster.pushToIds(0, ['pushed'], 5, 'alive'), { delivered: ['pushed'], offline: [], unconfirmed: [] });

    doomed.child.kill('SIGKILL');
    await once(doomed.child, 'exit');
    const channel = `qrpc:node:${doomed.nodeId}`;
    for (;;) {
      const counts = await inspector.pubSubNumSub(channel);
      if (Number(counts[channel]) === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok((await inspector.get('qrpc:id:0:pushed')) !== null, 'the entry is still there before anyone meets it');
    assert.equal(await a.server.cluster.pushToIds(0, ['pushed'], 5, 'dead'), { delivered: [], offline: ['pushed'], unconfirmed: [] });
    while ((await inspector.get('qrpc:id:0:pushed')) !== null) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await a.server.cluster.lookup(0, 'pushed'), { online: false, node: null, local: false });

    // Nobody pushes to "untouched": the TTL alone removes it.
    const ttl = await inspector.pTTL('qrpc:id:0:untouched');
    assert.ok(ttl > 0 && ttl <= TTL, `pttl ${ttl}`);
    while ((await inspector.get('qrpc:id:0:untouched')) !== null) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await a.server.cluster.pushToIds(0, ['untouched'], 5, 'dead'), { delivered: [], offline: ['untouched'], unconfirmed: [] });
  } finally {
    for (const p of peers) p.destroy();
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) doomed.child.kill('SIGKILL');
    await inspector.destroy();
    await stopCluster(redis, a);
  }
});

test.run();
