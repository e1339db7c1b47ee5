// A connection that is waiting for a worker when that worker dies is never left hanging. Natively
// the primary keeps the dead worker's own SO_REUSEPORT socket (a pidfd_getfd duplicate) and the
// replacement serves it, so the call is answered (test/cluster/workers-kill-queue); on the
// fallback the client is told (its connection closes) and can dial again: node:cluster's 'os' scheduling (the
// default) leaves the connection to the kernel's queue of the shared socket, which the primary
// closes with its last worker (with more workers a live one accepts it). Under 'round-robin' this
// very sequence leaves the call unanswered on an open connection until its timeout: the primary
// keeps every connection it handed to a worker that never confirmed.
// The scheduling option is checked up front.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { backend, connect, serveWorkers } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';

const module = new URL('./fixtures/worker-server.mjs', import.meta.url);

test('a connection pending at the only worker when it dies is answered by the replacement (native) or closed (the client is told), never left hanging', async () => {
  const pool = await serveWorkers({ workers: 1, module, restartDelayMs: 50 });
  const [pid] = pool.pids;
  let conn;
  try {
    process.kill(pid, 'SIGSTOP'); // it accepts nothing from now on
    conn = await connect(`127.0.0.1:${pool.ports[0]}`); // the kernel completes the handshake
    // The safety net only: a hang would end as ERR_TIMEOUT and fail the assertions below.
    const call = conn.call(1, '', { timeoutMs: 20_000 }).then((f) => f.payload.toString(), (err) => err);
    const restarted = once(pool, 'restart');
    process.kill(pid, 'SIGKILL');
    const [{ pid: replacement }] = await restarted;
    const outcome = await call;
    if (backend().name === 'native') assert.is(String(outcome).split(':')[1], String(replacement), `the replacement answers, got ${outcome.code ?? outcome}`);
    else assert.is(outcome.code, 'ERR_CONN_CLOSED', `the pending connection is closed, got ${outcome.code ?? outcome}`);
  } finally {
    await conn?.close();
    await pool.stop({ timeoutMs: 1_000 });
  }
});

test("scheduling must be 'os' or 'round-robin'", async () => {
  for (const bad of ['rr', 1, null]) {
    const err = await rejection(serveWorkers({ workers: 1, module, scheduling: bad }));
    assert.is(err.code, 'ERR_INVALID_ARG', String(bad));
    assert.match(err.message, /scheduling/);
  }
});

test.run();
