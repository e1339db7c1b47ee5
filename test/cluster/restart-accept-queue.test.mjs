// Connections waiting in the accept queue survive the handover: the old
// process hands on the very same listening socket (not a second SO_REUSEPORT
// socket, whose close would reset what waits in its queue).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawPeer } from '../helpers.mjs';
import { startRestartFixture, exitOf } from './restart-lib.mjs';
import { backend, Flags, connect } from '../../dist/index.js';

const WAITING = 20;

/** Opens `n` raw connections (accepted or not: the kernel completes the handshake) and writes one call on each. */
async function queuedCalls(port, n) {
  const peers = await Promise.all(Array.from({ length: n }, () => RawPeer.connect(port)));
  peers.forEach((p, i) => p.sendFrame(2 * i + 3, Flags.NB, 1));
  return peers;
}

/** The answer on each peer: its request id back, and the pid of the process that served it. */
async function answers(peers) {
  return Promise.all(peers.map(async (p, i) => {
    const [frame] = await p.waitFrames(1);
    assert.is(frame.requestId, BigInt(2 * i + 3));
    return frame.payload.toString();
  }));
}

test('connections queued while the successor is stopped, after the old process closed: all served', async () => {
  const fixture = startRestartFixture({ FIXTURE_STOP_GENERATION: '2' });
  try {
    const first = await fixture.next((e) => e.event === 'ready', 'generation 1 ready');
    process.kill(first.pid, 'SIGHUP');
    const second = await fixture.next((e) => e.event === 'ready' && e.generation === 2, 'generation 2 ready (then stopped)');
    assert.is(await exitOf(fixture.child), 0, 'generation 1 closed its listener and exited');
    const peers = await queuedCalls(first.port, WAITING);
    process.kill(second.pid, 'SIGCONT');
    assert.equal(await answers(peers), Array(WAITING).fill(String(second.pid)));
    for (const p of peers) p.destroy();
  } finally {
    fixture.stop();
  }
});

// Native only: a throttled native listener leaves new connections in the kernel's queue, so they are
// still waiting there when the old process closes it. node:net cannot stop accepting: the fallback's
// throttle holds accepted sockets in JS, and those are dropped when the listener closes.
const nativeOnly = backend().name === 'native' ? test : () => console.log('# the throttled-listener queue case runs on the native backend only');
nativeOnly('connections waiting in the old process\'s accept queue are served by the successor', async () => {
  const fixture = startRestartFixture();
  try {
    const first = await fixture.next((e) => e.event === 'ready', 'generation 1 ready');
    const control = await connect(`127.0.0.1:${first.port}`);
    assert.is((await control.call(4, '')).payload.toString(), 'throttled');
    const peers = await queuedCalls(first.port, WAITING);
    process.kill(first.pid, 'SIGHUP');
    const second = await fixture.next((e) => e.event === 'ready' && e.generation === 2, 'generation 2 ready');
    assert.equal(await answers(peers), Array(WAITING).fill(String(second.pid)));
    assert.is(await exitOf(fixture.child), 0);
    for (const p of peers) p.destroy();
    await control.close();
  } finally {
    fixture.stop();
  }
});

test.run();
