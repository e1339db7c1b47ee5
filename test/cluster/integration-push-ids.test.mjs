// serveWorkers + the machine broker, end to end with real worker processes: server.cluster.pushToIds
// on worker A reaches a client held by worker B (bytes checked) with a correct report, and lookup
// sees where an id is logged in from either worker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, Flags } from '../../dist/index.js';
import { startPool } from './integration-lib.mjs';

test('pushToIds from worker 0 reaches alice on worker 1 byte for byte; the report says delivered / offline', async () => {
  const p = await startPool(2);
  try {
    const alice = await p.rawLoginOn(1, 'alice');
    const carol = await p.clientOn(0);
    await carol.conn.call(1, 'carol');
    const w0 = await p.whoIs(0);
    const w1 = await p.whoIs(1);

    assert.equal(await p.admin(0, 23, { id: 'alice' }), { online: true, node: w1.nodeId, local: false });
    assert.equal(await p.admin(1, 23, { id: 'alice' }), { online: true, node: w1.nodeId, local: true });
    assert.equal(await p.admin(1, 23, { id: 'carol' }), { online: true, node: w0.nodeId, local: false });
    assert.equal(await p.admin(0, 23, { id: 'nobody' }), { online: false, node: null, local: false });

    const report = await p.admin(0, 20, { ids: ['alice', 'carol', 'bob'], cmd: 7, payload: 'hi alice' });
    assert.equal(report, { delivered: ['carol', 'alice'], offline: ['bob'], unconfirmed: [] });
    const [pushed] = (await alice.waitFrames(2)).slice(1);
    assert.ok(pushed.flags & Flags.Push);
    const expected = encodeFrame(pushed.requestId, Flags.Push, 7, Buffer.from('hi alice'));
    assert.is(alice.received.subarray(alice.received.length - expected.length).toString('hex'), expected.toString('hex'));
    assert.equal(await carol.pushes.next(1), [{ flags: Flags.Push, cmd: 7, payload: Buffer.from('hi alice') }]);
  } finally {
    await p.stop();
  }
});

test.run();
