// The wheel's uv timer is armed for the earliest deadline only (no 8 ms tick
// while anything is armed): read through stats().timerDueInMs
// (uv_timer_get_due_in) and stats().timerWakeups, never by sleeping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, listen, rawClient, recorder, tick } from './_native.mjs';

const native = nativeOrSkip('native timer');
const t = native?.transport;
const addon = native?.addon;

if (t) {
  test('100 idle connections at readTimeoutMs 60000: the timer is due in > 50 s', async () => {
    assert.type(addon.stats().timerDueInMs, 'number', 'stats() reports timerDueInMs');
    const recs = [];
    const listener = await listen(t, { readTimeoutMs: 60000 }, (conn) => {
      const rec = recorder();
      recs.push(rec);
      conn.attach(rec);
    });
    const raws = [];
    for (let i = 0; i < 100; i++) raws.push(await rawClient(listener.port));
    while (recs.length < 100) await tick();
    const st = addon.stats();
    assert.is(st.timers, 100);
    assert.ok(st.timerDueInMs > 50000, `due in ${st.timerDueInMs} ms`);
    for (const r of raws) r.destroy();
    while (recs.some((r) => r.closed === undefined)) await tick();
    await listener.close();
  });

  test('a short read timeout still fires (ERR_READ_TIMEOUT), re-arming the timer earlier, a few wake-ups instead of one per 8 ms', async () => {
    assert.type(addon.stats().timerWakeups, 'number', 'stats() reports timerWakeups');
    const conns = [];
    const recs = [];
    const listener = await listen(t, { readTimeoutMs: 60000 }, (conn) => {
      const rec = recorder();
      conns.push(conn);
      recs.push(rec);
      conn.attach(rec);
    });
    const far = await rawClient(listener.port);
    const near = await rawClient(listener.port);
    while (recs.length < 2) await tick();
    const farDue = addon.stats().timerDueInMs;
    const wakeBefore = addon.stats().timerWakeups;
    conns[1].setReadTimeout(200);
    const armed = addon.stats().timerDueInMs;
    assert.ok(armed <= 208 && armed < farDue, `re-armed for the earlier deadline: due in ${armed} ms (was ${farDue})`);
    await recs[1].untilClosed();
    assert.is(recs[1].closed?.code, 'ERR_READ_TIMEOUT');
    const wakeups = addon.stats().timerWakeups - wakeBefore;
    assert.ok(wakeups >= 1 && wakeups <= 5, `${wakeups} wake-ups for one 200 ms deadline (a periodic 8 ms tick makes ~25)`);
    assert.ok(addon.stats().timerDueInMs > 50000, 'back to the far deadline');
    assert.is(recs[0].closed, undefined, 'the far connection is untouched');
    far.destroy();
    near.destroy();
    await recs[0].untilClosed();
    await listener.close();
  });
}

test.run();
