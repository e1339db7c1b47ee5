// What parsed payloads cost and pin: a held payload pins about its own size
// (not the whole 64 KiB socket read it came in), transferring its buffer
// cannot empty other payloads, and a partial frame costs what has arrived,
// not what its header claims. Bounds are on process.memoryUsage().arrayBuffers
// after a forced GC, with wide margins.
import { test } from 'uvu';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as assert from 'uvu/assert';
import { MessageChannel } from 'node:worker_threads';
import { FrameParser, encodeFrame } from '../../dist/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

// The runner starts tests without --expose-gc; this gets the same function in-process.
v8.setFlagsFromString('--expose-gc');
const forceGc = globalThis.gc ?? vm.runInNewContext('gc');
function gc() {
  forceGc();
  forceGc();
}
const arrayBuffers = () => {
  gc();
  return process.memoryUsage().arrayBuffers;
};

/** `frames` in a fresh ArrayBuffer of `size` bytes, as Node hands over a socket read. */
function readOf(frames, size = 64 * KiB) {
  const chunk = Buffer.from(new ArrayBuffer(size));
  let at = 0;
  for (const f of frames) at += f.copy(chunk, at);
  return chunk.subarray(0, at);
}

test('holding one small payload from each of 10,000 64 KiB reads pins about the payloads, not the reads', () => {
  const N = 10_000;
  const PAYLOAD = 10;
  const held = [];
  const before = arrayBuffers();
  for (let i = 0; i < N; i++) {
    const parser = new FrameParser();
    // One small frame, then one frame filling the rest of the 64 KiB read (dropped at once).
    const small = encodeFrame(BigInt(2 * i + 3), 0, 1, Buffer.alloc(PAYLOAD, i & 0xff));
    const filler = encodeFrame(BigInt(2 * i + 5), 0, 1, Buffer.alloc(64 * KiB - small.length - 16));
    const chunk = readOf([small, filler]);
    assert.is(chunk.buffer.byteLength, 64 * KiB);
    let first = true;
    parser.push(chunk, (hi, lo, flags, cmd, payload) => {
      if (first) held.push(payload);
      first = false;
    });
  }
  const growth = arrayBuffers() - before;
  assert.is(held.length, N);
  for (let i = 0; i < N; i += 997) assert.equal(held[i], Buffer.alloc(PAYLOAD, i & 0xff));
  // Today's rule lets a payload pin its size plus 8 KiB; the old views pinned 64 KiB each (625 MiB here).
  const bound = N * (PAYLOAD + 8 * KiB) + 16 * MiB;
  assert.ok(growth < bound, `arrayBuffers grew ${(growth / MiB).toFixed(1)} MiB for ${N} held ${PAYLOAD}-byte payloads (bound ${(bound / MiB).toFixed(1)} MiB)`);
});

test('a held 5 KiB payload of a 64 KiB read pins at most 8 KiB beyond itself', () => {
  const N = 2_000;
  const SIZE = 5 * KiB;
  const held = [];
  const before = arrayBuffers();
  for (let i = 0; i < N; i++) {
    const f = encodeFrame(3n, 0, 1, Buffer.alloc(SIZE, i & 0xff));
    const filler = encodeFrame(5n, 0, 1, Buffer.alloc(64 * KiB - f.length - 16));
    new FrameParser().push(readOf([f, filler]), (hi, lo, flags, cmd, payload) => {
      if (payload.length === SIZE) held.push(payload);
    });
  }
  const growth = arrayBuffers() - before;
  assert.is(held.length, N);
  assert.equal(held[N - 1], Buffer.alloc(SIZE, (N - 1) & 0xff));
  const bound = N * (SIZE + 8 * KiB) + 16 * MiB;
  assert.ok(growth < bound, `grew ${(growth / MiB).toFixed(1)} MiB (bound ${(bound / MiB).toFixed(1)} MiB)`);
});

/** Parses one read of several frames of mixed sizes; returns the payloads and their expected bytes. */
function payloadsOfOneRead(size) {
  const sizes = [0, 2, 10, 100, 3000, 5000, 20000];
  const frames = sizes.map((n, i) => encodeFrame(BigInt(2 * i + 3), 0, 1, Buffer.alloc(n, 0x41 + i)));
  const chunk = Buffer.from(new ArrayBuffer(size));
  let at = 0;
  for (const f of frames) at += f.copy(chunk, at);
  const got = [];
  new FrameParser().push(chunk.subarray(0, at), (hi, lo, flags, cmd, payload) => got.push(payload));
  return { got, want: sizes.map((n, i) => Buffer.alloc(n, 0x41 + i)) };
}

for (const size of [64 * KiB, 40 * KiB]) {
  test(`transferring one payload's buffer (structuredClone, postMessage) leaves the others of its ${size / KiB} KiB read intact`, async () => {
    const { got, want } = payloadsOfOneRead(size);
    for (let victim = 0; victim < got.length; victim++) {
      const ab = got[victim].buffer;
      try {
        structuredClone(ab, { transfer: [ab] });
      } catch {
        // Refusing the transfer is as good as copying.
      }
      const { port1, port2 } = new MessageChannel();
      const received = new Promise((resolve) => port2.once('message', resolve));
      try {
        port1.postMessage(got[victim].buffer, [got[victim].buffer]);
      } catch {
        port1.postMessage(null);
      }
      await received;
      port1.close();
      port2.close();
      got.forEach((p, i) => assert.equal(p, want[i], `payload ${i} after transferring payload ${victim}'s buffer`));
    }
  });
}

test('transferring the buffer of a payload from a small read leaves the others intact', () => {
  const frames = [1, 2, 3].map((i) => encodeFrame(BigInt(i * 2 + 1), 0, 1, Buffer.alloc(100, i)));
  const chunk = Buffer.from(new ArrayBuffer(400));
  let at = 0;
  for (const f of frames) at += f.copy(chunk, at);
  const got = [];
  new FrameParser().push(chunk.subarray(0, at), (hi, lo, flags, cmd, payload) => got.push(payload));
  const ab = got[0].buffer;
  try {
    structuredClone(ab, { transfer: [ab] });
  } catch {}
  got.forEach((p, i) => assert.equal(p, Buffer.alloc(100, i + 1)));
});

test('a frame assembled across reads keeps its bytes when another payload buffer is transferred', () => {
  const f = encodeFrame(3n, 0, 1, Buffer.alloc(100_000, 7));
  const parser = new FrameParser();
  const got = [];
  for (let i = 0; i < f.length; i += 64 * KiB) parser.push(Buffer.from(f.subarray(i, i + 64 * KiB)), (hi, lo, flags, cmd, payload) => got.push(payload));
  assert.is(got.length, 1);
  const ab = got[0].buffer;
  try {
    structuredClone(ab, { transfer: [ab] });
  } catch {}
  assert.equal(got[0], Buffer.alloc(100_000, 7));
});

test('300 partial frames whose headers claim 10 MiB cost what arrived, not what was claimed', () => {
  const parsers = [];
  const before = arrayBuffers();
  for (let i = 0; i < 300; i++) {
    const parser = new FrameParser(16 * MiB);
    const header = Buffer.alloc(24);
    header.writeUInt32BE(12 + 10 * MiB, 0);
    header.writeUInt32BE(i * 2 + 3, 8);
    parser.push(header, () => assert.unreachable('no frame is complete'));
    assert.ok(parser.awaitingPayload);
    parsers.push(parser);
  }
  const growth = arrayBuffers() - before;
  assert.ok(growth < 32 * MiB, `300 partial frames hold ${(growth / MiB).toFixed(1)} MiB of ArrayBuffers (bound 32 MiB)`);
});

test('a partial frame grows geometrically with what arrives and completes intact', () => {
  const payload = Buffer.alloc(3 * MiB);
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
  const f = encodeFrame(7n, 3, 9, payload);
  for (const step of [1000, 64 * KiB, 1 * MiB + 17]) {
    const parser = new FrameParser();
    const got = [];
    for (let i = 0; i < f.length; i += step) parser.push(f.subarray(i, i + step), (hi, lo, flags, cmd, p) => got.push({ lo, flags, cmd, p }));
    assert.is(got.length, 1, `step ${step}`);
    assert.is(got[0].lo, 7);
    assert.is(got[0].flags, 3);
    assert.is(got[0].cmd, 9);
    assert.ok(got[0].p.equals(payload), `step ${step}: payload intact`);
    assert.not.ok(parser.hasPartialFrame);
  }
});

test('a too-large or invalid length is still refused before anything is buffered', () => {
  const big = new FrameParser(1024);
  const head = Buffer.alloc(20);
  head.writeUInt32BE(1024 + 1, 0);
  assert.throws(() => big.push(head, () => {}), (e) => e.code === 'ERR_FRAME_TOO_LARGE');
  const small = new FrameParser(1024);
  head.writeUInt32BE(11, 0);
  assert.throws(() => small.push(head.subarray(0, 6), () => {}), (e) => e.code === 'ERR_INVALID_FRAME');
});

test('payloads copied out of big reads stay unchanged while many later reads are parsed', () => {
  const parser = new FrameParser();
  const held = [];
  for (let r = 0; r < 50; r++) {
    const frames = [];
    for (let i = 0; i < 200; i++) frames.push(encodeFrame(BigInt(i * 2 + 1), 0, 1, Buffer.alloc((i * 37) % 300, (r + i) & 0xff)));
    const chunk = Buffer.concat(frames);
    let i = 0;
    parser.push(chunk, (hi, lo, flags, cmd, payload) => {
      held.push({ payload, want: Buffer.alloc((i * 37) % 300, (r + i) & 0xff) });
      i++;
    });
  }
  for (const { payload, want } of held) assert.equal(payload, want);
});

test.run();
