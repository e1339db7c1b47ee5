// An allocation failure a peer can cause closes THAT connection with
// ERR_NO_MEMORY and the others keep being served (no abort()). Driven by the
// addon's test-only fault injection __failAllocations(n): the next n
// allocations on peer-driven paths fail. Clients are plain node:net sockets,
// so the only native allocations are the server's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, listen, rawClient, encode, recorder, tick } from './_native.mjs';

const native = nativeOrSkip('native out of memory');
const t = native?.transport;
const addon = native?.addon;

/** Echo server; `recs[i]` records server connection i. */
async function echoServer() {
  const s = { conns: [], recs: [] };
  s.listener = await listen(t, { stalledPayloadMs: 0 }, (conn) => {
    const rec = recorder();
    s.conns.push(conn);
    s.recs.push(rec);
    conn.attach({
      ...rec,
      onFrame(hi, lo, flags, cmd, payload) {
        rec.onFrame(hi, lo, flags, cmd, payload);
        if (cmd !== 99) conn.writeFrame(BigInt(lo), flags, cmd, payload);
      },
    });
  });
  return s;
}

/** A raw client that collects what it receives and can await a byte count. */
async function client(port) {
  const raw = await rawClient(port);
  const c = { raw, bytes: 0, closed: false, waiters: [] };
  const check = () => (c.waiters = c.waiters.filter((w) => (w.pred() ? (w.resolve(), false) : true)));
  raw.on('data', (d) => {
    c.bytes += d.length;
    check();
  });
  raw.on('close', () => {
    c.closed = true;
    check();
  });
  raw.on('error', () => {});
  c.until = (pred) => (pred() ? Promise.resolve() : new Promise((resolve) => c.waiters.push({ pred, resolve })));
  return c;
}

async function roundTrip(c, payload) {
  const frame = encode(1n, 0, 1, payload);
  const want = c.bytes + frame.length;
  c.raw.write(frame);
  await c.until(() => c.bytes >= want);
}

if (t) {
  const cases = [
    ['a partial frame (parser tail)', (a) => a.raw.write(encode(2n, 0, 1, Buffer.alloc(100, 1)).subarray(0, 40))],
    ['a payload of its own (>= 4 KiB)', (a) => a.raw.write(encode(2n, 0, 1, Buffer.alloc(5000, 2)))],
    ['a fresh payload pool', (a) => a.raw.write(Buffer.concat(Array.from({ length: 4 }, () => encode(2n, 0, 1, Buffer.alloc(3000, 3)))))],
  ];
  for (const [what, provoke] of cases) {
    test(`out of memory for ${what}: that connection closes with ERR_NO_MEMORY, another keeps getting answers`, async () => {
      assert.type(addon.__failAllocations, 'function', 'the addon has the fault injection hook');
      const s = await echoServer();
      const a = await client(s.listener.port);
      const b = await client(s.listener.port);
      while (s.recs.length < 2) await tick();
      await roundTrip(a, Buffer.from('warm-up a'));
      await roundTrip(b, Buffer.from('warm-up b'));
      const ra = s.recs.find((r, i) => s.conns[i].remotePort === a.raw.localPort);
      // Every allocation from here on fails until the provoked one has closed A (a fresh pool may take several).
      addon.__failAllocations(1000);
      provoke(a);
      await ra.untilClosed();
      addon.__failAllocations(0);
      assert.is(ra.closed?.code, 'ERR_NO_MEMORY');
      await a.until(() => a.closed);
      for (let i = 0; i < 20; i++) await roundTrip(b, Buffer.from(`still served ${i}`));
      assert.ok(!b.closed);
      b.raw.destroy();
      await s.listener.close();
    });
  }

  test('out of memory while queueing output: that connection closes with ERR_NO_MEMORY, another keeps getting answers', async () => {
    assert.type(addon.__failAllocations, 'function', 'the addon has the fault injection hook');
    const s = await echoServer();
    const a = await client(s.listener.port);
    const b = await client(s.listener.port);
    a.raw.pause(); // A does not read: the kernel cannot take 16 MiB at once, the rest must be queued natively
    while (s.recs.length < 2) await tick();
    const ia = s.conns.findIndex((c) => c.remotePort === a.raw.localPort);
    addon.__failAllocations(1);
    s.conns[ia].writeFrame(5n, 0, 5, Buffer.alloc(16 * 1024 * 1024, 7));
    await s.recs[ia].untilClosed();
    addon.__failAllocations(0);
    assert.is(s.recs[ia].closed?.code, 'ERR_NO_MEMORY');
    for (let i = 0; i < 20; i++) await roundTrip(b, Buffer.from(`still served ${i}`));
    a.raw.destroy();
    b.raw.destroy();
    await s.listener.close();
  });
}

test.run();
