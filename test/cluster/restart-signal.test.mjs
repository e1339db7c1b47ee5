// SIGHUP under load: the running process hands its listening socket to a new
// process of the same program and drains; while that happens, reconnecting
// clients and a stream of fresh connections keep calling. Zero refused
// connections, zero calls failed without an answer (a call the drain answered
// with a shutdown reset, or whose connection closed with the shutdown notice,
// is retried), and answers come from both processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../dist/index.js';
import { until } from '../helpers.mjs';
import { startRestartFixture, startLoad, listeningInodes, exitOf } from './restart-lib.mjs';

test('SIGHUP restarts with zero refused connections and zero unanswered calls', async () => {
  const fixture = startRestartFixture();
  try {
    const first = await fixture.next((e) => e.event === 'ready', 'generation 1 ready');
    assert.is(first.inherited, false);
    const addr = `127.0.0.1:${first.port}`;
    const [socketBefore] = listeningInodes(first.port);
    const load = startLoad(connect, addr);
    await until(() => (load.stats.answeredBy.get(String(first.pid)) ?? 0) >= 200, 'calls answered by generation 1');

    process.kill(first.pid, 'SIGHUP');
    const second = await fixture.next((e) => e.event === 'ready' && e.generation === 2, 'generation 2 ready');
    await fixture.next((e) => e.event === 'exited' && e.pid === first.pid, 'generation 1 drained');
    await until(() => (load.stats.answeredBy.get(String(second.pid)) ?? 0) >= 200, 'calls answered by generation 2');
    const stats = await load.stop();

    assert.equal(stats.refused.map(String), [], 'refused connections');
    assert.equal(stats.failures.map((e) => `${e.code}: ${e.message}`), [], 'calls failed without an answer');
    assert.ok(second.inherited, 'generation 2 serves the inherited socket');
    assert.is(second.port, first.port);
    // The very same kernel socket (one accept queue), not a second SO_REUSEPORT one.
    assert.equal(listeningInodes(first.port), [socketBefore]);
    assert.is(await exitOf(fixture.child), 0, 'generation 1 exits by itself once drained');
  } finally {
    fixture.stop();
  }
});

test.run();
