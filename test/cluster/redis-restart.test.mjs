// Redis killed and restarted while node A pushes by id to a client held by node B: every push settles
// (delivered, offline, unconfirmed, or rejected with ERR_BROKER: none hangs, none is lost silently),
// each push reported delivered did arrive, none reported offline arrived, and after the restart
// (Redis empty) B re-registers its id by itself and pushes are delivered again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../dist/index.js';
import { until } from '../helpers.mjs';
import { startRedis } from './redis-process.mjs';
import { startNode, pushCollector, stopCluster } from './cluster-helpers.mjs';

test('pushes across a Redis restart either arrive or fail visibly; ids are re-registered after it', async () => {
  const redis = await startRedis();
  const broker = { idTtlMs: 3000, ackTimeoutMs: 2000 };
  const a = await startNode(redis.url, { broker });
  const b = await startNode(redis.url, { broker });
  const pushes = pushCollector();
  const client = await connect(b.addr, { onPush: pushes.onPush });
  const outcomes = new Map(); // n -> 'delivered' | 'offline' | 'unconfirmed' | error code
  const pending = [];
  let running = true;
  let issued = 0;
  const count = (what) => [...outcomes.values()].filter((o) => o === what).length;
  try {
    await client.call(1, 'target');
    const loop = (async () => {
      while (running && issued < 5000) {
        const n = issued++;
        const p = a.server.cluster.pushToIds(0, ['target'], 20, String(n)).then(
          (r) => outcomes.set(n, r.delivered.length ? 'delivered' : r.offline.length ? 'offline' : 'unconfirmed'),
          (err) => outcomes.set(n, err.code),
        );
        pending.push(p);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await until(() => count('delivered') >= 30, 'pushes delivered before the outage');
    await redis.kill();
    await until(() => count('ERR_BROKER') + count('unconfirmed') >= 20, 'pushes failing visibly during the outage');
    await redis.restart();
    // Nobody told B to register again: it does so on reconnect. Wait for deliveries after the restart.
    const before = count('delivered');
    await until(() => count('delivered') >= before + 30, 'pushes delivered after the restart', 60000);
    running = false;
    await loop;
    await Promise.all(pending); // every push settled
    assert.is(outcomes.size, issued);
    for (const o of outcomes.values()) assert.ok(['delivered', 'offline', 'unconfirmed', 'ERR_BROKER'].includes(o), `outcome ${o}`);
    const delivered = [...outcomes].filter(([, o]) => o === 'delivered').map(([n]) => String(n));
    await until(() => delivered.every((n) => pushes.frames.some((f) => f.payload.toString() === n)), 'every delivered push arrived');
    const arrived = new Set(pushes.frames.map((f) => f.payload.toString()));
    for (const [n, o] of outcomes) if (o === 'offline' || o === 'ERR_BROKER') assert.not.ok(arrived.has(String(n)), `push ${n} reported ${o} but arrived`);
    assert.equal(await a.server.cluster.lookup(0, 'target'), { online: true, node: b.server.cluster.nodeId, local: false });
  } finally {
    running = false;
    await client.close();
    await stopCluster(redis, a, b);
  }
});

test.run();
