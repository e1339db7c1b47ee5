// The machine-local broker between the workers of serveWorkers (the primary
// is the hub, no Redis): claims with the kick of the replaced holder on the
// other worker, lookups, pushes by id and to all and to rooms with their
// reports, and a worker that dies takes its claims with it. Driven through
// the Broker interface; the LocalNode on each worker is the fixture's own
// (the server's cluster layer, which wires a Server to a broker, is the
// broker branch's).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { connect, serveWorkers } from '../../dist/index.js';

const module = new URL('./fixtures/broker-worker.mjs', import.meta.url);

/** A client on each worker's private port: [worker 0, worker 1], with their node ids. */
async function clientPerWorker(pool) {
  const found = [null, null];
  while (found.includes(null)) {
    const probe = await connect(`127.0.0.1:${pool.ports[0]}`);
    const who = JSON.parse((await probe.call(1, '')).payload.toString());
    await probe.close();
    if (found[who.slot] === null) found[who.slot] = { ...who, conn: await connect(`127.0.0.1:${who.privatePort}`) };
  }
  return found;
}

const ask = async (w, cmd, arg = '') => JSON.parse((await w.conn.call(cmd, arg)).payload.toString());

test('claims, kicks, lookups and pushes cross the workers of one machine', async () => {
  const pool = await serveWorkers({ workers: 2, module });
  const clients = [];
  try {
    const [w0, w1] = await clientPerWorker(pool);
    clients.push(w0.conn, w1.conn);

    const alice = await ask(w0, 10, 'alice');
    assert.equal(alice, { token: `${w0.nodeId}#1`, replaced: null });
    assert.equal(await ask(w1, 11, 'alice'), { node: w0.nodeId, token: alice.token });
    assert.is(await ask(w1, 11, 'nobody'), null);

    // bob is held nowhere: offline; alice on worker 0 took the push.
    assert.equal(await ask(w1, 12, JSON.stringify(['alice', 'bob'])), { delivered: ['alice'], offline: ['bob'], unconfirmed: [] });
    assert.equal(await ask(w1, 13), { nodes: 1, connections: 1, unconfirmedNodes: 0 });
    assert.equal(await ask(w1, 17, 'lobby'), { nodes: 1, connections: 1, unconfirmedNodes: 0 });
    assert.is(await ask(w1, 16, 'lobby'), 1);

    // alice logs in on worker 1: the claim on worker 0 is kicked before the claim returns.
    const again = await ask(w1, 10, 'alice');
    assert.equal(again.replaced, { node: w0.nodeId, token: alice.token });
    assert.equal(await ask(w0, 11, 'alice'), { node: w1.nodeId, token: again.token });
    assert.equal(await ask(w0, 14), [
      { op: 'ids', bindingIndex: 0, ids: ['alice'], cmd: 5, flags: 0, payload: 'hi', isBuffer: true },
      { op: 'all', bindingIndex: 0, cmd: 6, flags: 0, payload: 'all', isBuffer: true },
      { op: 'room', bindingIndex: 0, room: 'lobby', cmd: 7, flags: 0, payload: 'room', isBuffer: true },
      { op: 'kick', bindingIndex: 0, id: 'alice', token: alice.token },
    ]);
    assert.equal(await ask(w1, 14), [], 'the sender never delivers its own share through the broker');

    // A release only drops the claim it names.
    await ask(w0, 15, 'alice');
    assert.equal(await ask(w0, 11, 'alice'), { node: w1.nodeId, token: again.token });
    await ask(w1, 15, 'alice');
    assert.is(await ask(w0, 11, 'alice'), null);

    // A worker that dies takes its claims with it.
    await ask(w0, 10, 'carol');
    const exited = once(pool, 'exit');
    await w0.conn.call(9, '');
    await exited;
    assert.is(await ask(w1, 11, 'carol'), null);
    assert.equal(await ask(w1, 12, JSON.stringify(['carol'])), { delivered: [], offline: ['carol'], unconfirmed: [] });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await pool.stop({ timeoutMs: 2_000 });
  }
});

test.run();
