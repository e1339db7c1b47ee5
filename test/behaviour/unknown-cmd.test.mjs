// Unknown cmd (protocol.md §5, issue 2 point 13): answered with a reset whose
// cmd is ResetReason.UnknownCmd, logged (warn) and counted, connection kept;
// with unknownCmd: 'close' the connection is closed as Go does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, encodeFrame, Flags, ResetReason } from '../../dist/index.js';
import { startServer, helloMux, RawPeer, until, rejection } from '../helpers.mjs';

const hello = (id, payload, flags = 0) => encodeFrame(BigInt(id), flags, 1, Buffer.concat([Buffer.from('hello world '), Buffer.from(payload)]));
const reset = (id, reason) => encodeFrame(BigInt(id), Flags.StreamRst, reason);

function capturingLogger() {
  const entries = [];
  const make = (level) => (obj, msg) => entries.push({ level, obj, msg });
  return { entries, logger: { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') } };
}

test('ResetReason.UnknownCmd is a documented non-zero code distinct from the others', () => {
  assert.type(ResetReason.UnknownCmd, 'number');
  assert.is.not(ResetReason.UnknownCmd, ResetReason.None);
  assert.is.not(ResetReason.UnknownCmd, ResetReason.Shutdown);
  assert.ok(ResetReason.UnknownCmd > 0 && ResetReason.UnknownCmd <= 0xffffff);
});

test('an unknown cmd is answered with exactly one reset frame (cmd = UnknownCmd, same id); the connection then serves the next request', async () => {
  const { entries, logger } = capturingLogger();
  const { server, port } = await startServer(helloMux(), {}, { logger });
  const peer = await RawPeer.connect(port);
  try {
    const bigId = 0xfedcba9876543211n; // browser SDKs use random 64-bit ids
    peer.sendFrame(bigId, 0, 99, 'payload');
    const expectReset = reset(bigId, ResetReason.UnknownCmd);
    await peer.waitBytes(expectReset.length);
    assert.is(peer.received.toString('hex'), expectReset.toString('hex'), 'byte-exact reset frame');

    peer.sendFrame(9, 0, 0, 'again');
    const expectHello = hello(9, 'again');
    await peer.waitBytes(expectReset.length + expectHello.length);
    assert.is(peer.received.toString('hex'), Buffer.concat([expectReset, expectHello]).toString('hex'), 'the next request is served');
    assert.is(peer.closed, false);

    const warns = entries.filter((e) => e.level === 'warn');
    assert.is(warns.length, 1, 'one warning logged');
    assert.is(warns[0].obj.cmd, 99);
    assert.is(warns[0].obj.remoteAddress, '127.0.0.1');
    assert.is(server.stats().unknownCmds, 1);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('routing ignores the opaque byte: an unknown routing cmd with an opaque byte is reset; a known one with an opaque byte is served', async () => {
  const { server, port } = await startServer(helloMux());
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(3, Flags.NB, 0x070063); // opaque 7, routing 99: unknown
    peer.sendFrame(5, Flags.NB, 0x070000, 'op'); // opaque 7, routing 0: hello
    const frames = await peer.waitFrames(2);
    const byId = new Map(frames.map((f) => [f.requestId, f]));
    assert.equal({ ...byId.get(3n), payload: byId.get(3n).payload.toString('hex') }, { requestId: 3n, flags: Flags.StreamRst, cmd: ResetReason.UnknownCmd, payload: '' });
    assert.is(byId.get(5n).payload.toString(), 'hello world op');
    assert.is(server.stats().unknownCmds, 1);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('several unknown cmds (blocking, non-blocking, streamed) each get one reset and are all counted', async () => {
  const { server, port } = await startServer(helloMux());
  const peer = await RawPeer.connect(port);
  try {
    peer.send(
      Buffer.concat([
        encodeFrame(1n, 0, 50),
        encodeFrame(3n, Flags.NB, 51),
        encodeFrame(5n, Flags.Stream, 52, Buffer.from('s1')),
        encodeFrame(7n, 0, 0, Buffer.from('ok')),
      ]),
    );
    const frames = await peer.waitFrames(4);
    const resets = frames.filter((f) => f.flags === Flags.StreamRst);
    assert.equal(resets.map((f) => f.requestId).sort(), [1n, 3n, 5n]);
    for (const f of resets) assert.is(f.cmd, ResetReason.UnknownCmd);
    assert.ok(frames.some((f) => f.requestId === 7n && f.payload.toString() === 'hello world ok'));
    // The reset closed both halves of 5 (protocol §6), so nothing of it is kept: a late frame under that id
    // is routed like any frame (here another unknown cmd, answered with one more reset), never to the old stream.
    peer.sendFrame(5, Flags.StreamEnd, 52, 's2');
    peer.sendFrame(9, 0, 0, 'end');
    await peer.waitFrames(6);
    assert.equal(
      peer.frames.slice(4).map((f) => [f.requestId, f.flags]),
      [[5n, Flags.StreamRst], [9n, 0]],
    );
    assert.is(server.stats().openStreams, 0, 'no record of the reset stream is left');
    assert.is(server.stats().unknownCmds, 4);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('through the client API the call fails with ERR_STREAM_RESET carrying reason UnknownCmd', async () => {
  const { server, addr } = await startServer(helloMux());
  const conn = await connect(addr);
  try {
    const err = await rejection(conn.call(1234, 'x'));
    assert.is(err.code, 'ERR_STREAM_RESET');
    assert.is(err.reason, ResetReason.UnknownCmd);
    assert.is((await conn.call(0, 'still')).payload.toString(), 'hello world still');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test("unknownCmd: 'close' closes the connection without answering; logged, counted, onClose sees ERR_UNKNOWN_CMD", async () => {
  const { entries, logger } = capturingLogger();
  const closes = [];
  const { server, port } = await startServer(helloMux(), { unknownCmd: 'close', onClose: (_c, err) => closes.push(err) }, { logger });
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(3, 0, 0, 'first');
    await peer.waitFrames(1);
    const before = peer.received.length;
    peer.sendFrame(5, 0, 99);
    await peer.waitClose();
    assert.is(peer.received.length, before, 'no reset, nothing sent');
    assert.ok(entries.some((e) => e.level === 'warn' && e.obj.cmd === 99), 'a warning names the cmd');
    assert.is(server.stats().unknownCmds, 1);
    await until(() => closes.length === 1, 'server onClose');
    assert.is(closes[0]?.code, 'ERR_UNKNOWN_CMD');
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test("unknownCmd: 'close' seen by the client API: the call fails with ERR_CONN_CLOSED", async () => {
  const { server, addr } = await startServer(helloMux(), { unknownCmd: 'close' });
  const conn = await connect(addr);
  try {
    const err = await rejection(conn.call(77));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    await conn.closed;
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
