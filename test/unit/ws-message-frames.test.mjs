// The overlay's own encoder of WebSocket data messages against the ws library's Sender.frame
// (the reference the rest of ws is built on), byte for byte; masked messages decode with ws's Receiver.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sender, Receiver } from 'ws';
import { MessageEncoder, headerSize, serverMessages } from '../../dist/overlays/ws/message-frames.js';
import { encodeFrame } from '../../dist/protocol/frame.js';

const SIZES = [0, 1, 16, 125, 126, 127, 1000, 0xffff, 0x10000, 16 * 1024 - 1, 16 * 1024, 200_000];
const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

const wsUnmasked = (data) => Buffer.concat(Sender.frame(data, { fin: true, opcode: 2, mask: false, readOnly: true }));
/** A socket that records what the encoder writes; `backlog` is what it claims to hold still. */
function socket(backlog = 0) {
  const writes = [];
  let corked = 0;
  return {
    writableLength: backlog,
    writes,
    corkedWrites: 0,
    write(chunk) { writes.push(chunk); if (corked) this.corkedWrites++; return true; },
    cork() { corked++; },
    uncork() { corked--; },
  };
}
/** Encodes with `fill(encoder)` and returns the socket writes of one writeTo(). */
function written(masked, fill, backlog = 0) {
  const s = socket(backlog);
  const encoder = new MessageEncoder(masked, s);
  fill(encoder, s);
  encoder.writeTo();
  return s.writes;
}
const frameArgs = (n) => [BigInt(n) * 2n + 1n, 0x01, 0x123, bytes(n, n)];

test('unmasked (server) messages are the bytes ws frames, for every header length', () => {
  for (const n of SIZES) {
    const data = bytes(n, n);
    let size = 0;
    const writes = written(false, (e) => (size = e.message(data)));
    assert.equal(Buffer.concat(writes), wsUnmasked(data), `message of ${n} bytes`);
    assert.is(size, wsUnmasked(data).length);
    assert.is(headerSize(n, false), wsUnmasked(data).length - n);
  }
});

test('a qrpc frame is one message holding exactly the encoded frame, for every header length', () => {
  for (const n of SIZES) {
    let size = 0;
    const writes = written(false, (e) => (size = e.frame(...frameArgs(n))));
    const expected = wsUnmasked(encodeFrame(...frameArgs(n)));
    assert.equal(Buffer.concat(writes), expected, `frame with ${n} payload bytes`);
    assert.is(size, expected.length);
  }
});

test('a tick of messages is one socket write; a large unmasked payload goes by reference after its header, corked', () => {
  const small = SIZES.filter((n) => n < 16 * 1024);
  const s = socket();
  const encoder = new MessageEncoder(false, s);
  for (const n of small) encoder.frame(...frameArgs(n));
  assert.ok(encoder.writeTo());
  assert.is(s.writes.length, 1);
  assert.equal(s.writes[0], Buffer.concat(small.map((n) => wsUnmasked(encodeFrame(...frameArgs(n))))));
  assert.not.ok(encoder.writeTo(), 'writing empties the encoder');
  assert.is(s.writes.length, 1);

  const big = frameArgs(16 * 1024);
  encoder.frame(...frameArgs(2));
  encoder.frame(...big);
  encoder.frame(...frameArgs(3));
  encoder.writeTo();
  const mixed = s.writes.slice(1);
  assert.is(mixed.length, 4, 'range, header of the large frame, its payload, range');
  assert.is(s.corkedWrites, 4, 'one corked batch');
  assert.ok(mixed[2] === big[3], 'the large payload itself, not a copy');
  assert.equal(Buffer.concat(mixed), Buffer.concat([frameArgs(2), big, frameArgs(3)].map((a) => wsUnmasked(encodeFrame(...a)))));
  encoder.frame(...frameArgs(4));
  encoder.writeTo();
  assert.equal(s.writes.slice(5), [wsUnmasked(encodeFrame(...frameArgs(4)))], 'after a batch, the next tick starts empty');
});

test('messages of interleaved connections each leave as their own range, in order', () => {
  const sa = socket();
  const sb = socket();
  const a = new MessageEncoder(false, sa);
  const b = new MessageEncoder(false, sb);
  a.frame(...frameArgs(1));
  b.frame(...frameArgs(2));
  a.frame(...frameArgs(3));
  a.writeTo();
  b.writeTo();
  assert.is(sa.writes.length, 2);
  assert.equal(Buffer.concat(sa.writes), Buffer.concat([1, 3].map((n) => wsUnmasked(encodeFrame(...frameArgs(n))))));
  assert.equal(sb.writes, [wsUnmasked(encodeFrame(...frameArgs(2)))]);
});

test('a backed-up socket gets its output copied out of the shared arena', () => {
  const [view] = written(false, (e) => e.frame(...frameArgs(5)));
  assert.is(view.buffer.byteLength, 64 * 1024, 'an idle socket writes a view of the arena');
  const [alone] = written(false, (e) => e.frame(...frameArgs(5)), 1);
  assert.ok(alone.buffer !== view.buffer, 'the tick\'s one range: a copy, not a view of the arena');
  assert.equal(alone, wsUnmasked(encodeFrame(...frameArgs(5))));
  // A range finished early, by a large frame, while the socket holds earlier output.
  const [chunk] = written(false, (e) => { e.frame(...frameArgs(5)); e.frame(...frameArgs(16 * 1024)); }, 1);
  assert.ok(chunk.buffer !== view.buffer, 'a finished range: a copy, not a view of the arena');
  assert.equal(chunk, wsUnmasked(encodeFrame(...frameArgs(5))));
});

test('a broadcast\'s messages are built once: one message per frame, the bytes ws frames, large frames by reference', () => {
  const frames = [encodeFrame(...frameArgs(1)), encodeFrame(...frameArgs(300)), encodeFrame(...frameArgs(16 * 1024)), encodeFrame(...frameArgs(2))];
  const messages = serverMessages(Buffer.concat(frames));
  assert.is(messages.length, 3, 'small frames in one buffer (with the large frame\'s header), the large frame, the last small one');
  assert.is(messages[1].length, frames[2].length);
  assert.equal(messages[1], frames[2]);
  assert.equal(Buffer.concat(messages), Buffer.concat(frames.map(wsUnmasked)));
});

test('shared messages leave at once when nothing is queued, else after what is, in order', () => {
  const shared = serverMessages(encodeFrame(...frameArgs(7)));
  const s = socket();
  const encoder = new MessageEncoder(false, s);
  assert.ok(encoder.shared(shared), 'written now');
  assert.ok(s.writes[0] === shared[0], 'the shared buffer itself');
  encoder.frame(...frameArgs(8));
  assert.not.ok(encoder.shared(shared), 'queued behind the frame already queued');
  assert.is(s.writes.length, 1);
  encoder.writeTo();
  assert.equal(Buffer.concat(s.writes.slice(1)), Buffer.concat([frameArgs(8), frameArgs(7)].map((a) => wsUnmasked(encodeFrame(...a)))));
});

test('masked (client) messages: mask bit and key set, payload masked with it, and ws receives the original messages', async () => {
  const sent = SIZES.map((n) => bytes(n, n + 1));
  const writes = written(true, (e) => {
    for (const data of sent) e.message(data);
    e.frame(...frameArgs(40));
  });
  sent.push(encodeFrame(...frameArgs(40)));
  assert.ok(writes.every((w) => !sent.some((d) => d.buffer === w.buffer)), 'a client copies every payload (to mask it), large ones too');
  const wire = Buffer.concat(writes);
  const received = [];
  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  receiver.on('message', (data, isBinary) => received.push({ data: Buffer.from(data), isBinary }));
  let failure = null;
  receiver.on('error', (err) => (failure = err));
  receiver.write(wire);
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
    assert.is(wire[at], 0x82);
    assert.is(wire[at + 1] & 0x80, 0x80);
    const h = headerSize(data.length, true);
    keys.add(wire.subarray(at + h - 4, at + h).toString('hex'));
    at += h + data.length;
  }
  assert.is(at, wire.length);
  assert.ok(keys.size > sent.length / 2, 'masking keys come from the random pool');
});

test('masking leaves the caller’s buffers unchanged', () => {
  const args = frameArgs(300);
  const copy = Buffer.from(args[3]);
  written(true, (e) => {
    e.frame(...args);
    e.message(args[3]);
  });
  assert.equal(args[3], copy);
});

test.run();
