// Our server against the recorded Go client bytes (../shared/vectors): each
// transcript's NAME.c2s.bin is replayed over a raw socket, split where the
// Go client had to wait for the server (the `arrival` list), and what our
// server sends is compared byte for byte with NAME.s2c.bin. A fresh server
// per vector (the push vector needs the server's first push ID, 1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { Flags, FrameParser, encodeFrame } from '../../dist/index.js';
import { vector, parseAll, hex, bounded } from '../vectors.mjs';
import { startServer, RawPeer, until } from '../helpers.mjs';
import { interopBinding } from '../../scripts/interop-handlers.mjs';


/** A fresh interop server and a raw client connected to it. */
async function setup(t = {}) {
  const events = [];
  const binding = interopBinding({ onEvent: (name, detail) => events.push({ name, ...detail }) });
  const { server, port } = await startServer(binding.handler, { codec: binding.codec, onPush: binding.onPush, ...t });
  const peer = await RawPeer.connect(port);
  return {
    server,
    peer,
    events,
    async done() {
      peer.destroy();
      await server.shutdown({ timeoutMs: 500 });
    },
  };
}

/**
 * Replays a transcript following `arrival`: client chunks are sent as they
 * were; before each server chunk, waits until our server has sent as many
 * bytes as Go's had (`byFrames`: as many frames, for payloads whose size may
 * differ). Then half-closes and waits for the server to close, so
 * `peer.received` holds everything our server sent.
 */
async function replay(peer, v, { byFrames = false } = {}) {
  const frameEnds = v.json.s2c.frames.map((f) => f.offset + 4 + f.length);
  let sent = 0;
  let expected = 0;
  for (const chunk of v.json.arrival) {
    if (chunk.dir === 'c2s') {
      peer.send(v.c2s.subarray(sent, sent + chunk.bytes));
      sent += chunk.bytes;
    } else {
      expected += chunk.bytes;
      if (byFrames) await bounded(peer.waitFrames(frameEnds.filter((end) => end <= expected).length), `server frames up to byte ${expected}`);
      else await bounded(peer.waitBytes(expected), `${expected} server bytes`);
    }
  }
  assert.is(sent, v.c2s.length, 'arrival covers the whole client transcript');
  peer.end();
  await bounded(peer.waitClose(), 'the server to close after our half-close');
  return peer.received;
}

for (const name of ['hello', 'hello-nb', 'opaque-cmd', 'push', 'client-push', 'bidi', 'stream', 'panic', 'noreply']) {
  test(`${name}: our server answers the recorded Go client byte for byte`, async () => {
    const v = vector(name);
    const s = await setup();
    try {
      const got = await replay(s.peer, v);
      assert.is(hex(got), hex(v.s2c));
    } finally {
      await s.done();
    }
  });
}

test('push: the push carries the server counter first ID (1) and arrives before the reply', async () => {
  const v = vector('push');
  const s = await setup();
  try {
    const frames = parseAll(await replay(s.peer, v));
    assert.equal(
      frames.map((f) => [f.requestId, f.flags, f.cmd, f.payload.toString()]),
      [
        [1n, Flags.Push, 2, 'pushed xu'],
        [3n, 0, 1, 'push done'],
      ],
    );
  } finally {
    await s.done();
  }
});

test('cancel: after the client reset, nothing more is sent for id 3 (spec §6; Go still sends "canceled") and the connection stays usable', async () => {
  // Deliberate deviation from the Go transcript: Go's server still writes
  // "canceled" for id 3 after the client's reset (cancel.s2c.bin). The spec
  // says a reset closes both halves, so our handler's later write fails with
  // ERR_WRITE_AFTER_CLOSE and nothing goes on the wire.
  const v = vector('cancel');
  const s = await setup();
  try {
    const [request, reset] = parseAll(v.c2s);
    assert.equal([request.requestId, request.flags, request.cmd], [3n, Flags.NB, 6]);
    assert.equal([reset.requestId, reset.flags, reset.cmd, reset.payload.length], [3n, Flags.StreamRst, 0, 0]);
    // First client chunk (the request), then wait until the handler is waiting for its cancellation.
    s.peer.send(v.c2s.subarray(0, v.json.arrival[0].bytes));
    await until(() => s.events.some((e) => e.name === 'cancel-waiting'), 'the cmd 6 handler to wait');
    // Second client chunk: the reset.
    s.peer.send(v.c2s.subarray(v.json.arrival[0].bytes));
    await until(() => s.events.some((e) => e.name === 'cancel-result'), 'the cmd 6 handler to finish');
    const result = s.events.find((e) => e.name === 'cancel-result');
    assert.is(result.requestId, 3n);
    assert.ok(result.canceled, 'the handler saw the cancellation');
    assert.is(result.writeError?.code, 'ERR_WRITE_AFTER_CLOSE');
    // Still usable: a hello on id 5 is answered, and it is the only frame on the wire.
    s.peer.sendFrame(5n, 0, 0, 'xu');
    s.peer.end();
    await bounded(s.peer.waitClose(), 'the server to close');
    assert.is(hex(s.peer.received), hex(encodeFrame(5n, 0, 1, Buffer.from('hello world xu'))));
  } finally {
    await s.done();
  }
});

test('codec: the Codec reply decodes to the same 1000 × "a" with the same id, flags and cmd (DEFLATE bytes differ: zlib vs Go flate)', async () => {
  // Go's compress/flate and zlib both emit valid RFC 1951 streams for the
  // same input, but not the same bits (Go: 14 bytes ending in a sync-flush
  // block; zlib: 11 bytes), so this one is compared frame by frame with the
  // payload decoded. The request payload is Go's encoding, decoded by us.
  const v = vector('codec');
  const s = await setup();
  try {
    const got = parseAll(await replay(s.peer, v, { byFrames: true }));
    const want = parseAll(v.s2c);
    assert.is(got.length, 1);
    assert.equal([got[0].requestId, got[0].flags, got[0].cmd], [want[0].requestId, want[0].flags, want[0].cmd]);
    assert.equal([got[0].requestId, got[0].flags, got[0].cmd], [3n, Flags.Codec, 11]);
    const decoded = zlib.inflateRawSync(got[0].payload);
    assert.is(decoded.toString(), 'a'.repeat(1000));
    assert.is(hex(decoded), hex(zlib.inflateRawSync(want[0].payload)));
    assert.ok(got[0].payload.length < 1000, 'compressed on the wire');
  } finally {
    await s.done();
  }
});

for (const name of ['badframe', 'hugeframe']) {
  test(`${name}: our server closes without sending a byte`, async () => {
    const v = vector(name);
    assert.is(v.s2c.length, 0);
    const s = await setup();
    try {
      s.peer.send(v.c2s);
      await bounded(s.peer.waitClose(), 'the server to close'); // no end() from us: the server must close by itself
      assert.is(s.peer.received.length, 0);
    } finally {
      await s.done();
    }
  });
}

test.run();
