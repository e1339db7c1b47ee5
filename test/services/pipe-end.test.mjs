// How a pipe's receiver ends: Go's reset with reason 0, a StreamEnd frame
// (its payload, when there is one, is the last message; an empty one only
// ends), or a one-frame answer without Stream. Any other reset is a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipe } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { withRawServer, frameBytes, STREAM, STREAM_END, STREAM_RST } from './wire-bytes.mjs';

/** Opens a pipe toward a raw peer and hands `fn` the peer (its opening frame read) and the pipe's receiver. */
async function withOpenPipe(fn) {
  return withRawServer(async (conn, raw) => {
    const { sender, receiver } = pipe(conn, 12);
    await sender.send(12, 'hi');
    const peer = await raw.peer(0);
    await peer.waitFrames(1);
    return fn(peer, receiver);
  });
}

/** What the receiver yields when the peer answers with `answer` bytes. */
function receiveFrom(answer) {
  return withOpenPipe(async (peer, receiver) => {
    peer.send(answer);
    const got = [];
    for await (const m of receiver) got.push(m);
    return { got, next: await receiver.receive() };
  });
}

test('a reset with reason 0 ends the receiver after the messages before it', async () => {
  const { got, next } = await receiveFrom(Buffer.concat([frameBytes(3, STREAM, 7, '1'), frameBytes(3, STREAM, 8, '{"k":"v"}'), frameBytes(3, STREAM_RST, 0)]));
  assert.equal(got, [{ cmd: 7, message: 1 }, { cmd: 8, message: { k: 'v' } }]);
  assert.is(next, null, 'receive() after the end keeps answering null');
});

test('a StreamEnd frame with a payload is the last message', async () => {
  const { got } = await receiveFrom(Buffer.concat([frameBytes(3, STREAM, 7, '1'), frameBytes(3, STREAM | STREAM_END, 9, '2')]));
  assert.equal(got, [{ cmd: 7, message: 1 }, { cmd: 9, message: 2 }]);
});

test('an empty StreamEnd frame only ends', async () => {
  const { got } = await receiveFrom(Buffer.concat([frameBytes(3, STREAM, 7, '"a"'), frameBytes(3, STREAM_END, 7)]));
  assert.equal(got, [{ cmd: 7, message: 'a' }]);
});

test('an answer without the Stream flag is one message and the end', async () => {
  const { got } = await receiveFrom(frameBytes(3, 0, 7, 'true'));
  assert.equal(got, [{ cmd: 7, message: true }]);
});

test('a reset with another reason fails the receiver with ERR_STREAM_RESET and that reason', async () => {
  await withOpenPipe(async (peer, receiver) => {
    peer.send(Buffer.concat([frameBytes(3, STREAM, 7, '1'), frameBytes(3, STREAM_RST, 1)]));
    assert.equal(await receiver.receive(), { cmd: 7, message: 1 });
    const err = await rejection(receiver.receive());
    assert.is(err.code, 'ERR_STREAM_RESET');
    assert.is(err.reason, 1);
  });
});

test.run();
