// The native transport through the seam (src/transport/types.ts): the same
// events and error codes the fallback produces. No timing assertions: every
// wait is on an event.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, listen, connect, recorder, encode, rawClient, tick, opts } from './_native.mjs';
import { fallbackTransport } from '../../dist/transport/fallback/index.js';
import { requestIdOf } from '../../dist/protocol/frame.js';

const native = nativeOrSkip('native transport');
const t = native?.transport;

/** A server whose connections echo every frame (payload prefixed) unless told otherwise. */
async function echoServer(extra = {}, onConn) {
  const server = { conns: [], recs: [] };
  server.listener = await listen(t, extra, (conn) => {
    const rec = recorder();
    server.conns.push(conn);
    server.recs.push(rec);
    const h = onConn ? onConn(conn, rec) : null;
    conn.attach(
      h ?? {
        ...rec,
        onFrame(hi, lo, flags, cmd, payload) {
          rec.onFrame(hi, lo, flags, cmd, payload);
          conn.writeFrame(requestIdOf(hi, lo), flags, cmd, payload);
        },
        onDrain: rec.onDrain,
        onClose: rec.onClose,
      },
    );
  });
  return server;
}

function attachRec(conn) {
  const rec = recorder();
  conn.attach(rec);
  return rec;
}

if (t) {
  test('listen/connect, frames both ways byte for byte, 64-bit ids', async () => {
    const s = await echoServer();
    assert.is(s.listener.host, '127.0.0.1');
    assert.ok(s.listener.port > 0);
    const c = await connect(t, s.listener.port);
    assert.is(c.remotePort, s.listener.port);
    assert.is(c.remoteAddress, '127.0.0.1');
    const rec = attachRec(c);
    const sent = [];
    for (let i = 0; i < 300; i++) {
      const size = [0, 1, 15, 16, 17, 1000, 16383, 16384, 70000, 300000][i % 10];
      const payload = Buffer.alloc(size);
      for (let j = 0; j < size; j++) payload[j] = (i * 31 + j * 7) & 0xff;
      const id = (BigInt(i) << 40n) | 0xffffffn | (i % 3 === 0 ? 1n << 63n : 0n);
      sent.push({ id, flags: i & 0x3f, cmd: (i * 65537) & 0xffffff, payload });
      c.writeFrame(id, i & 0x3f, (i * 65537) & 0xffffff, payload);
    }
    await rec.until(() => rec.frames.length === sent.length);
    for (let i = 0; i < sent.length; i++) {
      const a = sent[i];
      const b = rec.frames[i];
      assert.is(b.id, a.id);
      assert.is(b.flags, a.flags);
      assert.is(b.cmd, a.cmd);
      assert.ok(b.payload.equals(a.payload), `payload ${i}`);
    }
    c.end();
    await rec.untilClosed();
    assert.is(rec.closed, null, 'orderly close on the client');
    await s.recs[0].untilClosed();
    assert.is(s.recs[0].closed, null, 'orderly close on the server');
    await s.listener.close();
  });

  test('payloads stay valid and unchanged across many later batches', async () => {
    const s = await echoServer();
    const c = await connect(t, s.listener.port);
    const rec = attachRec(c);
    const held = [];
    const expect = [];
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 50; i++) {
        const size = (round * 50 + i) % 5 === 0 ? 20000 + i : 4 + ((round * 13 + i * 7) % 300);
        const p = Buffer.alloc(size, (round * 50 + i) & 0xff);
        p.writeUInt32BE(round * 1000 + i, 0);
        expect.push(Buffer.from(p));
        c.writeFrame(BigInt(round * 1000 + i), 0, 1, p);
      }
      await rec.until(() => rec.frames.length === expect.length);
      for (const f of rec.frames.splice(0)) held.push(f.payload);
      expect.splice(0).forEach((e) => held.push(e)); // interleave: [payload, expected] pairs
    }
    // force some garbage and later traffic before comparing
    for (let i = 0; i < 200; i++) c.writeFrame(1n, 0, 2, Buffer.alloc(5000, 0xee));
    await rec.until(() => rec.frames.length === 200);
    let n = 0;
    const half = held.length / 2;
    for (let r = 0; r < 60; r++) {
      const got = held.slice(r * 100, r * 100 + 50);
      const want = held.slice(r * 100 + 50, r * 100 + 100);
      for (let i = 0; i < 50; i++, n++) assert.ok(got[i].equals(want[i]), `round ${r} frame ${i}`);
    }
    assert.is(n, half);
    c.destroy();
    await rec.untilClosed();
    await s.listener.close();
  });

  test('backpressure: writeFrame returns WRITE_FULL above highWaterMark, onDrain follows', async () => {
    let serverConn;
    const srec = recorder();
    const s = await listen(t, {}, (conn) => {
      serverConn = conn;
      conn.attach(srec);
      conn.pause(); // a slow reader: the client's output backs up in the kernel and then natively
    });
    const c = await connect(t, s.port, { highWaterMark: 64 * 1024 });
    const rec = attachRec(c);
    const payload = Buffer.alloc(8192, 1);
    let writes = 0;
    while (c.writeFrame(1n, 0, 1, payload) === 0) writes++;
    assert.ok(c.needDrain, 'needDrain after false');
    // keep writing until native (not just this tick) holds more than the high-water mark
    for (let round = 0; round < 200 && rec.drains === 0; round++) {
      await tick();
      if (!c.needDrain) while (c.writeFrame(1n, 0, 1, payload) === 0) writes++;
    }
    await tick();
    assert.ok(c.needDrain || rec.drains > 0);
    const total = () => writes;
    serverConn.resume();
    await rec.until(() => rec.drains > 0);
    assert.is(c.needDrain, false);
    await srec.until(() => srec.frames.length >= total());
    assert.ok(srec.frames.every((f) => f.payload.length === 8192));
    c.destroy();
    await rec.untilClosed();
    assert.is(rec.closed, null);
    await srec.untilClosed();
    await s.close();
  });

  test('bad length closes with ERR_INVALID_FRAME / ERR_FRAME_TOO_LARGE, earlier frames delivered', async () => {
    for (const [bytes, code] of [
      [Buffer.from([0, 0, 0, 11]), 'ERR_INVALID_FRAME'],
      [Buffer.from([0, 0x10, 0, 0]), 'ERR_FRAME_TOO_LARGE'],
    ]) {
      const s = await echoServer({ maxFrameSize: 4096 });
      const raw = await rawClient(s.listener.port);
      raw.write(Buffer.concat([encode(5n, 0, 9, Buffer.from('first')), bytes]));
      await s.recs.length;
      while (s.recs.length === 0) await tick();
      const rec = s.recs[0];
      await rec.untilClosed();
      assert.is(rec.frames.length, 1);
      assert.is(rec.frames[0].payload.toString(), 'first');
      assert.is(rec.closed?.code, code);
      raw.destroy();
      await s.listener.close();
    }
  });

  test('peer vanishing: reset gives ERR_SOCKET, orderly FIN gives null', async () => {
    const s = await echoServer();
    const a = await rawClient(s.listener.port);
    const b = await rawClient(s.listener.port);
    while (s.recs.length < 2) await tick();
    const aPort = a.localPort;
    const bPort = b.localPort;
    a.resetAndDestroy();
    b.end();
    await s.recs[0].untilClosed();
    await s.recs[1].untilClosed();
    const byPort = new Map(s.conns.map((c, i) => [c.remotePort, s.recs[i]]));
    assert.is(byPort.get(aPort).closed?.code, 'ERR_SOCKET');
    assert.is(byPort.get(bPort).closed, null);
    b.destroy();
    await s.listener.close();
  });

  test('half-close: a request followed by FIN still gets its answer, then orderly close', async () => {
    const s = await echoServer();
    const raw = await rawClient(s.listener.port);
    const chunks = [];
    raw.on('data', (d) => chunks.push(d));
    const ended = new Promise((r) => raw.on('end', r));
    raw.end(encode(9n, 0, 3, Buffer.from('last words')));
    await ended;
    const got = Buffer.concat(chunks);
    assert.ok(got.equals(encode(9n, 0, 3, Buffer.from('last words'))));
    while (s.recs.length === 0) await tick();
    await s.recs[0].untilClosed();
    assert.is(s.recs[0].closed, null);
    raw.destroy();
    await s.listener.close();
  });

  test('close during a batch: later frames for that connection are dropped', async () => {
    let count = 0;
    const s = await echoServer({}, (conn, rec) => ({
      onFrame(hi, lo, flags, cmd, payload) {
        rec.onFrame(hi, lo, flags, cmd, payload);
        if (++count === 3) conn.destroy();
      },
      onDrain() {},
      onClose: rec.onClose,
    }));
    const raw = await rawClient(s.listener.port);
    const many = [];
    for (let i = 0; i < 100; i++) many.push(encode(BigInt(i), 0, 1, Buffer.from('x')));
    raw.write(Buffer.concat(many));
    while (s.recs.length === 0) await tick();
    await s.recs[0].untilClosed();
    assert.is(s.recs[0].frames.length, 3);
    assert.is(s.recs[0].closed, null);
    for (let i = 0; i < 5; i++) await tick();
    assert.is(s.recs[0].frames.length, 3);
    raw.destroy();
    await s.listener.close();
  });

  test('connect failures: ERR_CONNECT with the socket error as cause', async () => {
    const s = await listen(t, {}, () => {});
    const port = s.port;
    await s.close();
    try {
      await connect(t, port);
      assert.unreachable('connect should fail');
    } catch (err) {
      assert.is(err.code, 'ERR_CONNECT');
      assert.is(err.cause?.code, 'ECONNREFUSED');
    }
  });

  test('read timeout and stalled payload close with their codes', async () => {
    const s = await echoServer({ readTimeoutMs: 50, stalledPayloadMs: 0 });
    const raw = await rawClient(s.listener.port);
    while (s.recs.length === 0) await tick();
    await s.recs[0].untilClosed();
    assert.is(s.recs[0].closed?.code, 'ERR_READ_TIMEOUT');
    raw.destroy();
    await s.listener.close();

    const s2 = await echoServer({ stalledPayloadMs: 50 });
    const raw2 = await rawClient(s2.listener.port);
    raw2.write(encode(1n, 0, 0, Buffer.alloc(100)).subarray(0, 40));
    while (s2.recs.length === 0) await tick();
    await s2.recs[0].untilClosed();
    assert.is(s2.recs[0].closed?.code, 'ERR_STALLED_PAYLOAD');
    raw2.destroy();
    await s2.listener.close();
  });

  test('write timeout closes a connection whose peer never reads', async () => {
    let serverConn;
    const srec = recorder();
    const s = await listen(t, { writeTimeoutMs: 100 }, (conn) => {
      serverConn = conn;
      conn.attach(srec);
    });
    const raw = await rawClient(s.port);
    raw.pause();
    while (!serverConn) await tick();
    const big = Buffer.alloc(1 << 20, 3);
    for (let i = 0; i < 32 && !serverConn.closed; i++) {
      serverConn.writeFrame(1n, 0, 0, big);
      await tick();
    }
    await srec.untilClosed();
    assert.is(srec.closed?.code, 'ERR_WRITE_TIMEOUT');
    raw.destroy();
    await s.close();
  });

  test('broadcast: one encoded frame to many connections', async () => {
    const s = await echoServer();
    const N = 200;
    const clients = [];
    for (let i = 0; i < N; i++) {
      const c = await connect(t, s.listener.port);
      clients.push({ c, rec: attachRec(c) });
    }
    while (s.conns.length < N) await tick();
    const frame = encode(77n, 16, 0x1234, Buffer.from('to everyone'));
    const closedOne = s.conns[0];
    closedOne.destroy();
    const took = t.broadcast(s.conns, frame);
    assert.is(took, N - 1);
    for (const { rec } of clients.slice(1)) await rec.until(() => rec.frames.length === 1);
    for (const { rec } of clients.slice(1)) {
      const f = rec.frames[0];
      assert.is(f.id, 77n);
      assert.is(f.flags, 16);
      assert.is(f.cmd, 0x1234);
      assert.is(f.payload.toString(), 'to everyone');
    }
    for (const { c, rec } of clients) {
      c.destroy();
      await rec.untilClosed();
    }
    await s.listener.close();
  });

  test('addresses: same as the fallback (IPv4, dual-stack, IPv6), still readable after close', async () => {
    const fb = fallbackTransport;
    const hosts = [['127.0.0.1', '127.0.0.1'], ['', '127.0.0.1'], ['::1', '::1'], ['0.0.0.0', '127.0.0.1']];
    for (const [host, to] of hosts) {
      const seen = [];
      for (const tr of [t, fb]) {
        let server;
        const listener = await tr.listen({ ...opts(), host, port: 0, backlog: 511, reusePort: false }, (c) => {
          server = c;
          c.attach(recorder());
        });
        const client = await tr.connect({ ...opts(), host: to, port: listener.port, connectTimeoutMs: 5000 });
        const crec = recorder();
        client.attach(crec);
        while (server === undefined) await tick();
        const addrs = (c) => [c.remoteAddress, c.remotePort, c.localAddress, c.localPort];
        const sa = addrs(server);
        const ca = addrs(client);
        assert.is(sa[1], ca[3], `${host}: server's remote port is the client's local port`);
        assert.is(sa[3], listener.port);
        assert.is(ca[1], listener.port);
        server.destroy();
        await crec.until(() => crec.closed !== undefined);
        assert.equal(addrs(server), sa, 'server side after close');
        assert.equal(addrs(client), ca, 'client side after close');
        seen.push([sa[0], sa[2], ca[0], ca[2]]);
        await listener.close();
      }
      assert.equal(seen[0], seen[1], `${host || '(default)'}: native and fallback agree`);
    }
  });

  test('socket buffer sizes reach the kernel on accepted and connected sockets', async () => {
    const { addon } = native;
    let server;
    const sizes = { sendBufferSize: 65536, receiveBufferSize: 131072 };
    const listener = await listen(t, sizes, (c) => {
      server = c;
      c.attach(recorder());
    });
    const client = await connect(t, listener.port, { sendBufferSize: 32768, receiveBufferSize: 0 });
    client.attach(recorder());
    while (server === undefined) await tick();
    const defaults = addon.sockBuffers(client.id);
    // Linux reports twice the size set (the kernel's bookkeeping share); 0 leaves the default alone.
    assert.equal(addon.sockBuffers(server.id), [2 * 65536, 2 * 131072]);
    assert.is(defaults[0], 2 * 32768);
    assert.ok(defaults[1] > 0, 'receive buffer left at the system default');
    server.destroy();
    client.destroy();
    await listener.close();
  });

  test('listener pause/resume and close', async () => {
    const s = await echoServer();
    s.listener.pause();
    const c = await connect(t, s.listener.port); // completes in the kernel backlog
    const rec = attachRec(c);
    for (let i = 0; i < 10; i++) await tick();
    assert.is(s.conns.length, 0, 'not accepted while paused');
    s.listener.resume();
    c.writeFrame(1n, 0, 1, Buffer.from('hi'));
    await rec.until(() => rec.frames.length === 1);
    assert.is(s.conns.length, 1);
    await s.listener.close();
    c.destroy();
    await rec.untilClosed();
  });
}

test.run();
