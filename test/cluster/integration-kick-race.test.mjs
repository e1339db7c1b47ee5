// serveWorkers + the machine broker: of two logins of one id racing on two workers, exactly one stays
// logged in (the other is kicked), every round, and both workers agree where the id is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startPool } from './integration-lib.mjs';

test('two logins racing on two workers: exactly one stays logged in, every round', async () => {
  const p = await startPool(2);
  try {
    const nodeOf = [(await p.whoIs(0)).nodeId, (await p.whoIs(1)).nodeId];
    for (let round = 0; round < 10; round++) {
      const id = `racer-${round}`;
      const on = [await p.clientOn(0), await p.clientOn(1)];
      await Promise.allSettled(on.map((c) => c.conn.call(1, id)));
      await Promise.race(on.map((c) => c.conn.closed));
      const winner = on[0].conn.isClosed ? 1 : 0;
      const loser = 1 - winner;
      assert.is(on[loser].conn.closeReason?.code, 'ERR_KICKED', `round ${round}: the loser was kicked`);
      assert.is(on[winner].conn.isClosed, false, `round ${round}: the winner stays`);
      assert.equal(await p.admin(loser, 23, { id }), { online: true, node: nodeOf[winner], local: false }, `round ${round}: the loser's worker agrees`);
      assert.equal(await p.admin(winner, 23, { id }), { online: true, node: nodeOf[winner], local: true }, `round ${round}: the winner's worker holds it`);
      await on[winner].conn.close();
    }
  } finally {
    await p.stop();
  }
});

test.run();
