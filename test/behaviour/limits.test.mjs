// Limits and timeouts (protocol.md §1 and §10, issue 2 point 11): frame size
// on both ends, invalid length, inbound frame rate, in-flight non-blocking
// requests, read (idle) timeout, stalled payload, write timeout with bounded
// memory, throttle / clearThrottle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, encodeFrame, Flags } from '../../dist/index.js';
import { startServer, helloMux, RawPeer, rawServer, until, rejection, deferred } from '../helpers.mjs';

const hello = (id, payload) => encodeFrame(BigInt(id), 0, 1, Buffer.concat([Buffer.from('hello world '), Buffer.from(payload)]));

/** A header announcing `length` (the field after itself), nothing else. */
function header(length, id = 3, flags = 0, cmd = 0) {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(length, 0);
  b.writeBigUInt64BE(BigInt(id), 4);
  b.writeUInt32BE(((flags << 24) | cmd) >>> 0, 12);
  return b;
}

/** Server whose binding onClose errors are recorded. */
async function serverWithCloses(handler, options = {}) {
  const closes = [];
  const s = await startServer(handler, { ...options, onClose: (conn, err) => closes.push(err) });
  return { ...s, closes };
}

/** A server (binding onClose errors recorded) and a raw peer connected to it, both torn down after `body`. */
async function withPeer(handler, options, body) {
  if (typeof options === 'function') [options, body] = [{}, options];
  const { server, port, closes } = await serverWithCloses(handler, options);
  const peer = await RawPeer.connect(port);
  try {
    return await body({ peer, closes, server, port });
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
}

test('server maxFrameSize: length == limit is served, length > limit closes before any payload and answers nothing (ERR_FRAME_TOO_LARGE)', async () => {
  const LIMIT = 1024;
  let handled = 0;
  // The answer names the size it got (an echo of a frame at the limit would itself be over the limit).
  const mux = new ServeMux();
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, String(req.payload.length)));
  mux.handle(2, (w, req) => {
    handled++;
    return w.reply(req.requestId, 2, 'x');
  });
  await withPeer(mux, { maxFrameSize: LIMIT }, async ({ peer, closes }) => {
    const payload = Buffer.alloc(LIMIT - 12, 0x61);
    peer.sendFrame(3, 0, 0, payload); // length field == LIMIT exactly
    const answer = encodeFrame(3n, 0, 1, Buffer.from(String(LIMIT - 12)));
    await peer.waitBytes(answer.length);
    assert.ok(peer.received.equals(answer), 'a frame at the limit is answered');

    const before = peer.received.length;
    peer.send(header(LIMIT + 1, 5, 0, 2)); // header only: the payload never needs to come
    await peer.waitClose();
    assert.is(peer.received.length, before, 'nothing answered to the oversize frame');
    assert.is(handled, 0, 'no handler ran');
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_FRAME_TOO_LARGE');
  });
});

test('server default maxFrameSize is 10 MiB compared against length', async () => {
  await withPeer(helloMux(), async ({ peer, closes }) => {
    peer.send(header(10 * 1024 * 1024 + 1));
    await peer.waitClose();
    assert.is(peer.received.length, 0);
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_FRAME_TOO_LARGE');
  });
});

test('client maxFrameSize: an oversize header from the server closes the client; the pending call fails ERR_CONN_CLOSED caused by ERR_FRAME_TOO_LARGE', async () => {
  const LIMIT = 4096;
  const raw = await rawServer(async (peer) => {
    const [req] = await peer.waitFrames(1);
    peer.send(header(LIMIT + 1, req.requestId, 0, 1));
  });
  const disconnects = [];
  const conn = await connect(`127.0.0.1:${raw.port}`, { maxFrameSize: LIMIT, onDisconnect: (_c, err) => disconnects.push(err) });
  try {
    const err = await rejection(conn.call(0, 'x'));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    assert.is(err.cause?.code, 'ERR_FRAME_TOO_LARGE');
    await conn.closed;
    assert.is(disconnects.length, 1);
    assert.is(disconnects[0]?.code, 'ERR_FRAME_TOO_LARGE');
  } finally {
    await conn.close();
    await raw.close();
  }
});

/** A scripted server answers the client's first request with `answer(requestId)`; the call must fail with ERR_CONN_CLOSED caused by `code`. */
async function clientRejectsAnswer(answer, code, clientOptions = {}) {
  const raw = await rawServer(async (peer) => {
    const [req] = await peer.waitFrames(1);
    peer.send(answer(req.requestId));
  });
  const conn = await connect(`127.0.0.1:${raw.port}`, clientOptions);
  try {
    const err = await rejection(conn.call(0, 'x'));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    assert.is(err.cause?.code, code);
  } finally {
    await conn.close();
    await raw.close();
  }
}

test('client applies a 10 MiB limit by default', async () => {
  await clientRejectsAnswer((id) => header(10 * 1024 * 1024 + 1, id, 0, 1), 'ERR_FRAME_TOO_LARGE');
});

test('length < 12 closes the connection with ERR_INVALID_FRAME (server and client)', async () => {
  await withPeer(helloMux(), async ({ peer, closes }) => {
    peer.send(header(11));
    await peer.waitClose();
    assert.is(peer.received.length, 0);
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_INVALID_FRAME');
  });

  await clientRejectsAnswer((id) => header(0, id), 'ERR_INVALID_FRAME');
});

test('maxInboundFramesPerSecond: within the limit requests are served; a burst above it closes the connection (ERR_RATE_LIMIT)', async () => {
  await withPeer(helloMux(), { maxInboundFramesPerSecond: 5 }, async ({ peer, closes }) => {
    peer.send(Buffer.concat([1, 3, 5].map((id) => encodeFrame(BigInt(id), Flags.NB, 0, Buffer.from('r')))));
    const got = await peer.waitFrames(3);
    assert.equal(got.map((f) => f.requestId).sort(), [1n, 3n, 5n]);
    // 20 more in one write: above 5 per second whatever the window.
    const burst = [];
    for (let i = 0; i < 20; i++) burst.push(encodeFrame(BigInt(101 + 2 * i), Flags.NB, 0, Buffer.from('b')));
    peer.send(Buffer.concat(burst));
    await peer.waitClose();
    assert.ok(peer.frames.length < 3 + 20, 'the burst was not served in full');
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_RATE_LIMIT');
  });
});

test('maxInflightNonBlocking: up to the limit stays open; one more non-blocking request in flight closes (ERR_TOO_MANY_INFLIGHT)', async () => {
  const gate = deferred();
  let entered = 0;
  const mux = new ServeMux();
  mux.handle(2, async (w, req) => {
    entered++;
    await gate.promise;
    await w.reply(req.requestId, 2, 'late').catch(() => {});
  });
  mux.handle(0, (w, req) => w.reply(req.requestId, 0, 'open'));
  const { server, port, closes } = await serverWithCloses(mux, { maxInflightNonBlocking: 2 });
  const peer = await RawPeer.connect(port);
  try {
    peer.send(Buffer.concat([encodeFrame(1n, Flags.NB, 2), encodeFrame(3n, Flags.NB, 2)]));
    await until(() => entered === 2, 'two handlers in flight');
    // A blocking request (not counted against the limit), read after both: its answer shows the connection stayed open.
    peer.sendFrame(9, 0, 0);
    const [probe] = await peer.waitFrames(1);
    assert.equal({ id: probe.requestId, payload: probe.payload.toString() }, { id: 9n, payload: 'open' }, 'at the limit the connection stays open');
    assert.is(closes.length, 0);
    peer.sendFrame(5, Flags.NB, 2);
    await peer.waitClose();
    assert.is(entered, 2, 'the request over the limit was not dispatched');
    assert.is(peer.frames.length, 1, 'nothing answered after the probe');
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_TOO_MANY_INFLIGHT');
  } finally {
    gate.resolve();
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('readTimeoutMs: an idle connection is cut off with ERR_READ_TIMEOUT after being served', async () => {
  await withPeer(helloMux(), { readTimeoutMs: 150 }, async ({ peer, closes }) => {
    peer.sendFrame(3, 0, 0, 'a');
    await peer.waitFrames(1);
    assert.ok(peer.received.equals(hello(3, 'a')));
    await peer.waitClose();
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_READ_TIMEOUT');
  });
});

test('client readTimeoutMs: a silent server is cut off with ERR_READ_TIMEOUT and the pending call fails', async () => {
  const raw = await rawServer(() => {});
  const disconnects = [];
  const conn = await connect(`127.0.0.1:${raw.port}`, { readTimeoutMs: 150, onDisconnect: (_c, err) => disconnects.push(err) });
  try {
    const err = await rejection(conn.call(0, 'x'));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    assert.is(err.cause?.code, 'ERR_READ_TIMEOUT');
    assert.is(disconnects[0]?.code, 'ERR_READ_TIMEOUT');
  } finally {
    await conn.close();
    await raw.close();
  }
});

test('ConnectionInfo.setReadTimeout changes the idle cut-off of one connection', async () => {
  const mux = helloMux();
  mux.handle(4, (w, req) => {
    req.connection.setReadTimeout(100);
    return w.reply(req.requestId, 4, 'set');
  });
  await withPeer(mux, async ({ peer, closes }) => {
    peer.sendFrame(3, 0, 4);
    await peer.waitFrames(1);
    await peer.waitClose();
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_READ_TIMEOUT');
  });
});

test('stalledPayloadMs: header then part of the payload then silence closes with ERR_STALLED_PAYLOAD, nothing dispatched', async () => {
  let handled = 0;
  const mux = helloMux();
  mux.handle(2, () => {
    handled++;
  });
  await withPeer(mux, { stalledPayloadMs: 150 }, async ({ peer, closes }) => {
    const full = encodeFrame(3n, 0, 2, Buffer.alloc(100, 1));
    peer.send(full.subarray(0, 16 + 10));
    await peer.waitClose();
    assert.is(handled, 0);
    assert.is(peer.received.length, 0);
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_STALLED_PAYLOAD');
  });
});

test('stalledPayloadMs does not cut a connection that is merely idle between frames', async () => {
  // The idle connection is cut by the (much later) read timeout, not by the stall timer.
  await withPeer(helloMux(), { stalledPayloadMs: 50, readTimeoutMs: 300 }, async ({ peer, closes }) => {
    peer.sendFrame(3, 0, 0, 'a');
    await peer.waitFrames(1);
    peer.sendFrame(5, 0, 0, 'b');
    await peer.waitFrames(2);
    assert.ok(peer.received.equals(Buffer.concat([hello(3, 'a'), hello(5, 'b')])));
    await peer.waitClose();
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_READ_TIMEOUT', 'idle between frames is not a stalled payload');
  });
});

test('writeTimeoutMs: a peer that never reads is cut off with ERR_WRITE_TIMEOUT; endWrite waits above highWaterMark so memory stays bounded', async () => {
  const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
  const CAP = 256 * 1024 * 1024; // without backpressure the handler would get here
  const result = deferred();
  const mux = new ServeMux();
  mux.handle(3, async (w, req) => {
    let written = 0;
    let waited = 0;
    try {
      while (written < CAP) {
        const p = w.startWrite(req.requestId, 3, Flags.Stream).writeBytes(CHUNK).endWrite();
        let settled = false;
        p.then(
          () => (settled = true),
          () => (settled = true),
        );
        await new Promise((r) => setImmediate(r));
        if (!settled) waited++;
        await p;
        written += CHUNK.length;
      }
      result.resolve({ written, waited, error: null });
    } catch (err) {
      result.resolve({ written, waited, error: err });
    }
  });
  await withPeer(mux, { writeTimeoutMs: 200, highWaterMark: 256 * 1024 }, async ({ peer, closes }) => {
    peer.socket.pause(); // never read
    peer.sendFrame(1, Flags.NB, 3);
    const r = await result.promise;
    assert.ok(r.error !== null, `the writer was stopped (wrote ${r.written} bytes)`);
    assert.ok(r.written < 64 * 1024 * 1024, `memory bounded: ${r.written} bytes accepted before the cut-off`);
    assert.ok(r.waited > 0, 'endWrite waited at least once above the high-water mark');
    assert.is(r.error.code, 'ERR_CONN_CLOSED');
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_WRITE_TIMEOUT');
  });
});

test('setThrottle: requests on existing and new connections wait unanswered; clearThrottle serves them', async () => {
  // The handler logs what it serves; 'cleared' is logged when the throttle is lifted.
  const log = [];
  const mux = new ServeMux();
  mux.handle(0, (w, req) => (log.push(req.payload.toString()), w.reply(req.requestId, 1, `hello world ${req.payload}`)));
  const { server, addr } = await startServer(mux);
  // Another server in this process: round trips to it prove the event loop has
  // read what was already sent, so a throttled request would have been served by then.
  const control = await startServer(helloMux());
  const probe = await connect(control.addr);
  const settle = async () => {
    for (let i = 0; i < 3; i++) await probe.call(0, 'tick');
  };
  const existing = await connect(addr);
  let fresh = null;
  try {
    assert.is((await existing.call(0, 'pre')).payload.toString(), 'hello world pre');
    server.setThrottle(0);
    const p1 = existing.call(0, 'e');
    fresh = await connect(addr);
    const p2 = fresh.call(0, 'f');
    await settle();
    log.push('cleared');
    server.clearThrottle(0);
    assert.is((await p1).payload.toString(), 'hello world e');
    assert.is((await p2).payload.toString(), 'hello world f');
    assert.equal(log.slice(0, 2), ['pre', 'cleared'], 'nothing served while throttled');
    assert.equal(log.slice(2).sort(), ['e', 'f'], 'both served after clearThrottle');
    // Throttling every binding (no index) works the same way.
    server.setThrottle();
    const p3 = fresh.call(0, 'g');
    await settle();
    log.push('cleared all');
    server.clearThrottle();
    await p3;
    assert.equal(log.slice(4), ['cleared all', 'g']);
  } finally {
    await existing.close();
    if (fresh) await fresh.close();
    await probe.close();
    await server.shutdown({ timeoutMs: 500 });
    await control.server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
