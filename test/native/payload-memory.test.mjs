// Payload memory handed to JS (native/payload_memory.cc): a held small payload
// pins at most a few KiB beyond its size, and user code transferring a
// payload's ArrayBuffer cannot empty the other payloads, break later batches
// or make native write into memory it gave away. Memory bounds have generous
// margins; every wait is on an event.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MessageChannel } from 'node:worker_threads';
import { nativeOrSkip, listen, connect, recorder } from './_native.mjs';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const native = nativeOrSkip('native payload memory');
const t = native?.transport;

const KiB = 1024;
const MiB = 1024 * KiB;

function fullGc() {
  gc();
  gc();
}

/** A server that answers each request (cmd 1) with `filler` frames of 4000 bytes (cmd 2), then a 10-byte frame (cmd 3). */
async function fillerServer(filler) {
  const filler4k = Buffer.alloc(4000, 0xab);
  const listener = await listen(t, {}, (conn) => {
    conn.attach({
      onFrame(hi, lo, flags, cmd, payload) {
        const round = payload.readUInt32BE(0);
        for (let i = 0; i < filler; i++) conn.writeFrame(2n, 0, 2, filler4k);
        const small = Buffer.alloc(10, round & 0xff);
        small.writeUInt32BE(round, 0);
        conn.writeFrame(3n, 0, 3, small);
      },
      onDrain() {},
      onClose() {},
    });
  });
  return listener;
}

if (t) {
  test('a held small payload pins at most its size + 8 KiB: 10,000 payloads, each from its own round trip', async () => {
    const ROUNDS = 10000;
    const FILLER = 8; // 32 KB of short-lived payloads per round: the pools move on between held payloads
    const listener = await fillerServer(FILLER);
    const c = await connect(t, listener.port);
    const held = [];
    let waiting = null;
    c.attach({
      onFrame(hi, lo, flags, cmd, payload) {
        if (cmd !== 3) return; // filler: dropped at once
        held.push(payload);
        waiting?.();
      },
      onDrain() {},
      onClose() {},
    });
    const req = Buffer.alloc(4);
    fullGc();
    const before = process.memoryUsage().arrayBuffers;
    for (let round = 0; round < ROUNDS; round++) {
      req.writeUInt32BE(round, 0);
      const got = new Promise((r) => (waiting = r));
      c.writeFrame(1n, 0, 1, req);
      await got;
    }
    fullGc();
    const growth = process.memoryUsage().arrayBuffers - before;
    assert.is(held.length, ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      assert.is(held[round].length, 10);
      assert.is(held[round].readUInt32BE(0), round, `payload ${round} kept its bytes`);
    }
    const bound = ROUNDS * (10 + 8 * KiB) + 16 * MiB;
    console.log(`# arrayBuffers growth holding ${ROUNDS} payloads of 10 bytes: ${(growth / MiB).toFixed(1)} MiB (bound ${(bound / MiB).toFixed(1)} MiB)`);
    assert.ok(growth < bound, `growth ${growth} < ${bound}`);
    c.destroy();
    await listener.close();
  });

  /** Connection pair; the client holds every payload it gets (echoes of what it sent). */
  async function echoPair() {
    const listener = await listen(t, {}, (conn) => {
      conn.attach({
        onFrame(hi, lo, flags, cmd, payload) {
          conn.writeFrame(BigInt(lo), flags, cmd, payload);
        },
        onDrain() {},
        onClose() {},
      });
    });
    const c = await connect(t, listener.port);
    const rec = recorder();
    c.attach(rec);
    return { listener, c, rec };
  }

  const sizes = [1, 10, 100, 3000, 4095, 4096, 5000, 16384, 20000, 70000];
  const pattern = (n, size) => {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = (n * 7 + i * 13) & 0xff;
    return b;
  };

  async function sendAndCheck(c, rec, from, count) {
    for (let n = from; n < from + count; n++) c.writeFrame(BigInt(n), 0, 1, pattern(n, sizes[n % sizes.length]));
    await rec.until(() => rec.frames.length >= from + count);
    for (let n = from; n < from + count; n++) {
      const f = rec.frames[n];
      assert.is(Number(f.id), n);
      assert.ok(f.payload.equals(pattern(n, sizes[n % sizes.length])), `frame ${n} intact`);
    }
  }

  for (const [name, transfer] of [
    ['structuredClone with transfer', (ab) => structuredClone(ab, { transfer: [ab] })],
    [
      'MessageChannel postMessage with transfer',
      (ab) =>
        new Promise((resolve) => {
          const { port1, port2 } = new MessageChannel();
          port2.once('message', (m) => {
            port1.close();
            port2.close();
            resolve(m);
          });
          port1.postMessage(ab, [ab]);
        }),
    ],
  ]) {
    test(`transferring a payload's buffer (${name}) leaves every other payload and later frames intact`, async () => {
      const { listener, c, rec } = await echoPair();
      // several batches, so the held payloads sit in several pools and own buffers
      for (let b = 0; b < 5; b++) await sendAndCheck(c, rec, b * 40, 40);
      const copies = rec.frames.map((f) => Buffer.from(f.payload));
      // transfer the buffer of a small (pooled) payload and of a big (own) one
      for (const victim of [rec.frames[1], rec.frames[rec.frames.length - 2]]) {
        const ab = victim.payload.buffer;
        const moved = await transfer(ab);
        assert.ok(moved instanceof ArrayBuffer);
        assert.ok(moved.byteLength >= victim.payload.length);
      }
      for (let i = 0; i < copies.length; i++) assert.ok(rec.frames[i].payload.equals(copies[i]), `held payload ${i} kept its bytes`);
      // later batches: parsed into fresh or checked pools, nothing crashes, bytes intact
      for (let b = 5; b < 15; b++) await sendAndCheck(c, rec, b * 40, 40);
      for (let i = 0; i < copies.length; i++) assert.ok(rec.frames[i].payload.equals(copies[i]), `held payload ${i} still intact`);
      c.destroy();
      await rec.untilClosed();
      assert.is(rec.closed, null);
      await listener.close();
    });
  }

  test('a record whose buffer was detached anyway (a runtime without markAsUntransferable): that connection closes, the events callback does not throw', async () => {
    const { listener, c, rec } = await echoPair();
    await sendAndCheck(c, rec, 0, 10);
    const other = await echoPair();
    // A detached buffer and one FRAME record pointing into it, delivered through the loop's events callback
    // exactly as native delivers a batch (the table is only read by JS while a batch is being delivered).
    const ab = new ArrayBuffer(64);
    structuredClone(ab, { transfer: [ab] });
    assert.is(ab.byteLength, 0, 'detached');
    const ev = new Uint32Array(t.loop.ev32.buffer);
    ev.fill(0, 0, 8);
    ev[0] = 1; // EV_FRAME
    ev[1] = c.id;
    ev[6] = 10; // payload length
    ev[7] = 1; // buffers[0]
    t.loop.onEvents(1, [ab], 0);
    await rec.untilClosed();
    assert.is(rec.closed?.code, 'ERR_SOCKET');
    assert.is(rec.frames.length, 10, 'nothing delivered for the lost frame');
    await sendAndCheck(other.c, other.rec, 0, 20);
    other.c.destroy();
    await listener.close();
    await other.listener.close();
  });
}

test.run();
