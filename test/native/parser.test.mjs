// Differential: the C++ frame parser (addon.parseForTest) against the
// TypeScript FrameParser on the same random byte streams and chunk splits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameParser } from '../../dist/protocol/parser.js';
import { requestIdOf } from '../../dist/protocol/frame.js';
import { parseError } from '../../dist/transport/native/errors.js';
import { nativeOrSkip, encode } from './_native.mjs';

const native = nativeOrSkip('native parser');

// Deterministic PRNG (xorshift32) so failures reproduce from the seed.
function rng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { next, int: (n) => next() % n, bit: (p) => next() / 4294967296 < p };
}

function randomStream(r, maxFrame) {
  const parts = [];
  const frames = 1 + r.int(40);
  for (let i = 0; i < frames; i++) {
    const roll = r.int(100);
    let size;
    if (roll < 40) size = r.int(16);
    else if (roll < 80) size = r.int(2000);
    else if (roll < 95) size = r.int(70000);
    else size = r.int(Math.min(maxFrame, 300000) + 1);
    if (12 + size > maxFrame) size = Math.max(0, maxFrame - 12);
    const payload = Buffer.alloc(size);
    let j = 0;
    for (; j + 4 <= size; j += 4) payload.writeUInt32LE(r.next(), j);
    for (; j < size; j++) payload[j] = r.next() & 0xff;
    const id = (BigInt(r.next()) << 32n) | BigInt(r.next());
    parts.push(encode(id, r.int(256), r.next() & 0xffffff, payload));
    if (r.bit(0.04)) {
      // an invalid length: too small or too large, sometimes with a short tail
      const bad = Buffer.alloc(4 + r.int(20));
      const len = r.bit(0.5) ? r.int(12) : maxFrame + 1 + r.int(1000);
      bad.writeUInt32BE(len >>> 0, 0);
      parts.push(bad);
      break;
    }
  }
  return Buffer.concat(parts);
}

function split(r, buf) {
  const chunks = [];
  let at = 0;
  while (at < buf.length) {
    const mode = r.int(4);
    const n = mode === 0 ? 1 + r.int(3) : mode === 1 ? 1 + r.int(20) : mode === 2 ? 1 + r.int(4096) : 1 + r.int(100000);
    chunks.push(buf.subarray(at, at + n));
    at += n;
  }
  if (r.bit(0.1)) chunks.splice(r.int(chunks.length + 1), 0, Buffer.alloc(0));
  return chunks;
}

function viaTs(chunks, maxFrame) {
  const p = new FrameParser(maxFrame);
  const frames = [];
  let error = null;
  try {
    for (const c of chunks) p.push(c, (hi, lo, flags, cmd, payload) => frames.push({ id: requestIdOf(hi, lo), flags, cmd, payload: Buffer.from(payload) }));
  } catch (err) {
    error = { code: err.code, message: err.message };
  }
  return { frames, error, partial: p.hasPartialFrame };
}

function viaNative(chunks, maxFrame) {
  const r = native.addon.parseForTest(chunks, maxFrame);
  const frames = r.frames.map(([hi, lo, flags, cmd, payload]) => ({ id: (BigInt(hi) << 32n) | BigInt(lo), flags, cmd, payload }));
  let error = null;
  if (r.error !== 0) {
    const e = parseError(r.error, r.length, maxFrame);
    error = { code: e.code, message: e.message };
  }
  return { frames, error, partial: r.partial };
}

function compare(chunks, maxFrame, label) {
  const a = viaTs(chunks, maxFrame);
  const b = viaNative(chunks, maxFrame);
  assert.is(b.frames.length, a.frames.length, `${label}: frame count`);
  for (let i = 0; i < a.frames.length; i++) {
    const x = a.frames[i];
    const y = b.frames[i];
    assert.is(y.id, x.id, `${label}: id of frame ${i}`);
    assert.is(y.flags, x.flags, `${label}: flags of frame ${i}`);
    assert.is(y.cmd, x.cmd, `${label}: cmd of frame ${i}`);
    assert.ok(y.payload.equals(x.payload), `${label}: payload of frame ${i}`);
  }
  assert.equal(b.error, a.error, `${label}: error`);
  if (!a.error) assert.is(b.partial, a.partial, `${label}: partial`);
  return a;
}

if (native) {
  test('random streams, random splits: identical frames and errors', () => {
    let frames = 0;
    let errors = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed * 2654435761);
      const maxFrame = [12, 16, 100, 4096, 65536, 200000, 10 * 1024 * 1024][r.int(7)];
      const stream = randomStream(r, maxFrame);
      for (let k = 0; k < 3; k++) {
        const res = compare(split(r, stream), maxFrame, `seed ${seed} split ${k}`);
        frames += res.frames.length;
        if (res.error) errors++;
      }
    }
    assert.ok(frames > 1000, `exercised ${frames} frames`);
    assert.ok(errors > 20, `exercised ${errors} errors`);
  });

  test('bad length rejected as soon as its 4 bytes are known', () => {
    const tooBig = Buffer.alloc(4);
    tooBig.writeUInt32BE(0xffffffff);
    for (const b of [tooBig, Buffer.from([0, 0, 0, 11]), Buffer.from([0, 0, 0, 0])]) {
      // byte by byte, and all at once
      compare([...b].map((x) => Buffer.from([x])), 1000, 'bytewise');
      compare([b], 1000, 'whole');
      const res = viaNative([b], 1000);
      assert.ok(res.error, 'error after 4 bytes');
    }
    // a valid frame before the bad one is still delivered
    const s = Buffer.concat([encode(7n, 1, 2, Buffer.from('ok')), Buffer.from([0, 0, 0, 3])]);
    const res = compare([s], 1000, 'frame then bad');
    assert.is(res.frames.length, 1);
    assert.is(res.error.code, 'ERR_INVALID_FRAME');
  });

  test('boundary lengths: 12 and exactly maxFrameSize are valid', () => {
    const max = 12 + 100;
    const ok = Buffer.concat([encode(1n, 0, 0), encode(2n, 0, 0, Buffer.alloc(100, 7))]);
    const res = compare([ok], max, 'boundaries');
    assert.is(res.frames.length, 2);
    assert.is(res.error, null);
    const over = encode(3n, 0, 0, Buffer.alloc(101));
    assert.is(compare([over], max, 'over').error.code, 'ERR_FRAME_TOO_LARGE');
  });

  test('64-bit ids round-trip exactly', () => {
    const ids = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
    const res = compare([Buffer.concat(ids.map((id) => encode(id, 0, 0)))], 100, 'ids');
    assert.equal(res.frames.map((f) => f.id), ids);
  });
}

test.run();
