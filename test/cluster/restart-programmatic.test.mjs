// upgrade(), the programmatic trigger: it resolves with the successor's pid
// once the successor serves, and this process drains and exits. A successor
// that dies before it is ready fails upgrade() with ERR_RESTART and the
// running process serves on, on the same socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../dist/index.js';
import { startRestartFixture, exitOf } from './restart-lib.mjs';

test('upgrade() hands over: the successor answers on the same port, the old process exits', async () => {
  const fixture = startRestartFixture();
  try {
    const first = await fixture.next((e) => e.event === 'ready', 'generation 1 ready');
    const conn = await connect(`127.0.0.1:${first.port}`, { reconnect: { backoffMs: 20 }, whileDisconnected: 'wait' });
    assert.is((await conn.call(2, '')).payload.toString(), 'upgrading');
    const upgraded = await fixture.next((e) => e.event === 'upgraded', 'upgrade() resolved');
    const second = await fixture.next((e) => e.event === 'ready' && e.generation === 2, 'generation 2 ready');
    assert.is(upgraded.pid, first.pid);
    assert.is(upgraded.successor, second.pid);
    assert.is(await exitOf(fixture.child), 0);
    // The reconnecting client got the shutdown notice and now talks to the successor.
    assert.is((await conn.call(1, '')).payload.toString(), String(second.pid));
    await conn.close();
  } finally {
    fixture.stop();
  }
});

test('a successor that exits before it is ready: ERR_RESTART, the old process serves on', async () => {
  const fixture = startRestartFixture({ FIXTURE_FAIL_GENERATION: '2' });
  try {
    const first = await fixture.next((e) => e.event === 'ready', 'generation 1 ready');
    const conn = await connect(`127.0.0.1:${first.port}`);
    await conn.call(2, '');
    const failed = await fixture.next((e) => e.event === 'upgrade-failed', 'upgrade() rejected');
    assert.is(failed.code, 'ERR_RESTART');
    assert.match(failed.message, /exited \(code 3\) before it was ready/);
    // Same connection, same process: nothing was drained.
    assert.is((await conn.call(1, '')).payload.toString(), String(first.pid));
    assert.is(conn.isClosed, false);
    // A later attempt is allowed (and fails the same way here).
    await conn.call(2, '');
    await fixture.next((e) => e.event === 'upgrade-failed' && e !== failed, 'second upgrade() rejected');
    assert.is((await conn.call(1, '')).payload.toString(), String(first.pid));
    await conn.close();
  } finally {
    fixture.stop();
  }
});

test.run();
