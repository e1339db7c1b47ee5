// reloadSignal: a serveWorkers primary in its own process reloads its pool
// on SIGHUP (each slot's new worker runs the module's new version), a failed
// reload is logged and the pool serves on, and SIGTERM (the fixture's own
// handler) stops it with no worker left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitOf, startRestartFixture } from './restart-lib.mjs';
import { ask, versionFile } from './pool-lib.mjs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('SIGHUP reloads the pool; a failing version is refused and the pool serves on; SIGTERM stops it', async () => {
  const version = versionFile('v1');
  const fixture = startRestartFixture({ FIXTURE_WORKER_VERSION_FILE: version.path }, 'pool-primary.mjs');
  try {
    const ready = await fixture.next((e) => e.event === 'ready', 'pool ready');
    assert.is((await ask(ready.port)).version, 'v1');

    version.set('v2');
    process.kill(ready.pid, 'SIGHUP');
    const second = await fixture.next((e) => e.event === 'reload' && e.id === 1, 'slot 1 reloaded');
    const first = fixture.events.find((e) => e.event === 'reload' && e.id === 0);
    assert.equal([first.previous, second.previous], ready.pids);
    const answer = await ask(ready.port);
    assert.is(answer.version, 'v2');
    assert.ok([first.worker, second.worker].includes(answer.pid));

    version.set('fail');
    process.kill(ready.pid, 'SIGHUP');
    const failed = await fixture.next((e) => e.event === 'reload-failed', 'reload failed');
    assert.is(failed.code, 'ERR_RESTART');
    const still = await ask(ready.port);
    assert.is(still.version, 'v2');
    assert.ok([first.worker, second.worker].includes(still.pid));

    process.kill(ready.pid, 'SIGTERM');
    const stopped = await fixture.next((e) => e.event === 'stopped', 'pool stopped');
    assert.equal(stopped.pids, [0, 0]);
    assert.is(await exitOf(fixture.child), 0);
    for (const e of fixture.events) if (e.event === 'worker') assert.ok(!alive(e.pid), `worker ${e.pid} gone`);
  } finally {
    fixture.stop();
    version.remove();
  }
});

test.run();
