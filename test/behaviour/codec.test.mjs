import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { ServeMux, Flags, connect, deflateRawCodec } from '../../dist/index.js';
import { startServer, RawPeer, rawServer, until } from '../helpers.mjs';

function echoMux() {
  const mux = new ServeMux();
  mux.handle(11, (w, req) => w.startWrite(req.requestId, 11, Flags.Codec).writeBytes(req.payload).endWrite());
  return mux;
}

test('codec round trip: 1000 × "a" travels compressed both ways', async () => {
  const { server, addr, port } = await startServer(echoMux(), { codec: deflateRawCodec() });
  const conn = await connect(addr, { codec: deflateRawCodec() });
  const big = 'a'.repeat(1000);
  const reply = await conn.call(11, big, { flags: Flags.Codec });
  assert.is(reply.payload.toString(), big, 'decoded before the caller sees it');
  assert.ok(reply.flags & Flags.Codec);
  await conn.close();
  // On the wire (raw peer): the Go vector's 14 compressed bytes decode to the same text.
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB | Flags.Codec, 11, Buffer.from('4a1c05a360140c7b00080000ffff', 'hex'));
  const [f] = await peer.waitFrames(1);
  assert.is(f.flags, Flags.Codec);
  assert.is(zlib.inflateRawSync(f.payload).toString(), big);
  assert.ok(f.payload.length < 100);
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('when encoding makes the payload larger it is sent plain with the flag cleared', async () => {
  const { server, port } = await startServer(echoMux(), { codec: deflateRawCodec() });
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB, 11, Buffer.from('x'));
  const [f] = await peer.waitFrames(1);
  assert.is(f.flags, 0);
  assert.is(f.payload.toString(), 'x');
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('an empty payload never carries the Codec flag', async () => {
  const { server, port } = await startServer(echoMux(), { codec: deflateRawCodec() });
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB, 11);
  const [f] = await peer.waitFrames(1);
  assert.is(f.flags, 0);
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('a Codec frame on a connection without a codec closes it (ERR_NO_CODEC)', async () => {
  let closeError;
  const { server, port } = await startServer(echoMux(), { onClose: (_c, err) => (closeError = err) });
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB | Flags.Codec, 11, Buffer.from('4a1c05a360140c7b00080000ffff', 'hex'));
  await peer.waitClose();
  assert.is(peer.received.length, 0);
  await until(() => closeError !== undefined, 'onClose');
  assert.is(closeError.code, 'ERR_NO_CODEC');
  await server.shutdown({ timeoutMs: 200 });
});

test('an undecodable Codec frame closes the connection (ERR_CODEC)', async () => {
  let closeError;
  const { server, port } = await startServer(echoMux(), { codec: deflateRawCodec(), onClose: (_c, err) => (closeError = err) });
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB | Flags.Codec, 11, Buffer.from('ffffffffffff', 'hex'));
  await peer.waitClose();
  await until(() => closeError !== undefined, 'onClose');
  assert.is(closeError.code, 'ERR_CODEC');
  await server.shutdown({ timeoutMs: 200 });
});

test('endWriteCompressed sends an already-encoded payload as is', async () => {
  const mux = new ServeMux();
  const encoded = zlib.deflateRawSync(Buffer.from('pre-encoded'));
  mux.handle(1, (w, req) => w.startWrite(req.requestId, 1, 0).writeBytes(encoded).endWriteCompressed());
  const { server, port } = await startServer(mux, { codec: deflateRawCodec() });
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB, 1);
  const [f] = await peer.waitFrames(1);
  assert.is(f.flags, Flags.Codec);
  assert.ok(f.payload.equals(encoded));
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('an asynchronous codec keeps frames in order', async () => {
  const slowCodec = {
    encode: (b) => b,
    decode: (b) => new Promise((resolve) => setTimeout(() => resolve(Buffer.from(b.toString().toUpperCase())), 5)),
  };
  const mux = new ServeMux();
  const seen = [];
  mux.handle(1, (w, req) => {
    seen.push(req.payload.toString());
    return w.reply(req.requestId, 1, req.payload);
  });
  const { server, port } = await startServer(mux, { codec: slowCodec });
  const peer = await RawPeer.connect(port);
  peer.sendFrame(3, Flags.NB | Flags.Codec, 1, Buffer.from('a'));
  peer.sendFrame(5, Flags.NB, 1, Buffer.from('b'));
  peer.sendFrame(7, Flags.NB | Flags.Codec, 1, Buffer.from('c'));
  await peer.waitFrames(3);
  assert.equal(seen, ['A', 'b', 'C']);
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('a final frame whose encode fails rejects ERR_CODEC and leaves a reset in its place: the caller does not hang', async () => {
  const failing = { encode: async () => { throw new Error('no'); }, decode: (b) => b };
  const results = [];
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    results.push(await w.startWrite(req.requestId, 1, Flags.Codec).writeBytes('answer').endWrite().then(() => 'sent', (e) => e.code));
  });
  mux.handle(2, (w, req) => w.reply(req.requestId, 2, 'plain still works'));
  const { server, addr } = await startServer(mux, { codec: failing });
  const conn = await connect(addr);
  try {
    const err = await conn.call(1, 'x').then(() => null, (e) => e);
    assert.is(err?.code, 'ERR_STREAM_RESET');
    assert.equal(results, ['ERR_CODEC']);
    assert.is((await conn.call(2)).payload.toString(), 'plain still works');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('a codec returning something other than bytes is the codec failing (ERR_CODEC), not a crash', async () => {
  const closes = [];
  const mux = new ServeMux().handle(1, (w, req) => w.reply(req.requestId, 1, 'ok'));
  const { server, port } = await startServer(mux, { codec: { encode: (b) => b, decode: () => 'not bytes' }, onClose: (_i, e) => closes.push(e?.code) });
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(3, Flags.Codec, 1, 'x');
    await peer.waitClose();
    await until(() => closes.length === 1, 'server onClose');
    assert.equal(closes, ['ERR_CODEC']);
    assert.is(peer.frames.length, 0);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test.run();
