// The recorded Go sessions over the WebSocket overlay (../shared/vectors/*-ws.*),
// both directions.
// - Our server: the recorded Go client's TCP bytes (HTTP upgrade, masked
//   frames) are replayed as they are; what our server sends is compared byte
//   for byte with NAME-ws.s2c.bin, HTTP 101 head included (the accept key
//   follows from the recorded request key).
// - Our client: a raw TCP server answers the upgrade (accept computed from our
//   client's random key; otherwise the recorded head) and then plays the
//   recorded server frames as they are. Client frames are masked with random
//   keys, so what is compared is the unmasked qrpc byte stream, plus the
//   message shape (binary, final, masked, one qrpc frame per message, as Go).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { connect, ServeMux, Flags } from '../../dist/index.js';
import { vector, parseAll, hex, bounded } from '../vectors.mjs';
import { startServer, RawPeer, until } from '../helpers.mjs';
import { splitHead, wsFrames, qrpcBytes, acceptFor } from '../ws-wire.mjs';
import { interopBinding } from '../../scripts/interop-handlers.mjs';

const NAMES = (process.env.ONLY ? [process.env.ONLY] : ['hello-ws', 'stream-ws', 'push-ws', 'bidi-ws']);

/** Raw TCP peer on our ws server, replaying the recorded client bytes in `arrival` order. */
async function replayToServer(v) {
  const binding = interopBinding({});
  const { server, port } = await startServer(binding.handler, { codec: binding.codec, onPush: binding.onPush, overlay: 'ws' });
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  const peer = RawPeer.fromSocket(socket);
  // RawPeer parses qrpc frames from the raw stream; here the stream starts with HTTP, so only its bytes are used.
  peer.parser = { push() {} };
  try {
    let sent = 0;
    let expected = 0;
    for (const chunk of v.json.arrival) {
      if (chunk.dir === 'c2s') {
        peer.send(v.c2s.subarray(sent, sent + chunk.bytes));
        sent += chunk.bytes;
      } else {
        expected += chunk.bytes;
        await bounded(peer.waitBytes(expected), `${expected} server bytes`);
      }
    }
    assert.is(sent, v.c2s.length);
    return peer.received;
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
}

for (const name of NAMES) {
  test(`${name}: our server answers the recorded Go client byte for byte (101 head and unmasked frames)`, async () => {
    const v = vector(name);
    const got = await replayToServer(v);
    assert.is(hex(got), hex(v.s2c));
  });
}

/**
 * A raw server playing Go's side for our client: answers the upgrade, then
 * per `arrival` chunk waits for our client's qrpc bytes to reach the recorded
 * amount (compared) or sends the recorded server bytes.
 */
async function scriptedServer(v) {
  const recordedHead = splitHead(v.s2c).head;
  const recordedC2s = splitHead(v.c2s).rest;
  const state = { received: Buffer.alloc(0), head: null, failure: null, done: null };
  let finish;
  state.done = new Promise((resolve, reject) => (finish = { resolve, reject }));
  state.done.catch(() => {});
  const sockets = [];
  const server = net.createServer(async (socket) => {
    sockets.push(socket);
    const chunks = [];
    const waiters = [];
    socket.on('data', (d) => {
      chunks.push(d);
      state.received = Buffer.concat(chunks);
      for (const w of waiters.splice(0)) w();
    });
    const next = () => new Promise((r) => waiters.push(r));
    try {
      while (splitHead(state.received) === null) await next();
      const { head } = splitHead(state.received);
      state.head = head;
      const key = /sec-websocket-key: *(\S+)/i.exec(head)[1];
      let s2cSent = Buffer.byteLength(recordedHead, 'latin1');
      socket.write(recordedHead.replace(/Sec-WebSocket-Accept: \S+/, `Sec-WebSocket-Accept: ${acceptFor(key)}`));
      let c2sSeen = 0;
      for (const chunk of v.json.arrival.slice(2)) {
        if (chunk.dir === 'c2s') {
          c2sSeen += chunk.bytes;
          const want = qrpcBytes(wsFrames(recordedC2s.subarray(0, c2sSeen)));
          while (qrpcBytes(wsFrames(splitHead(state.received).rest)).length < want.length) await bounded(next(), `${want.length} qrpc bytes from the client`);
          assert.is(hex(qrpcBytes(wsFrames(splitHead(state.received).rest))), hex(want));
        } else {
          socket.write(v.s2c.subarray(s2cSent, s2cSent + chunk.bytes));
          s2cSent += chunk.bytes;
        }
      }
      finish.resolve();
    } catch (err) {
      state.failure = err;
      finish.reject(err);
      socket.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = server.address().port;
  state.close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return state;
}

async function play(name, clientOptions, drive) {
  const v = vector(name);
  const s = await scriptedServer(v);
  const conn = await connect(`ws://127.0.0.1:${s.port}/qrpc`, clientOptions);
  try {
    await drive(conn);
    await s.done;
  } catch (err) {
    throw s.failure ?? err;
  } finally {
    // The raw server does not answer a close frame: it goes first, so the client sees the TCP close.
    await s.close();
    await conn.close();
  }
  // The upgrade asked for path /qrpc and offered no subprotocol, as Go's client.
  assert.ok(s.head.startsWith('GET /qrpc HTTP/1.1\r\n'), s.head);
  assert.ok(!/sec-websocket-protocol/i.test(s.head), 'no subprotocol offered');
  // Every qrpc frame our client sent went in a binary message of its own, masked, final (as Go sends).
  const messages = wsFrames(splitHead(s.received).rest).filter((f) => f.opcode !== 8);
  const recorded = v.json.c2s.wsMessages;
  assert.equal(
    messages.map((m) => [m.opcode, m.fin, m.masked, m.payload.length]),
    recorded.map((m) => [m.opcode, m.fin, m.masked, m.length]),
  );
  for (const m of messages) assert.is(parseAll(m.payload).length, 1, 'one frame per message');
}

test('hello-ws: our client sends the recorded request (id 3) and reads "hello world xu"', async () => {
  await play('hello-ws', {}, async (conn) => {
    const frame = await conn.request(0, 0, 'xu').response.frame();
    assert.equal([frame.requestId, frame.flags, frame.cmd, frame.payload.toString()], [3n, 0, 1, 'hello world xu']);
  });
});

test('stream-ws: a streamed request and its streamed answer', async () => {
  await play('stream-ws', {}, async (conn) => {
    const { writer, response } = conn.streamRequest(5, 0, 'a');
    await writer.write('b');
    await writer.end('c');
    const frames = [];
    for await (const f of response.frames()) frames.push([f.requestId, f.flags, f.cmd, f.payload.toString()]);
    assert.equal(frames, [
      [3n, Flags.Stream, 5, 'first a'],
      [3n, Flags.Stream, 5, 'cont b'],
      [3n, Flags.StreamEnd, 5, 'cont c'],
    ]);
  });
});

test('push-ws: the push (id 1) reaches onPush before the reply', async () => {
  const pushes = [];
  await play('push-ws', { onPush: (f) => pushes.push([f.requestId, f.flags, f.cmd, f.payload.toString()]) }, async (conn) => {
    const frame = await conn.request(2, Flags.NB, 'xu').response.frame();
    assert.is(frame.payload.toString(), 'push done');
    assert.equal(pushes, [[1n, Flags.Push, 2, 'pushed xu']]);
  });
});

test('bidi-ws: the server call (id 2) is answered by the client handler inside request 3', async () => {
  const mux = new ServeMux().handle(4, (w, req) => w.reply(req.requestId, 4, 'client resp'));
  await play('bidi-ws', { handler: mux }, async (conn) => {
    const frame = await conn.request(3, Flags.NB, 'xu ').response.frame();
    assert.equal([frame.requestId, frame.cmd, frame.payload.toString()], [3n, 1, 'xu client resp']);
  });
});

test.run();
