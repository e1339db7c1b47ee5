import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect, ResetReason } from '../../dist/index.js';
import { withServerAndClient, startServer, RawPeer, rawServer, rejection, until, deferred } from '../helpers.mjs';

test('conn.reset(id) cancels the serving handler (signal and frame sequence)', async () => {
  const mux = new ServeMux();
  const cancelled = deferred();
  mux.handle(6, async (w, req) => {
    req.signal.addEventListener('abort', () => cancelled.resolve(req.signal.reason));
    try {
      for await (const f of req.frames()) void f;
    } catch (err) {
      cancelled.resolve(err);
    }
  });
  await withServerAndClient(mux, async ({ conn }) => {
    const { requestId, response } = conn.streamRequest(6, 0, 'x');
    await until(() => true);
    await conn.reset(requestId, 7);
    const reason = await cancelled.promise;
    assert.is(reason.code, 'ERR_STREAM_RESET');
    assert.is(reason.reason, 7);
    const err = await rejection(response.frame());
    assert.is(err.code, 'ERR_STREAM_RESET');
  });
});

for (const [name, handler] of [
  ['throws', () => { throw new Error('boom'); }],
  ['rejects', async () => { throw new Error('boom'); }],
  ['returns without a final frame', () => {}],
  ['resolves after a non-final stream frame', async (w, req) => { await w.startWrite(req.requestId, 1, Flags.Stream).writeBytes('part').endWrite(); }],
]) {
  test(`a handler that ${name} is answered with a reset frame (Go's bytes)`, async () => {
    const mux = new ServeMux();
    mux.handle(7, handler);
    const { server, port } = await startServer(mux);
    const peer = await RawPeer.connect(port);
    peer.sendFrame(0x0123456789abcdefn, 0, 7);
    const frames = await peer.waitFrames(name.startsWith('resolves') ? 2 : 1);
    const reset = frames[frames.length - 1];
    // Go's panic vector: 0000000c 0123456789abcdef 04 000000
    assert.is(peer.received.subarray(peer.received.length - 16).toString('hex'), '0000000c0123456789abcdef04000000');
    assert.is(reset.flags, Flags.StreamRst);
    peer.destroy();
    await server.shutdown({ timeoutMs: 200 });
  });
}

test('our client fails the pending call when a reset arrives (Go hangs here)', async () => {
  const mux = new ServeMux();
  mux.handle(9, () => {});
  await withServerAndClient(mux, async ({ conn }) => {
    const err = await rejection(conn.call(9, 'x'));
    assert.is(err.code, 'ERR_STREAM_RESET');
    assert.is(err.reason, 0);
  });
});

test('a reset for an unknown id is ignored and the connection keeps working', async () => {
  const mux = new ServeMux();
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, 'ok'));
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  peer.sendFrame(99, Flags.StreamRst, 0);
  peer.sendFrame(3, 0, 0);
  const [f] = await peer.waitFrames(1);
  assert.is(f.requestId, 3n);
  assert.is(f.payload.toString(), 'ok');
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('a handler writing after the peer reset gets ERR_WRITE_AFTER_CLOSE and nothing is sent', async () => {
  const mux = new ServeMux();
  const late = deferred();
  mux.handle(6, async (w, req) => {
    await new Promise((resolve) => req.signal.addEventListener('abort', resolve));
    late.resolve(await rejection(w.reply(req.requestId, 1, 'canceled')));
  });
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, 'next'));
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB, 6, Buffer.from('xu'));
  peer.sendFrame(3, Flags.StreamRst, 0);
  assert.is((await late.promise).code, 'ERR_WRITE_AFTER_CLOSE');
  peer.sendFrame(5, 0, 0);
  const frames = await peer.waitFrames(1);
  assert.equal(frames.map((f) => [f.requestId, f.payload.toString()]), [[5n, 'next']]);
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('no reset is sent for an id whose halves are both closed', async () => {
  const raw = await rawServer((peer) => peer.waitFrames(1).then(([f]) => peer.sendFrame(f.requestId, 0, 1, Buffer.from('done'))));
  const conn = await connect(`127.0.0.1:${raw.port}`);
  const { requestId, response } = conn.request(1, 0, 'x');
  await response.frame();
  await conn.reset(requestId, 0);
  conn.push(2, 'marker');
  const frames = await (await raw.peer(0)).waitFrames(2);
  assert.equal(frames.map((f) => f.flags), [0, Flags.Push]);
  await conn.close();
  await raw.close();
});

test('the server can reset a client request it is serving, with a reason', async () => {
  const mux = new ServeMux();
  mux.handle(1, (w, req) => w.resetFrame(req.requestId, 42));
  await withServerAndClient(mux, async ({ conn }) => {
    const err = await rejection(conn.call(1, 'x'));
    assert.is(err.code, 'ERR_STREAM_RESET');
    assert.is(err.reason, 42);
  });
});

test('a synchronous handler resetting its own request: the reset is sent once, then nothing for that id', async () => {
  const mux = new ServeMux();
  mux.handle(2, (w, req) => {
    w.resetFrame(req.requestId, 7);
    w.resetFrame(req.requestId, 8); // both halves closed now: nothing more is sent
  });
  mux.handle(3, (w, req) => w.reply(req.requestId, 4, 'ok'));
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3n, Flags.NB, 2, Buffer.from('x'));
  peer.sendFrame(5n, Flags.NB, 3, Buffer.from('x'));
  const frames = await peer.waitFrames(2);
  assert.equal(frames.map((f) => [f.requestId, f.flags, f.cmd]), [[3n, Flags.StreamRst, 7], [5n, 0, 4]]);
  peer.sendFrame(7n, Flags.NB, 3, Buffer.from('x'));
  await peer.waitFrames(3);
  assert.is(peer.frames.length, 3, 'no late reset for id 3');
  peer.socket.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('ResetReason codes are stable', () => {
  assert.equal({ ...ResetReason }, { None: 0, UnknownCmd: 1, Kicked: 2, Shutdown: 3 });
});

test.run();
