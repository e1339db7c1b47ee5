// Fault 7: asynchronous codecs. An encode that rejects for one payload fails
// that one write with ERR_CODEC (conn.push returns a Promise<bigint> that
// rejects; a handler's endWrite with the Codec flag rejects), never as an
// unhandled rejection, and later writes on the connection work. An encode
// that takes a random 0-5 ms keeps frames in write order. A decode that
// rejects closes that connection with ERR_CODEC and no other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { ServeMux, connect, Flags } from '../../dist/index.js';
import { startServer, RawPeer, rejection } from '../helpers.mjs';
import { trapFatal, report, within, waitFor, delay } from './lib.mjs';

const big = (s) => Buffer.from(s + 'z'.repeat(300)); // compressible: the encoded form is smaller, so the flag stays
const POISON = 'poison';

/** Async raw-DEFLATE codec; encode rejects for payloads starting with "poison", decode for payloads starting with "BAD". Optional random encode delay. */
function asyncCodec({ jitter = false } = {}) {
  return {
    async encode(buf) {
      if (jitter) await delay(Math.floor(Math.random() * 6));
      else await null;
      if (buf.subarray(0, POISON.length).toString() === POISON) throw new Error('encode refuses poison');
      return zlib.deflateRawSync(buf);
    },
    async decode(buf) {
      await null;
      if (buf.subarray(0, 3).toString() === 'BAD') throw new Error('decode refuses BAD');
      return zlib.inflateRawSync(buf);
    },
  };
}

const hello = (w, req) => w.reply(req.requestId, 1, Buffer.concat([Buffer.from('hello world '), req.payload]));

test('encode rejects for one payload, client side: conn.push returns a Promise that rejects ERR_CODEC, no unhandled rejection, later pushes and calls work', async () => {
  const fatal = trapFatal();
  const pushes = [];
  const mux = new ServeMux();
  mux.handle(0, hello);
  const { server, addr } = await startServer(mux, { codec: asyncCodec(), onPush: (f) => pushes.push(f.payload.toString().slice(0, 5)) });
  const conn = await connect(addr, { codec: asyncCodec() });
  try {
    let pushResult;
    try {
      pushResult = conn.push(1, big(POISON), Flags.Codec);
    } catch (err) {
      pushResult = err;
    }
    const isPromise = typeof pushResult?.then === 'function';
    const pushCode = isPromise ? await pushResult.then(() => 'resolved', (e) => e.code) : 'n/a (not a Promise)';
    const ok = conn.push(1, big('fine1'), Flags.Codec);
    const okId = typeof ok?.then === 'function' ? await ok : ok;
    const f = await within(conn.call(0, 'x'), 10_000, 'a later call');
    await waitFor(() => pushes.length >= 1, 10_000, 'the later push to arrive');
    report(`encode reject (push): conn.push returned ${isPromise ? 'a Promise' : typeof pushResult}, rejection code ${pushCode}; later push → ${typeof okId} ${okId}; server got pushes ${JSON.stringify(pushes)}; unhandled rejections: ${fatal.seen.length}${fatal.seen.length ? ` (${fatal.seen[0].err?.code} ${fatal.seen[0].err?.message})` : ''}`);
    assert.is(fatal.seen.length, 0, `no unhandled rejection / uncaught exception: ${fatal.describe()}`);
    assert.ok(isPromise, 'conn.push returns a Promise');
    assert.is(pushCode, 'ERR_CODEC');
    assert.is(typeof okId, 'bigint', 'a later push resolves its id');
    assert.equal(pushes, ['fine1'], 'only the encodable push arrived');
    assert.is(f.payload.toString(), 'hello world x');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

test('encode rejects for one payload, server side: a handler endWrite with the Codec flag rejects ERR_CODEC, nothing sent for it, no unhandled rejection, the next frame on the stream arrives', async () => {
  const fatal = trapFatal();
  const handlerResults = [];
  const mux = new ServeMux();
  mux.handle(0, hello);
  mux.handle(7, async (w, req) => {
    handlerResults.push(
      await w.startWrite(req.requestId, 7, Flags.Stream | Flags.Codec).writeBytes(big(POISON)).endWrite().then(
        () => 'sent',
        (err) => err.code,
      ),
    );
    await w.startWrite(req.requestId, 7, Flags.StreamEnd | Flags.Codec).writeBytes(big('after')).endWrite();
  });
  const { server, addr } = await startServer(mux, { codec: asyncCodec() });
  const conn = await connect(addr, { codec: asyncCodec() });
  try {
    const { response } = conn.request(7, Flags.NB, 'go');
    const frames = [];
    const iter = (async () => {
      for await (const f of response.frames()) frames.push(f.payload.toString().slice(0, 5));
    })();
    await within(iter.catch((e) => frames.push(`threw ${e.code}`)), 10_000, 'the stream answer');
    const f = await within(conn.call(0, 'x'), 10_000, 'a later call');
    report(`encode reject (endWrite): handler endWrite → ${JSON.stringify(handlerResults)}; client got ${JSON.stringify(frames)}; unhandled rejections: ${fatal.seen.length}`);
    assert.is(fatal.seen.length, 0, `no unhandled rejection / uncaught exception: ${fatal.describe()}`);
    assert.equal(handlerResults, ['ERR_CODEC']);
    assert.equal(frames, ['after'], 'the refused frame was not sent, the later one was (decoded)');
    assert.is(f.payload.toString(), 'hello world x');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

const K = 40;
const expectedOrder = [...Array.from({ length: K }, (_, k) => String(k)), 'end'];

test('encode with a random 0-5 ms delay, server side: stream frames then StreamEnd reach a raw peer in write order (plain frames do not overtake encoded ones)', async () => {
  const fatal = trapFatal();
  const mux = new ServeMux();
  mux.handle(8, async (w, req) => {
    const writes = [];
    for (let k = 0; k < K; k++) writes.push(w.startWrite(req.requestId, 8, Flags.Stream | (k % 3 === 0 ? 0 : Flags.Codec)).writeBytes(big(`${k}:`)).endWrite());
    writes.push(w.startWrite(req.requestId, 8, Flags.StreamEnd).writeBytes('end').endWrite());
    await Promise.all(writes);
  });
  const { server, port } = await startServer(mux, { codec: asyncCodec({ jitter: true }) });
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(1, Flags.NB, 8, 'go');
    await within(peer.waitFrames(K + 1), 10_000, 'all stream frames');
    const got = peer.frames.map((f) => (f.flags & Flags.Codec ? zlib.inflateRawSync(f.payload) : f.payload).toString().split(':')[0]);
    const flagsOk = peer.frames.every((f, k) => (k < K ? (f.flags & Flags.Stream) !== 0 && (f.flags & Flags.StreamEnd) === 0 : (f.flags & Flags.StreamEnd) !== 0));
    const inOrder = JSON.stringify(got) === JSON.stringify(expectedOrder);
    report(`encode jitter (server→raw peer): ${inOrder ? 'in order' : `out of order; StreamEnd arrived as frame ${got.indexOf('end') + 1} of ${K + 1}; order ${got.join(',')}`}`);
    assert.equal(got, expectedOrder, 'frames leave in write order');
    assert.ok(flagsOk, 'Stream frames, then one StreamEnd');
    assert.is(fatal.seen.length, 0, fatal.describe());
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

test('encode with a random 0-5 ms delay, client side: pushes with and without the Codec flag arrive in write order', async () => {
  const fatal = trapFatal();
  const pushes = [];
  const mux = new ServeMux();
  const { server, addr } = await startServer(mux, { codec: asyncCodec({ jitter: true }), onPush: (f) => pushes.push(f.payload.toString().split(':')[0]) });
  const conn = await connect(addr, { codec: asyncCodec({ jitter: true }) });
  try {
    const sends = [];
    for (let k = 0; k < K; k++) sends.push(Promise.resolve(conn.push(2, big(`${k}:`), k % 3 === 0 ? 0 : Flags.Codec)));
    await Promise.allSettled(sends);
    await waitFor(() => pushes.length >= K, 10_000, () => `${K} pushes (got ${pushes.length})`);
    const inOrder = JSON.stringify(pushes) === JSON.stringify(expectedOrder.slice(0, K));
    report(`encode jitter (client pushes→server): ${inOrder ? 'in order' : `out of order: ${pushes.join(',')}`}`);
    assert.equal(pushes, expectedOrder.slice(0, K), 'pushes arrive in write order');
    assert.is(fatal.seen.length, 0, fatal.describe());
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

test('decode rejects: that connection closes with ERR_CODEC, other connections (codec ones too) are unaffected', async () => {
  const fatal = trapFatal();
  const closes = [];
  const mux = new ServeMux();
  mux.handle(0, hello);
  const { server, port, addr } = await startServer(mux, { codec: asyncCodec(), onClose: (_i, err) => closes.push(err?.code ?? null) });
  const good = await connect(addr);
  const goodCodec = await connect(addr, { codec: asyncCodec() });
  const bad = await RawPeer.connect(port);
  try {
    assert.is((await good.call(0, 'a')).payload.toString(), 'hello world a');
    bad.sendFrame(3, Flags.NB | Flags.Codec, 0, 'BAD payload');
    await within(bad.waitClose(), 10_000, 'the bad connection closes');
    await waitFor(() => closes.length >= 1, 10_000, 'server onClose');
    const c1 = await within(good.call(0, 'b'), 10_000, 'good call after');
    const c2 = await within(goodCodec.call(0, big('c'), { flags: Flags.Codec }), 10_000, 'codec call after');
    report(`decode reject: server close codes ${JSON.stringify(closes)}; bad peer received ${bad.frames.length} frames; others answered`);
    assert.equal(closes, ['ERR_CODEC']);
    assert.is(bad.frames.length, 0);
    assert.is(c1.payload.toString(), 'hello world b');
    assert.ok(c2.payload.toString().startsWith('hello world c'), 'the codec connection still works');
    assert.is(server.stats(0).connections, 2);
    assert.is(fatal.seen.length, 0, fatal.describe());
  } finally {
    bad.destroy();
    await good.close();
    await goodCodec.close();
    await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

test.run();
