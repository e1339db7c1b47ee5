// The overlay's own encoder of WebSocket data messages against the ws library's Sender.frame
// (the reference the rest of ws is built on), byte for byte; masked messages decode with ws's Receiver.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sender, Receiver } from 'ws';
import { encodeMessages, headerSize } from '../../dist/overlays/ws/message-frames.js';

const SIZES = [0, 1, 16, 125, 126, 127, 1000, 0xffff, 0x10000, 16 * 1024 - 1, 16 * 1024, 200_000];
const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

const wsUnmasked = (data) => Buffer.concat(Sender.frame(data, { fin: true, opcode: 2, mask: false, readOnly: true }));

test('unmasked (server) messages are the bytes ws frames, for every header length', () => {
  for (const n of SIZES) {
    const data = bytes(n, n);
    assert.equal(Buffer.concat(encodeMessages([data], false)), wsUnmasked(data), `payload of ${n} bytes`);
    assert.is(headerSize(n, false), wsUnmasked(data).length - n);
  }
});

test('a tick of messages is one buffer; a large unmasked payload goes by reference after its header', () => {
  const small = SIZES.filter((n) => n < 16 * 1024).map((n) => bytes(n, 7));
  const chunks = encodeMessages(small, false);
  assert.is(chunks.length, 1);
  assert.equal(chunks[0], Buffer.concat(small.map(wsUnmasked)));

  const big = bytes(16 * 1024, 3);
  const mixed = encodeMessages([small[2], big, small[3]], false);
  assert.is(mixed.length, 3);
  assert.ok(mixed[1] === big, 'the large payload itself, not a copy');
  assert.equal(Buffer.concat(mixed), Buffer.concat([small[2], big, small[3]].map(wsUnmasked)));
});

test('masked (client) messages: mask bit and key set, payload masked with it, and ws receives the original messages', async () => {
  const sent = SIZES.map((n) => bytes(n, n + 1));
  const chunks = encodeMessages(sent, true);
  assert.is(chunks.length, 1, 'a client copies every payload to mask it: one buffer');
  const received = [];
  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  receiver.on('message', (data, isBinary) => received.push({ data: Buffer.from(data), isBinary }));
  let failure = null;
  receiver.on('error', (err) => (failure = err));
  receiver.write(chunks[0]);
  await new Promise((r) => setImmediate(r));
  assert.is(failure, null);
  assert.is(received.length, sent.length);
  received.forEach((m, i) => {
    assert.ok(m.isBinary);
    assert.equal(m.data, sent[i], `message ${i} (${sent[i].length} bytes)`);
  });
  // Headers: FIN + binary opcode, the mask bit, a key that is not the same for every message.
  const keys = new Set();
  let at = 0;
  for (const data of sent) {
    assert.is(chunks[0][at], 0x82);
    assert.is(chunks[0][at + 1] & 0x80, 0x80);
    const h = headerSize(data.length, true);
    keys.add(chunks[0].subarray(at + h - 4, at + h).toString('hex'));
    at += h + data.length;
  }
  assert.is(at, chunks[0].length);
  assert.ok(keys.size > sent.length / 2, 'masking keys come from the random pool');
});

test('a masked payload leaves the caller’s buffer unchanged', () => {
  const data = bytes(300, 9);
  const copy = Buffer.from(data);
  encodeMessages([data], true);
  assert.equal(data, copy);
});

test.run();
