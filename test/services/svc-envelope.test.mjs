// The RpcRequest envelope (Go's codegen/pb/rpc.proto: string NS = 1; string
// method = 2; bytes params = 3) against bytes written by hand from the
// .proto: tag = field << 3 | wire type 2 (length-delimited) → 0x0a, 0x12,
// 0x1a; each followed by the varint length; proto3 leaves empty fields out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeRpcRequest, decodeRpcRequest } from '../../dist/index.js';

const hex = (b) => Buffer.from(b).toString('hex');

test('encodes NS, method and params with their tags and one-byte varint lengths', () => {
  const bytes = encodeRpcRequest({ NS: 'calc', method: 'add', params: Buffer.from('{"a":1,"b":2}') });
  const expected = Buffer.concat([
    Buffer.from([0x0a, 4]), Buffer.from('calc'),
    Buffer.from([0x12, 3]), Buffer.from('add'),
    Buffer.from([0x1a, 13]), Buffer.from('{"a":1,"b":2}'),
  ]);
  assert.is(hex(bytes), hex(expected));
});

test('a length of 300 is the two-byte varint 0xac 0x02', () => {
  const params = Buffer.alloc(300, 0x61);
  const bytes = encodeRpcRequest({ NS: 'n', method: 'm', params });
  assert.is(hex(bytes), hex(Buffer.concat([Buffer.from([0x0a, 1, 0x6e, 0x12, 1, 0x6d, 0x1a, 0xac, 0x02]), params])));
});

test('empty fields are left out, as Go marshals proto3 (the main service has NS "")', () => {
  assert.is(hex(encodeRpcRequest({ NS: '', method: 'Hello', params: Buffer.from('null') })), hex(Buffer.concat([Buffer.from([0x12, 5]), Buffer.from('Hello'), Buffer.from([0x1a, 4]), Buffer.from('null')])));
  assert.is(encodeRpcRequest({ NS: '', method: '', params: Buffer.alloc(0) }).length, 0);
});

test('decodes hand-written bytes, in any field order, missing fields as their defaults; UTF-8 kept', () => {
  const bytes = Buffer.concat([Buffer.from([0x1a, 2]), Buffer.from('{}'), Buffer.from([0x0a, 5]), Buffer.from('ünï', 'utf8'), Buffer.from([0x12, 1]), Buffer.from('x')]);
  assert.is(Buffer.from('ünï').length, 5, 'the fixture\'s NS is 5 bytes (ü, ï: two each)');
  const m = decodeRpcRequest(bytes);
  assert.equal({ NS: m.NS, method: m.method, params: m.params.toString() }, { NS: 'ünï', method: 'x', params: '{}' });
  const empty = decodeRpcRequest(Buffer.alloc(0));
  assert.equal({ NS: empty.NS, method: empty.method, params: empty.params.length }, { NS: '', method: '', params: 0 });
  assert.ok(Buffer.isBuffer(empty.params));
});

test('truncated or malformed bytes fail with ERR_INVALID_FRAME', () => {
  for (const bad of [Buffer.from([0x0a, 10, 0x61]), Buffer.from([0x0a]), Buffer.from([0x0f])]) {
    assert.throws(() => decodeRpcRequest(bad), (e) => e.code === 'ERR_INVALID_FRAME' && /invalid RpcRequest/.test(e.message), hex(bad));
  }
});

test.run();
