// serveWorkers + the machine broker: setId on worker 1 kicks the holder of the id on worker 0, whose
// onKick writes a last frame before the kick notice and the close; worker 1 then holds the id.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, Flags, ResetReason } from '../../dist/index.js';
import { startPool } from './integration-lib.mjs';

test("setId on worker 1 kicks alice's holder on worker 0: onKick's last frame, the notice, the close", async () => {
  const p = await startPool(2);
  try {
    const first = await p.rawLoginOn(0, 'alice');
    const second = await p.clientOn(1);
    await second.conn.call(1, 'alice'); // resolves after worker 0 ran the kick
    await first.waitClose();
    assert.equal(first.frames.slice(1).map((f) => [f.flags, f.cmd, f.payload.toString()]), [
      [Flags.Push, 8, 'bye from worker 0'],
      [Flags.StreamRst, ResetReason.Kicked, ''],
    ]);
    const notice = encodeFrame(0n, Flags.StreamRst, ResetReason.Kicked);
    assert.is(first.received.subarray(first.received.length - notice.length).toString('hex'), notice.toString('hex'));
    assert.is((await p.admin(0, 25)).kicked, 1);
    const w1 = await p.whoIs(1);
    assert.equal(await p.admin(0, 23, { id: 'alice' }), { online: true, node: w1.nodeId, local: false });
    assert.equal(await p.admin(0, 20, { ids: ['alice'], cmd: 7, payload: 'still you' }), { delivered: ['alice'], offline: [], unconfirmed: [] });
    assert.equal(await second.pushes.next(1), [{ flags: Flags.Push, cmd: 7, payload: Buffer.from('still you') }]);
    assert.is(second.conn.isClosed, false);
  } finally {
    await p.stop();
  }
});

test.run();
