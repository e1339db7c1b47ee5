// The Redis broker's message form (u32 header length, JSON header, raw payload) and its ack waits:
// binary payloads cross untouched, garbage on a channel is ignored, and a wait always settles
// (all acks in, even when they come before PUBLISH's count; timeout; connection drop).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeMessage, encodeMessage } from '../../dist/cluster/redis/messages.js';
import { AckTable } from '../../dist/cluster/redis/acks.js';

test('a message round-trips with its binary payload byte for byte', () => {
  const payload = Buffer.from([0, 255, 1, 254, 0x7b, 0x22]);
  const message = { t: 'ids', from: 'node-1', seq: 7, b: 0, ids: ['a', 'ü'], cmd: 300, flags: 4 };
  const bytes = encodeMessage(message, payload);
  const header = Buffer.from(JSON.stringify(message));
  assert.is(bytes.readUInt32BE(0), header.length);
  assert.is(bytes.subarray(4 + header.length).toString('hex'), payload.toString('hex'));
  const back = decodeMessage(bytes);
  assert.equal(back.message, message);
  assert.is(back.payload.toString('hex'), payload.toString('hex'));
});

test('bytes that are not a message are ignored', () => {
  for (const junk of [Buffer.alloc(0), Buffer.from([0, 0, 0]), Buffer.from([0, 0, 1, 0, 1]), Buffer.from('\u0000\u0000\u0000\u0003abc'), Buffer.from('\u0000\u0000\u0000\u0004null'), Buffer.from('\u0000\u0000\u0000\u0008{"t":1}x')]) {
    assert.is(decodeMessage(junk), null, junk.toString('hex'));
  }
});

test('a wait settles complete when every expected ack is in, even acks that came first', async () => {
  const table = new AckTable(60_000);
  const wait = table.open();
  table.receive({ t: 'ack', seq: wait.seq, n: 2 });
  const outcome = wait.expect(2);
  table.receive({ t: 'ack', seq: wait.seq, n: 3 });
  assert.equal(await outcome, { acks: [{ t: 'ack', seq: wait.seq, n: 2 }, { t: 'ack', seq: wait.seq, n: 3 }], complete: true });
  table.receive({ t: 'ack', seq: wait.seq, n: 9 }); // late: dropped, nothing throws
  assert.equal(await table.open().expect(0), { acks: [], complete: true });
});

test('a wait settles incomplete at its timeout and when the connection drops', async () => {
  const short = new AckTable(5);
  const timedOut = short.open();
  // The wait's timer is unref'd (a broker's sockets keep the process alive); here something must.
  const keepAlive = setInterval(() => {}, 1000);
  assert.equal(await timedOut.expect(1), { acks: [], complete: false });
  clearInterval(keepAlive);
  const table = new AckTable(60_000);
  const a = table.open();
  const b = table.open();
  const outcomes = Promise.all([a.expect(1), b.expect(2)]);
  table.receive({ t: 'ack', seq: b.seq, n: 1 });
  table.abandonAll();
  assert.equal(await outcomes, [{ acks: [], complete: false }, { acks: [{ t: 'ack', seq: b.seq, n: 1 }], complete: false }]);
});

test.run();
