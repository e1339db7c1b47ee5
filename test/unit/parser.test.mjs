import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameParser, encodeFrame, QrpcError, requestIdOf } from '../../dist/index.js';

function collect(parser, chunks) {
  const out = [];
  for (const c of chunks) parser.push(c, (hi, lo, flags, cmd, payload) => out.push({ requestId: requestIdOf(hi, lo), flags, cmd, payload: payload.toString('hex') }));
  return out;
}

function frames(n) {
  const list = [];
  for (let i = 0; i < n; i++) list.push({ requestId: BigInt(i * 2 + 3), flags: i % 64, cmd: i * 7919 % 0xffffff, payload: Buffer.alloc(i % 40, i).toString('hex') });
  return list;
}

const encodeAll = (list) => Buffer.concat(list.map((f) => encodeFrame(f.requestId, f.flags, f.cmd, Buffer.from(f.payload, 'hex'))));

test('one chunk with many frames yields all of them in order', () => {
  const list = frames(50);
  assert.equal(collect(new FrameParser(), [encodeAll(list)]), list);
});

test('every split point of the stream yields the same frames', () => {
  const list = frames(6);
  const bytes = encodeAll(list);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.equal(collect(new FrameParser(), [bytes.subarray(0, cut), bytes.subarray(cut)]), list, `cut at ${cut}`);
  }
});

test('byte-at-a-time delivery yields the same frames', () => {
  const list = frames(5);
  const bytes = encodeAll(list);
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  assert.equal(collect(new FrameParser(), chunks), list);
});

test('length < 12 is rejected with ERR_INVALID_FRAME after the frames before it', () => {
  const good = encodeFrame(3n, 0, 0, Buffer.from('a'));
  const bad = Buffer.from('00000005', 'hex');
  const parser = new FrameParser();
  const out = [];
  const err = catchErr(() => parser.push(Buffer.concat([good, bad]), (hi, lo) => out.push(requestIdOf(hi, lo))));
  assert.is(err.code, 'ERR_INVALID_FRAME');
  assert.equal(out, [3n]);
  assert.is(catchErr(() => parser.push(good, () => {})).code, 'ERR_INVALID_FRAME', 'refuses input after an error');
});

test('length > maxFrameSize is rejected as soon as the 4 length bytes are known', () => {
  const parser = new FrameParser(1024);
  // Only the length field of a 64 MiB frame: nothing else is needed to reject it.
  const err = catchErr(() => parser.push(Buffer.from('04000000', 'hex'), () => {}));
  assert.is(err.code, 'ERR_FRAME_TOO_LARGE');
});

test('a bad length split across chunks is rejected when its 4th byte arrives', () => {
  const parser = new FrameParser(1024);
  parser.push(Buffer.from('0400', 'hex'), () => {});
  const err = catchErr(() => parser.push(Buffer.from('00', 'hex'), () => {}));
  assert.is(err, null, 'three bytes are not enough to judge');
  assert.is(catchErr(() => parser.push(Buffer.from('00', 'hex'), () => {})).code, 'ERR_FRAME_TOO_LARGE');
});

test('exactly maxFrameSize is accepted', () => {
  const parser = new FrameParser(12 + 100);
  const out = collect(parser, [encodeFrame(1n, 0, 0, Buffer.alloc(100, 1))]);
  assert.is(out.length, 1);
});

test('payload views stay intact after later chunks are parsed', () => {
  const parser = new FrameParser();
  const held = [];
  const bytes = encodeAll(frames(30));
  for (let i = 0; i < bytes.length; i += 7) parser.push(Buffer.from(bytes.subarray(i, i + 7)), (hi, lo, f, c, payload) => held.push(payload));
  const again = collect(new FrameParser(), [bytes]).map((f) => f.payload);
  assert.equal(held.map((p) => p.toString('hex')), again);
});

test('partial state is reported for the stalled-payload cut-off', () => {
  const parser = new FrameParser();
  const f = encodeFrame(3n, 0, 0, Buffer.alloc(10));
  parser.push(f.subarray(0, 18), () => {});
  assert.ok(parser.awaitingPayload);
  parser.push(f.subarray(18), () => {});
  assert.not.ok(parser.awaitingPayload);
  assert.not.ok(parser.hasPartialFrame);
});

function catchErr(fn) {
  try {
    fn();
  } catch (err) {
    assert.instance(err, QrpcError);
    return err;
  }
  return null;
}

test('ids arrive as big-endian halves; requestIdOf rebuilds every 64-bit value exactly', () => {
  const ids = [0n, 3n, 0xffffffffn, 0x100000000n, 0x0123456789abcdefn, 2n ** 53n + 1n, (1n << 64n) - 1n];
  const parser = new FrameParser();
  const got = [];
  parser.push(Buffer.concat(ids.map((id) => encodeFrame(id, 0, 1, Buffer.from('x')))), (hi, lo) => {
    assert.ok(Number.isInteger(hi) && hi >= 0 && hi <= 0xffffffff);
    assert.ok(Number.isInteger(lo) && lo >= 0 && lo <= 0xffffffff);
    got.push(requestIdOf(hi, lo));
  });
  assert.equal(got, ids);
});

test.run();
