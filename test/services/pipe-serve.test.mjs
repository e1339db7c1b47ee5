// The answering side of a pipe: pipe(w, req) / pipeHandler inside a handler.
// Its messages go back on the request's id with the Stream flag (the last
// with StreamEnd when sent with end), and its end() is a reset of reason 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, pipe, pipeHandler } from '../../dist/index.js';
import { RawPeer, startServer, deferred } from '../helpers.mjs';
import { frameBytes, STREAM, STREAM_END, STREAM_RST } from './wire-bytes.mjs';

test('the handler receives the opener\'s messages and its answers are Stream frames, then a reset of reason 0', async () => {
  const received = deferred();
  const mux = new ServeMux();
  mux.handle(12, pipeHandler(async ({ sender, receiver }) => {
    const got = [];
    for await (const m of receiver) {
      got.push(m);
      await sender.send(m.cmd + 100, { echo: m.message });
    }
    received.resolve(got);
    await sender.end();
  }));
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(7, STREAM, 12, '"a"');
    await peer.waitFrames(1);
    peer.sendFrame(7, STREAM, 13, '2');
    await peer.waitFrames(2);
    peer.sendFrame(7, STREAM_RST, 0);
    assert.equal(await received.promise, [{ cmd: 12, message: 'a' }, { cmd: 13, message: 2 }]);
    // The opener's reset (Go's End) closed both halves: the handler's end() sends no second reset. A new pipe's answer marks the end of id 7's bytes.
    peer.send(frameBytes(9, STREAM | STREAM_END, 12, '"b"'));
    const expected = Buffer.concat([frameBytes(7, STREAM, 112, '{"echo":"a"}'), frameBytes(7, STREAM, 113, '{"echo":2}'), frameBytes(9, STREAM, 112, '{"echo":"b"}')]);
    assert.equal((await peer.waitBytes(expected.length)).subarray(0, expected.length).toString('hex'), expected.toString('hex'));
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('an opener that ends with StreamEnd gets every answer, the end message with StreamEnd, byte for byte', async () => {
  const mux = new ServeMux();
  mux.handle(12, (w, req) => {
    const { sender, receiver } = pipe(w, req);
    return (async () => {
      const got = [];
      for await (const m of receiver) got.push(m.message);
      await sender.send(1, got.length);
      await sender.send(2, got, { end: true });
      await sender.end(); // after an end message: nothing more on the wire
    })();
  });
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  try {
    peer.send(Buffer.concat([frameBytes(9, STREAM, 12, '"x"'), frameBytes(9, STREAM | STREAM_END, 12, '"y"')]));
    const expected = Buffer.concat([frameBytes(9, STREAM, 1, '2'), frameBytes(9, STREAM | STREAM_END, 2, '["x","y"]')]);
    await peer.waitBytes(expected.length);
    // A ping on another id answered after the pipe proves nothing else was written for id 9 in between.
    peer.send(frameBytes(11, STREAM | STREAM_END, 12, '"z"'));
    const all = Buffer.concat([expected, frameBytes(11, STREAM, 1, '1'), frameBytes(11, STREAM | STREAM_END, 2, '["z"]')]);
    assert.equal((await peer.waitBytes(all.length)).toString('hex'), all.toString('hex'));
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('a one-frame request is one message for the handler\'s receiver', async () => {
  const got = deferred();
  const mux = new ServeMux();
  mux.handle(12, pipeHandler(async ({ receiver }) => {
    const all = [];
    for await (const m of receiver) all.push(m);
    got.resolve(all);
  }));
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  try {
    peer.send(frameBytes(5, 8, 12, '{"only":true}'));
    assert.equal(await got.promise, [{ cmd: 12, message: { only: true } }]);
    // The handler returned without a final frame: the core answers with the reset (reason 0) that ends a pipe.
    const [f] = await peer.waitFrames(1);
    assert.equal([f.requestId, f.flags, f.cmd, f.payload.length], [5n, STREAM_RST, 0, 0]);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
