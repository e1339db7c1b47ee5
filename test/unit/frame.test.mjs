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

test.run();
