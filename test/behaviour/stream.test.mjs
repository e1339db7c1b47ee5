import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect } from '../../dist/index.js';
import { withServerAndClient, rawServer, rejection, RawPeer, startServer, until } from '../helpers.mjs';

/** cmd 5 as in the Go demo server: "first " + payload, then "cont " + each continuation, the last with StreamEnd. */
function streamMux(seen = []) {
  const mux = new ServeMux();
  mux.handle(5, async (w, req) => {
    await w.startWrite(req.requestId, 5, Flags.Stream).writeBytes('first ').writeBytes(req.payload).endWrite();
    let ended = false;
    for await (const f of req.frames()) {
      seen.push(f.payload.toString());
      ended = (f.flags & Flags.StreamEnd) !== 0;
      await w.startWrite(req.requestId, 5, ended ? Flags.StreamEnd : Flags.Stream).writeBytes('cont ').writeBytes(f.payload).endWrite();
    }
    if (!ended) await w.startWrite(req.requestId, 5, Flags.StreamEnd).writeBytes('end').endWrite();
  });
  return mux;
}

test('streamed request and streamed reply on one id', async () => {
  const seen = [];
  await withServerAndClient(streamMux(seen), async ({ conn }) => {
    const { writer, response } = conn.streamRequest(5, 0, 'a');
    await writer.write('b');
    await writer.end('c');
    const got = [];
    for await (const f of response.frames()) got.push([f.flags, f.payload.toString()]);
    assert.equal(got, [[Flags.Stream, 'first a'], [Flags.Stream, 'cont b'], [Flags.StreamEnd, 'cont c']]);
    assert.equal(seen, ['b', 'c']);
  });
});

test('the client stream frames match Go on the wire (Stream, Stream, Stream|StreamEnd)', async () => {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`);
  const { writer } = conn.streamRequest(5, 0, 'a');
  await writer.write('b');
  await writer.end('c');
  const frames = await (await raw.peer(0)).waitFrames(3);
  assert.equal(frames.map((f) => [f.requestId, f.flags, f.cmd, f.payload.toString()]), [
    [3n, Flags.Stream, 5, 'a'],
    [3n, Flags.Stream, 5, 'b'],
    [3n, Flags.Stream | Flags.StreamEnd, 5, 'c'],
  ]);
  await conn.close();
  await raw.close();
});

test('a non-stream request to a streaming handler gets first + end', async () => {
  await withServerAndClient(streamMux(), async ({ conn }) => {
    const { response } = conn.request(5, Flags.NB, 'x');
    const got = [];
    for await (const f of response.frames()) got.push(f.payload.toString());
    assert.equal(got, ['first x', 'end']);
  });
});

test('writing after our final frame fails with ERR_WRITE_AFTER_CLOSE and sends nothing', async () => {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`);
  const { writer } = conn.streamRequest(5, 0, 'a');
  await writer.end('z');
  const err = await rejection(writer.write('late'));
  assert.is(err.code, 'ERR_WRITE_AFTER_CLOSE');
  conn.push(9, 'marker');
  const frames = await (await raw.peer(0)).waitFrames(3);
  assert.equal(frames.map((f) => f.payload.toString()), ['a', 'z', 'marker']);
  await conn.close();
  await raw.close();
});

test('a handler writing after its final frame gets ERR_WRITE_AFTER_CLOSE; the wire has one answer', async () => {
  const mux = new ServeMux();
  let lateError = null;
  mux.handle(1, async (w, req) => {
    await w.reply(req.requestId, 1, 'once');
    lateError = await rejection(w.reply(req.requestId, 1, 'twice'));
  });
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  peer.sendFrame(7, 0, 1);
  peer.sendFrame(9, 0, 1);
  const frames = await peer.waitFrames(2);
  assert.equal(frames.map((f) => [f.requestId, f.payload.toString()]), [[7n, 'once'], [9n, 'once']]);
  assert.is(lateError.code, 'ERR_WRITE_AFTER_CLOSE');
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('a streamed reply read with frame() gives the first frame, frames() the whole stream', async () => {
  await withServerAndClient(streamMux(), async ({ conn }) => {
    const { writer, response } = conn.streamRequest(5, 0, 'a');
    await writer.end('b');
    const first = await response.frame();
    assert.is(first.payload.toString(), 'first a');
    const all = [];
    for await (const f of response.frames()) all.push(f.payload.toString());
    assert.equal(all, ['first a', 'cont b']);
  });
});

test('the server reads an id again after its stream fully closed', async () => {
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    const parts = [req.payload.toString()];
    for await (const f of req.frames()) parts.push(f.payload.toString());
    await w.reply(req.requestId, 1, parts.join('+'));
  });
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  peer.sendFrame(11, Flags.Stream, 1, Buffer.from('a'));
  peer.sendFrame(11, Flags.Stream | Flags.StreamEnd, 1, Buffer.from('b'));
  await peer.waitFrames(1);
  peer.sendFrame(11, Flags.Stream | Flags.StreamEnd, 1, Buffer.from('c'));
  const frames = await peer.waitFrames(2);
  assert.equal(frames.map((f) => f.payload.toString()), ['a+b', 'c']);
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('streams from a raw peer under ids in every range (below 2^32, up to 2^53, above) get their continuations and resets', async () => {
  const mux = new ServeMux();
  const seen = new Map();
  mux.handle(5, async (w, req) => {
    const parts = [req.payload.toString()];
    const entry = { parts, reset: null };
    seen.set(req.requestId, entry);
    try {
      for await (const f of req.frames()) parts.push(f.payload.toString());
      await w.startWrite(req.requestId, 6, 0).writeBytes(parts.join('+')).endWrite();
    } catch (err) {
      entry.reset = err.code;
    }
  });
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  // 3 and 2^32 + 3 share their low half; 2^53 + 1 and 2^53 + 2 round to one double
  const ids = [3n, 0x100000003n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 53n + 2n, 0xfffffffffffffffen];
  for (const id of ids) peer.sendFrame(id, Flags.Stream, 5, Buffer.from('a'));
  for (const id of ids) peer.sendFrame(id, Flags.Stream, 5, Buffer.from('b'));
  // every id but the last ends its stream; the last is reset by the peer
  for (const id of ids.slice(0, -1)) peer.sendFrame(id, Flags.Stream | Flags.StreamEnd, 5, Buffer.from('c'));
  peer.sendFrame(ids[ids.length - 1], Flags.StreamRst, 0);
  const answers = await peer.waitFrames(ids.length - 1);
  assert.equal(answers.map((f) => [f.requestId, f.payload.toString()]).sort(), ids.slice(0, -1).map((id) => [id, 'a+b+c']).sort());
  await until(() => seen.get(ids[ids.length - 1])?.reset !== null, 'the reset stream is cancelled');
  assert.is(seen.get(ids[ids.length - 1]).reset, 'ERR_STREAM_RESET');
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test.run();
