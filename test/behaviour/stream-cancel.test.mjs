// signal / timeoutMs cover the whole call, streamed answers included; leaving
// frames() early resets; streamRequest takes { signal } (issue 8 §4).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, Flags } from '../../dist/index.js';
import { startServer, until, rejection, deferred } from '../helpers.mjs';

/** cmd 1 streams `n` frames (payload: how many), one per `tick` promise, then StreamEnd; records how it ended. */
function streamingMux(log) {
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    const n = Number(req.payload.toString());
    try {
      for (let i = 0; i < n; i++) {
        if (req.signal.aborted) break;
        await w.startWrite(req.requestId, 1, Flags.Stream).writeBytes(`part ${i}`).endWrite();
        await new Promise((r) => setImmediate(r));
      }
      if (!req.signal.aborted) await w.startWrite(req.requestId, 1, Flags.StreamEnd).endWrite();
    } catch (err) {
      log.push(`write failed ${err.code}`);
    }
    log.push(req.signal.aborted ? `aborted ${req.signal.reason?.code}` : 'finished');
  });
  return mux;
}

/** A streamed answer to an NB request: request() then frames(). */
function open(conn, n) {
  return conn.request(1, Flags.NB, String(n));
}

test('aborting mid-stream resets the request (the handler sees it) and ends the iterator with ERR_ABORTED', async () => {
  const log = [];
  const { server, addr } = await startServer(streamingMux(log));
  const conn = await connect(addr);
  try {
    const ac = new AbortController();
    const { response } = open(conn, 1_000_000);
    const got = [];
    const err = await rejection(
      (async () => {
        for await (const f of response.frames({ signal: ac.signal })) {
          got.push(f.payload.toString());
          if (got.length === 3) ac.abort();
        }
      })(),
    );
    assert.is(err.code, 'ERR_ABORTED');
    assert.equal(got.slice(0, 3), ['part 0', 'part 1', 'part 2']);
    await until(() => log.length === 1, 'handler ended');
    assert.equal(log, ['aborted ERR_STREAM_RESET']);
    await until(() => conn.openStreams === 0, 'client stopped tracking');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('timeoutMs covers the whole streamed answer, not just its first frame', async () => {
  const log = [];
  const { server, addr } = await startServer(streamingMux(log));
  const conn = await connect(addr);
  try {
    const { response } = open(conn, 1_000_000);
    let frames = 0;
    const err = await rejection(
      (async () => {
        for await (const _f of response.frames({ timeoutMs: 150 })) frames++;
      })(),
    );
    assert.is(err.code, 'ERR_TIMEOUT');
    assert.ok(frames > 1, 'frames kept arriving after the first');
    await until(() => log.length === 1, 'handler ended');
    assert.equal(log, ['aborted ERR_STREAM_RESET']);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('leaving the loop early (break) resets the stream and stops tracking it; the connection goes on', async () => {
  const log = [];
  const { server, addr } = await startServer(streamingMux(log));
  const conn = await connect(addr);
  try {
    const { response } = open(conn, 1_000_000);
    for await (const f of response.frames()) {
      if (f.payload.toString() === 'part 2') break;
    }
    assert.is(conn.openStreams, 0, 'untracked at once');
    await until(() => log.length === 1, 'handler ended');
    assert.equal(log, ['aborted ERR_STREAM_RESET']);
    // A complete stream still works afterwards.
    const rest = [];
    for await (const f of open(conn, 2).response.frames()) rest.push(f.payload.toString());
    assert.equal(rest, ['part 0', 'part 1', '']);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('streamRequest takes { signal }: aborting resets both directions; an aborted signal opens nothing', async () => {
  const ended = deferred();
  const mux = new ServeMux();
  mux.handle(2, async (w, req) => {
    try {
      for await (const _f of req.frames());
      ended.resolve('completed');
    } catch (err) {
      ended.resolve(err.code);
    }
  });
  const { server, addr } = await startServer(mux);
  const conn = await connect(addr);
  try {
    assert.throws(() => conn.streamRequest(2, 0, 'first', { signal: AbortSignal.abort() }), (e) => e.code === 'ERR_ABORTED');
    assert.is(conn.openStreams, 0, 'nothing opened');
    const ac = new AbortController();
    const { writer, response } = conn.streamRequest(2, 0, 'first', { signal: ac.signal });
    await writer.write('second');
    ac.abort();
    assert.is(await ended.promise, 'ERR_STREAM_RESET', "the server's frames() ends with the reset");
    assert.is((await rejection(response.frame())).code, 'ERR_ABORTED');
    assert.is((await rejection(writer.write('third'))).code, 'ERR_WRITE_AFTER_CLOSE');
    assert.is(conn.openStreams, 0);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test.run();
