// A client pipe on the wire is Go's channel clientSender, byte for byte: the
// first message opens one stream (Stream flag), each later message is one
// frame with its own cmd, end() is a reset of reason 0; a message sent with
// `end` carries StreamEnd.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipe } from '../../dist/index.js';
import { withRawServer, frameBytes, STREAM, STREAM_END, STREAM_RST } from './wire-bytes.mjs';

test('messages are frames of one stream with their own cmd; end() is a reset with reason 0', async () => {
  await withRawServer(async (conn, raw) => {
    const { sender } = pipe(conn, 12);
    await sender.send(12, { a: 1 });
    await sender.send(0x0d000c, 'x');
    await sender.end();
    const expected = Buffer.concat([
      frameBytes(3, STREAM, 12, '{"a":1}'),
      frameBytes(3, STREAM, 0x0d000c, '"x"'),
      frameBytes(3, STREAM_RST, 0, ''),
    ]);
    const peer = await raw.peer(0);
    assert.equal((await peer.waitBytes(expected.length)).toString('hex'), expected.toString('hex'));
  });
});

test('a first message with end is one Stream|StreamEnd frame (Go: StreamRequest with StreamEndFlag); end() then sends nothing', async () => {
  await withRawServer(async (conn, raw) => {
    const { sender } = pipe(conn, 12);
    await sender.send(12, [1, 2], { end: true });
    await sender.end();
    // A later pipe's frame marks where this one's bytes stop: no reset between them.
    const second = pipe(conn, 12);
    await second.sender.send(12, null);
    const expected = Buffer.concat([frameBytes(3, STREAM | STREAM_END, 12, '[1,2]'), frameBytes(5, STREAM, 12, 'null')]);
    const peer = await raw.peer(0);
    assert.equal((await peer.waitBytes(expected.length)).toString('hex'), expected.toString('hex'));
  });
});

test('a later message with end carries StreamEnd, and the receiver still gets the answer', async () => {
  await withRawServer(async (conn, raw) => {
    const { sender, receiver } = pipe(conn, 12);
    await sender.send(12, 'a');
    await sender.send(12, 'b', { end: true });
    const expected = Buffer.concat([frameBytes(3, STREAM, 12, '"a"'), frameBytes(3, STREAM | STREAM_END, 12, '"b"')]);
    const peer = await raw.peer(0);
    assert.equal((await peer.waitBytes(expected.length)).toString('hex'), expected.toString('hex'));
    peer.send(Buffer.concat([frameBytes(3, STREAM, 12, '"A"'), frameBytes(3, STREAM_RST, 0)]));
    const got = [];
    for await (const m of receiver) got.push(m);
    assert.equal(got, [{ cmd: 12, message: 'A' }]);
  });
});

test.run();
