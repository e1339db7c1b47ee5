// Graceful shutdown (protocol.md §10, issue 2 point 14): stop accepting,
// answer requests arriving during the drain with a Shutdown reset, let
// in-flight handlers finish and flush, close; after the deadline reset what
// still runs (signal aborted). No accepted request is left without an answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server, ServeMux, connect, encodeFrame, Flags, ResetReason } from '../../dist/index.js';
import { startServer, RawPeer, until, rejection, deferred } from '../helpers.mjs';

const reset = (id, reason) => encodeFrame(BigInt(id), Flags.StreamRst, reason);

/** Resolves once a new connection to `port` is refused (the listener is closed). */
async function untilRefused(port) {
  for (let i = 0; i < 200; i++) {
    try {
      const c = await connect(`127.0.0.1:${port}`);
      await c.close();
    } catch (err) {
      return err;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('new connections were still accepted');
}

function gatedMux() {
  const gate = deferred();
  const entered = [];
  const mux = new ServeMux();
  // cmd 1: waits for the gate, then answers "done:" + payload (cmd 1).
  mux.handle(1, async (w, req) => {
    entered.push(req.payload.toString());
    await gate.promise;
    await w.reply(req.requestId, 1, `done:${req.payload}`);
  });
  // cmd 0: answers at once.
  mux.handle(0, (w, req) => w.reply(req.requestId, 0, `now:${req.payload}`));
  return { mux, gate, entered };
}

test('drain: new connects fail, in-flight handlers finish and their answers arrive, requests during the drain get a Shutdown reset, then connections close', async () => {
  const { mux, gate, entered } = gatedMux();
  const { server, port } = await startServer(mux);
  const busy = await RawPeer.connect(port);
  const idle = await RawPeer.connect(port);
  let shutdownCalled = 0;
  server.onShutdown(() => shutdownCalled++);
  try {
    busy.sendFrame(3, 0, 1, 'slow'); // blocking, in flight
    busy.sendFrame(5, Flags.NB, 1, 'slow-nb'); // queued behind the blocking handler
    await until(() => entered.length === 1, 'blocking handler running');
    let done = false;
    const shut = server.shutdown({ timeoutMs: 5000 }).then(() => (done = true));
    assert.is(shutdownCalled, 1, 'onShutdown runs when shutdown begins');

    const refused = await untilRefused(port);
    assert.is(refused.code, 'ERR_CONNECT', 'new connections are refused during the drain');

    // A request arriving during the drain on an idle connection is reset at once.
    idle.sendFrame(7, 0, 0, 'late');
    await idle.waitFrames(1);
    assert.is(idle.received.toString('hex'), reset(7, ResetReason.Shutdown).toString('hex'));
    assert.is(idle.closed, false, 'connections stay open while others drain');
    assert.is(done, false, 'shutdown waits for the in-flight handler');

    gate.resolve();
    await shut;
    await busy.waitClose();
    await idle.waitClose();
    const byId = new Map(busy.frames.map((f) => [f.requestId, f]));
    assert.is(busy.frames.length, 3, 'one answer per request, then the connection notice');
    assert.equal({ flags: byId.get(0n).flags, cmd: byId.get(0n).cmd }, { flags: Flags.StreamRst, cmd: ResetReason.Shutdown }, 'the notice: a reset of id 0, reason Shutdown');
    assert.is(byId.get(3n).payload.toString(), 'done:slow', 'the in-flight answer arrived');
    assert.equal({ flags: byId.get(5n).flags, cmd: byId.get(5n).cmd }, { flags: Flags.StreamRst, cmd: ResetReason.Shutdown }, 'the queued request was not dispatched: Shutdown reset');
    assert.equal(entered, ['slow'], 'no handler started after the drain began');
    assert.ok(busy.received.subarray(0, 4 + busy.received.readUInt32BE(0)).equals(encodeFrame(3n, 0, 1, Buffer.from('done:slow'))), 'answer bytes exact');
    assert.is(shutdownCalled, 1);
  } finally {
    gate.resolve();
    busy.destroy();
    idle.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('deadline: handlers still running are reset with reason Shutdown, their signal is aborted, connections close', async () => {
  const signals = [];
  const mux = new ServeMux();
  mux.handle(2, (w, req) => {
    signals.push(req.signal);
    // Never answers on its own; ends when aborted.
    return new Promise((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }));
  });
  const { server, port, addr } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  const conn = await connect(addr);
  try {
    peer.sendFrame(3, Flags.NB, 2);
    peer.sendFrame(5, 0, 2);
    const call = conn.call(2, 'c');
    call.catch(() => {}); // inspected after the shutdown
    await until(() => signals.length === 3, 'three handlers running');
    await server.shutdown({ timeoutMs: 150 });
    for (const s of signals) {
      assert.is(s.aborted, true, 'signal aborted at the deadline');
      assert.is(s.reason?.code, 'ERR_SHUTDOWN');
    }
    await peer.waitClose();
    const frames = peer.frames.map((f) => ({ id: f.requestId, flags: f.flags, cmd: f.cmd, len: f.payload.length }));
    frames.sort((a, b) => Number(a.id - b.id));
    assert.equal(frames, [
      { id: 0n, flags: Flags.StreamRst, cmd: ResetReason.Shutdown, len: 0 }, // the connection notice
      { id: 3n, flags: Flags.StreamRst, cmd: ResetReason.Shutdown, len: 0 },
      { id: 5n, flags: Flags.StreamRst, cmd: ResetReason.Shutdown, len: 0 },
    ]);
    const err = await rejection(call);
    assert.is(err.code, 'ERR_STREAM_RESET');
    assert.is(err.reason, ResetReason.Shutdown);
    await conn.closed;
  } finally {
    peer.destroy();
    await conn.close();
  }
});

test('deadline with blocking requests queued behind a running one: each id gets exactly one Shutdown reset, close reason stays ERR_SHUTDOWN', async () => {
  let entered = 0;
  const mux = new ServeMux();
  mux.handle(2, (w, req) => {
    entered++;
    // Ends as soon as it is aborted, without answering.
    return new Promise((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }));
  });
  const closes = [];
  const { server, port } = await startServer(mux, { onClose: (_c, err) => closes.push(err) });
  const peer = await RawPeer.connect(port);
  try {
    peer.send(Buffer.concat([encodeFrame(3n, 0, 2), encodeFrame(5n, 0, 2), encodeFrame(7n, 0, 2)]));
    await until(() => entered === 1, 'first blocking handler running');
    await server.shutdown({ timeoutMs: 100 });
    await peer.waitClose();
    assert.is(entered, 1, 'queued requests never reach a handler');
    // ... then the connection notice (a reset of id 0, reason Shutdown) that tells our clients why they are closed.
    const expected = Buffer.concat([reset(3, ResetReason.Shutdown), reset(5, ResetReason.Shutdown), reset(7, ResetReason.Shutdown), reset(0, ResetReason.Shutdown)]);
    assert.is(peer.received.toString('hex'), expected.toString('hex'), 'one reset per id, in order, then the notice, nothing else');
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_SHUTDOWN');
  } finally {
    peer.destroy();
  }
});

test('every accepted request gets exactly one answer (reply or reset) across a shutdown with a deadline', async () => {
  const mux = new ServeMux();
  let entered = 0;
  // cmd 1: answers after `payload` ms (0 = at once; big = past the deadline; aborted → returns without answering).
  mux.handle(1, async (w, req) => {
    entered++;
    const ms = Number(req.payload.toString());
    if (ms > 0) {
      await new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        req.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    if (!req.signal.aborted) await w.reply(req.requestId, 1, `ok${ms}`);
  });
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  try {
    const frames = [];
    const ids = [];
    let id = 1;
    const delays = [0, 20, 60, 5000, 0, 100, 5000, 30];
    // Non-blocking first so they dispatch at once, then a run of blocking ones.
    for (const d of delays) {
      frames.push(encodeFrame(BigInt(id), Flags.NB, 1, Buffer.from(String(d))));
      ids.push(BigInt(id));
      id += 2;
    }
    for (const d of [40, 0, 5000, 0, 10]) {
      frames.push(encodeFrame(BigInt(id), 0, 1, Buffer.from(String(d))));
      ids.push(BigInt(id));
      id += 2;
    }
    peer.send(Buffer.concat(frames)); // one write: all requests are read before the shutdown
    await until(() => entered >= delays.length + 1, 'non-blocking handlers and the first blocking one running');
    await server.shutdown({ timeoutMs: 250 });
    await peer.waitClose();
    // Id 0 is the connection notice (reason Shutdown) that closes the exchange.
    const answered = peer.frames.map((f) => f.requestId).filter((id) => id !== 0n).sort((a, b) => (a < b ? -1 : 1));
    assert.equal(answered, ids, 'exactly one frame per request id');
    assert.is(peer.frames.at(-1).requestId, 0n, 'the notice comes last');
    for (const f of peer.frames) {
      const isReset = f.flags === Flags.StreamRst;
      if (isReset) assert.is(f.cmd, ResetReason.Shutdown, `reset of ${f.requestId} says Shutdown`);
      else assert.match(f.payload.toString(), /^ok\d+$/);
    }
    // The quick ones were answered, the 5 s ones were reset.
    const byId = new Map(peer.frames.map((f) => [f.requestId, f]));
    assert.is(byId.get(1n).payload.toString(), 'ok0');
    assert.is(byId.get(7n).flags, Flags.StreamRst);
  } finally {
    peer.destroy();
  }
});

test('client view: many calls (blocking and non-blocking, some slow) all settle across a shutdown; none is left pending or merely dropped', async () => {
  const mux = new ServeMux();
  const seenConns = new Set();
  mux.handle(1, async (w, req) => {
    seenConns.add(req.connection);
    const ms = Number(req.payload.toString());
    if (ms > 0) await new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      req.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
    if (!req.signal.aborted) await w.reply(req.requestId, 1, 'ok');
  });
  const { server, addr } = await startServer(mux);
  const clients = [await connect(addr), await connect(addr), await connect(addr)];
  try {
    const calls = [];
    for (const [i, c] of clients.entries()) {
      for (let k = 0; k < 30; k++) {
        const ms = k % 7 === 0 ? 3000 : k % 3 === 0 ? 50 : 0;
        if (k % 2 === 0) calls.push(c.call(1, String(ms)));
        else calls.push(c.request(1, 0, String(ms + i)).response.frame());
      }
    }
    // Each client's requests go out in one write; once a handler ran for every
    // connection, the server has read them all (answered, running or queued).
    await until(() => seenConns.size === clients.length, 'a handler ran on every connection');
    const results = await Promise.allSettled([server.shutdown({ timeoutMs: 300 }), ...calls]);
    assert.is(results[0].status, 'fulfilled');
    let replies = 0;
    let resets = 0;
    for (const r of results.slice(1)) {
      if (r.status === 'fulfilled') {
        replies++;
        assert.is(r.value.payload.toString(), 'ok');
      } else {
        resets++;
        assert.is(r.reason.code, 'ERR_STREAM_RESET', `a failed call was reset, not dropped (${r.reason.code})`);
        assert.is(r.reason.reason, ResetReason.Shutdown);
      }
    }
    assert.is(replies + resets, calls.length);
    assert.ok(replies > 0 && resets > 0, `both outcomes seen (${replies} replies, ${resets} resets)`);
    await Promise.all(clients.map((c) => c.closed));
  } finally {
    for (const c of clients) await c.close();
  }
});

test('shutdown with nothing in flight closes idle connections and resolves; calling it twice returns the same drain', async () => {
  const { server, addr } = await startServer((w, req) => w.reply(req.requestId, 0, 'x'));
  const disconnects = [];
  const conn = await connect(addr, { onDisconnect: (_c, e) => disconnects.push(e) });
  await conn.call(0);
  let called = 0;
  server.onShutdown(() => called++);
  server.onShutdown(() => called++);
  const a = server.shutdown({ timeoutMs: 1000 });
  const b = server.shutdown({ timeoutMs: 1000 });
  await Promise.all([a, b]);
  await conn.closed;
  assert.is(called, 2, 'each onShutdown callback runs once');
  assert.is(disconnects.length, 1);
  assert.is((await rejection(conn.call(0))).code, 'ERR_CONN_CLOSED');
  assert.is((await rejection(connect(addr))).code, 'ERR_CONNECT');
});

test('shutdown of a multi-binding server stops every binding', async () => {
  const server = new Server([
    { addr: '127.0.0.1:0', handler: (w, req) => w.reply(req.requestId, 0, 'b0') },
    { addr: '127.0.0.1:0', handler: (w, req) => w.reply(req.requestId, 0, 'b1') },
  ]);
  await server.listen();
  const a0 = `127.0.0.1:${server.address(0).port}`;
  const a1 = `127.0.0.1:${server.address(1).port}`;
  const c0 = await connect(a0);
  const c1 = await connect(a1);
  assert.is((await c1.call(0)).payload.toString(), 'b1');
  await server.shutdown({ timeoutMs: 500 });
  await c0.closed;
  await c1.closed;
  assert.is((await rejection(connect(a0))).code, 'ERR_CONNECT');
  assert.is((await rejection(connect(a1))).code, 'ERR_CONNECT');
});

test.run();
