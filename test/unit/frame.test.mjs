import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, decodeFrame, writeHeader, HEADER_SIZE, Flags, isStream, isNonBlock, isDone, flagNames, routingOf, opaqueOf, withOpaque, assertCmd, QrpcError } from '../../dist/index.js';

test('encodes the 16-byte header big-endian with length = 12 + payload', () => {
  const f = encodeFrame(3n, Flags.NB, 0x070000, Buffer.from('xu'));
  assert.is(f.toString('hex'), '0000000e' + '0000000000000003' + '08' + '070000' + '7875');
});

test('an empty payload gives a 16-byte frame with length 12', () => {
  const f = encodeFrame(9n, 0, 10);
  assert.is(f.length, HEADER_SIZE);
  assert.is(f.readUInt32BE(0), 12);
});

test('full 64-bit request ids round-trip exactly', () => {
  for (const id of [0n, 1n, 0x0123456789abcdefn, (1n << 63n) + 5n, (1n << 64n) - 1n, 2n ** 53n + 1n]) {
    const back = decodeFrame(encodeFrame(id, 0, 0, Buffer.from('p')));
    assert.is(back.requestId, id);
  }
});

test('decodeFrame rejects short lengths and mismatched sizes with codes', () => {
  const bad = Buffer.from('00000005' + '00'.repeat(12), 'hex');
  assert.is(catchCode(() => decodeFrame(bad)), 'ERR_INVALID_FRAME');
  assert.is(catchCode(() => decodeFrame(Buffer.alloc(3))), 'ERR_INVALID_FRAME');
});

test('writeHeader masks cmd to 24 bits and flags to 8', () => {
  const b = Buffer.alloc(16);
  writeHeader(b, 0, 0, 1n, 0x3f, 0xabcdef);
  assert.is(b.subarray(12).toString('hex'), '3fabcdef');
});

test('flag predicates follow Go: isStream, isNonBlock, isDone', () => {
  assert.ok(isStream(Flags.Stream));
  assert.ok(isStream(Flags.StreamEnd));
  assert.not.ok(isStream(Flags.NB));
  assert.ok(isNonBlock(Flags.NB));
  assert.ok(isNonBlock(Flags.Stream));
  assert.not.ok(isNonBlock(0));
  assert.ok(isDone(0));
  assert.not.ok(isDone(Flags.Stream));
  assert.ok(isDone(Flags.Stream | Flags.StreamEnd));
  assert.ok(isDone(Flags.Stream | Flags.StreamRst));
  assert.equal(flagNames(Flags.NB | Flags.Codec), ['NB', 'Codec']);
});

test('cmd: routing is the low 16 bits, opaque the high 8', () => {
  assert.is(routingOf(0x070005), 5);
  assert.is(opaqueOf(0x070005), 7);
  assert.is(withOpaque(5, 7), 0x070005);
  assert.is(catchCode(() => assertCmd(0x1000000)), 'ERR_INVALID_CMD');
  assert.is(catchCode(() => withOpaque(1, 256)), 'ERR_INVALID_ARG');
});

function catchCode(fn) {
  try {
    fn();
  } catch (err) {
    assert.instance(err, QrpcError);
    return err.code;
  }
  return null;
}

test('writeHeaderView and writeHeader write length, 64-bit id, flags and cmd big-endian, for every ID range', async () => {
  const { writeHeaderView } = await import('../../dist/protocol/frame.js');
  for (const id of [0n, 3n, 2n ** 32n - 1n, 2n ** 32n + 5n, BigInt(Number.MAX_SAFE_INTEGER), 2n ** 53n + 1n, (1n << 64n) - 1n]) {
    // expected bytes built independently: 12 + 300 = 0x138, the id in 16 hex digits, flags 0x8b, cmd masked to 0x234567
    const want = 'ee'.repeat(7) + '00000138' + id.toString(16).padStart(16, '0') + '8b' + '234567' + 'ee'.repeat(17);
    const a = Buffer.alloc(40, 0xee), b = Buffer.alloc(40, 0xee);
    writeHeader(a, 7, 300, id, 0x8b, 0x1234567);
    writeHeaderView(new DataView(b.buffer, b.byteOffset, b.length), 7, 300, id, 0x8b, 0x1234567);
    assert.is(a.toString('hex'), want, `writeHeader id ${id}`);
    assert.is(b.toString('hex'), want, `writeHeaderView id ${id}`);
  }
});

test('writeHeaderView rejects IDs outside 0..2^64-1 with ERR_INVALID_ARG and writes nothing', async () => {
  const { writeHeaderView } = await import('../../dist/protocol/frame.js');
  for (const id of [-1n, 1n << 64n]) {
    const b = Buffer.alloc(16, 0xee);
    try {
      writeHeaderView(new DataView(b.buffer, b.byteOffset, b.length), 0, 0, id, 0, 1);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.is(err.code, 'ERR_INVALID_ARG');
    }
    assert.is(b.toString('hex'), 'ee'.repeat(16));
  }
});

test('copyInto copies small (loop) and large (Buffer#copy) payloads exactly', async () => {
  const { copyInto } = await import('../../dist/protocol/frame.js');
  for (const n of [1, 2, 31, 32, 33, 1000]) {
    const src = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff));
    const dst = Buffer.alloc(n + 10, 0xee);
    copyInto(src, dst, 5);
    assert.is(dst.subarray(5, 5 + n).toString('hex'), src.toString('hex'));
    assert.is(dst.subarray(0, 5).toString('hex') + dst.subarray(5 + n).toString('hex'), 'ee'.repeat(10));
  }
});

test.run();
