// Fault 5: abrupt disconnects. (a) A peer with 50 calls in flight, a streamed
// request and a streamed response open has its socket destroyed: every
// handler's req.signal aborts and the server tracks no connection. (b) The
// server process is SIGKILLed while a client has 50 calls in flight and is
// iterating a streamed response: every pending call rejects with
// ERR_CONN_CLOSED (cause set), the iterator throws, nothing hangs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, Flags } from '../../dist/index.js';
import { startServer, RawPeer } from '../helpers.mjs';
import { startFixture, trapFatal, report, within, waitFor } from './lib.mjs';
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** An in-process server whose handlers (cmd 4 never answers, cmd 3 streams, cmd 5 reads req.frames()) count entries and req.signal aborts. */
async function abortCountingServer() {
  const c = { entered: 0, aborted: 0, continuations: 0 };
  const onAbort = (req) => {
    c.entered++;
    if (req.signal.aborted) c.aborted++;
    else req.signal.addEventListener('abort', () => c.aborted++, { once: true });
  };
  const mux = new ServeMux();
  mux.handle(4, (w, req) => {
    onAbort(req);
    return new Promise((resolve) => req.signal.addEventListener('abort', resolve, { once: true }));
  });
  mux.handle(3, async (w, req) => {
    onAbort(req);
    try {
      for (let i = 0; !req.signal.aborted && i < 100_000; i++) {
        await w.startWrite(req.requestId, 3, Flags.Stream).writeBytes(`s${i}`).endWrite();
        await new Promise((r) => setTimeout(r, 1));
      }
    } catch {}
  });
  mux.handle(5, async (w, req) => {
    onAbort(req);
    try {
      for await (const f of req.frames()) c.continuations++;
    } catch {}
  });
  const s = await startServer(mux);
  return { ...s, c };
}

test('(a) peer socket destroyed with 50 calls, a streamed request and a streamed response in flight: every req.signal aborts, connections back to 0', async () => {
  const fatal = trapFatal();
  const { server, port, c } = await abortCountingServer();
  const peer = await RawPeer.connect(port);
  try {
    for (let i = 0; i < 50; i++) peer.sendFrame(101 + 2 * i, Flags.NB, 4, 'wait');
    peer.sendFrame(1, Flags.NB, 3, 'stream me'); // streamed response
    peer.sendFrame(3, Flags.Stream, 5, 'first'); // streamed request, never ended
    peer.sendFrame(3, Flags.Stream, 5, 'second');
    await waitFor(() => c.entered === 52 && c.continuations >= 1, 10_000, () => `52 handlers running (${c.entered})`);
    await within(peer.waitFrames(3), 10_000, 'the streamed response is flowing');
    peer.destroy();
    await waitFor(() => c.aborted === 52, 10_000, () => `every req.signal aborted (${c.aborted}/52)`);
    await waitFor(() => server.stats(0).connections === 0, 10_000, () => `connections === 0 (is ${server.stats(0).connections})`);
    report(`(a) destroyed raw peer: ${c.aborted}/52 signals aborted, connections ${server.stats(0).connections}`);
    assert.is(c.aborted, 52);
    assert.is(server.stats(0).connections, 0);
    assert.is(fatal.seen.length, 0, fatal.describe());
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

test('(a2) a real client process SIGKILLed with 50 calls, a streamed request and a streamed response in flight: every req.signal aborts, connections back to 0', async () => {
  const fatal = trapFatal();
  const { server, port, c } = await abortCountingServer();
  const child = fork(join(here, 'fixtures', 'client.mjs'), [String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)));
  let frames = 0;
  child.on('message', (m) => m.op === 'frame' && frames++);
  try {
    await waitFor(() => c.entered === 52 && c.continuations >= 1 && frames >= 3, 10_000, () => `the client's work in flight (handlers ${c.entered}/52, streamed frames seen ${frames})`);
    child.kill('SIGKILL');
    assert.is(await exited, 'SIGKILL');
    await waitFor(() => c.aborted === 52, 10_000, () => `every req.signal aborted (${c.aborted}/52)`);
    await waitFor(() => server.stats(0).connections === 0, 10_000, 'connections === 0');
    report(`(a2) SIGKILLed client process: ${c.aborted}/52 signals aborted, connections ${server.stats(0).connections}`);
    assert.is(c.aborted, 52);
    assert.is(fatal.seen.length, 0, fatal.describe());
  } finally {
    child.kill('SIGKILL');
    await exited;
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

test('(b) server process SIGKILLed with 50 calls in flight and a streamed response being iterated: all reject ERR_CONN_CLOSED (cause set), the iterator throws', async () => {
  const fatal = trapFatal();
  const fx = await startFixture({});
  const conn = await connect(`127.0.0.1:${fx.port}`);
  try {
    const calls = Array.from({ length: 50 }, (_, i) => conn.call(4, `c${i}`));
    const callsSettled = Promise.allSettled(calls); // observed at once: no unhandled rejection of ours
    const { response } = conn.request(3, Flags.NB, 'stream');
    let got = 0;
    let sawFive;
    const five = new Promise((r) => (sawFive = r));
    const iterating = (async () => {
      for await (const f of response.frames()) {
        if (++got === 5) sawFive();
      }
      return got;
    })();
    const iterSettled = Promise.allSettled([iterating]);
    iterating.catch(() => sawFive()); // if it ends early, stop waiting
    await within(five, 10_000, 'five streamed frames');
    const { signal } = await fx.kill('SIGKILL');
    assert.is(signal, 'SIGKILL');
    const settled = await within(Promise.all([callsSettled, iterSettled]).then(([a, b]) => [...a, ...b]), 10_000, 'every pending call settles after the kill');
    const callResults = settled.slice(0, 50);
    const iter = settled[50];
    const codes = {};
    for (const r of callResults) {
      const k = r.status === 'fulfilled' ? 'fulfilled' : `${r.reason?.code}${r.reason?.cause ? '+cause' : ''}`;
      codes[k] = (codes[k] ?? 0) + 1;
    }
    report(`(b) SIGKILL: 50 calls settled as ${JSON.stringify(codes)}; iterator ${iter.status === 'rejected' ? `threw ${iter.reason?.code}` : `ended after ${iter.value} frames`} (${got} frames seen)`);
    for (const r of callResults) {
      assert.is(r.status, 'rejected');
      assert.is(r.reason.code, 'ERR_CONN_CLOSED');
      assert.ok(r.reason.cause !== undefined && r.reason.cause !== null, `err.cause is set (message: ${r.reason.message})`);
    }
    assert.is(iter.status, 'rejected', 'the response iterator throws');
    assert.is(iter.reason.code, 'ERR_CONN_CLOSED');
    await within(conn.closed, 10_000, 'conn.closed');
    assert.is(fatal.seen.length, 0, fatal.describe());
  } finally {
    await conn.close();
    await fx.kill();
    fatal.dispose();
  }
});

test.run();
