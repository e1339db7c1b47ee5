// A kicked client learns why (issue 8 §6): the server's last frames are the onKick
// frame and a connection notice (a reset of id 0, reason Kicked), byte for byte;
// our client turns it into ERR_KICKED and does not reconnect into a kick loop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, encodeFrame, Flags, ResetReason } from '../../dist/index.js';
import { startServer, RawPeer, until, rejection } from '../helpers.mjs';

function loginMux() {
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    await req.connection.setId(req.payload.toString());
    await w.reply(req.requestId, 1, 'in');
  });
  mux.handle(2, () => new Promise(() => {})); // never answers: stays pending until the close
  return mux;
}

test('the kicked peer receives the onKick frame, then the notice reset(0, Kicked), then the close', async () => {
  const { server, port, addr } = await startServer(loginMux(), { onKick: (old) => old.push(9, 'bye') });
  const first = await RawPeer.connect(port);
  try {
    first.sendFrame(3, 0, 1, 'alice');
    await first.waitFrames(1);
    const second = await connect(addr);
    await second.call(1, 'alice');
    await first.waitClose();
    const after = first.frames.slice(1);
    assert.equal(after.map((f) => [f.flags, f.cmd, f.payload.toString()]), [
      [Flags.Push, 9, 'bye'],
      [Flags.StreamRst, ResetReason.Kicked, ''],
    ]);
    const tail = first.received.subarray(first.received.length - 16);
    assert.is(tail.toString('hex'), encodeFrame(0n, Flags.StreamRst, ResetReason.Kicked).toString('hex'), 'notice bytes exact');
    await second.close();
  } finally {
    first.destroy();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('our client: onDisconnect and pending calls say ERR_KICKED; a reconnecting client stays closed instead of kicking back', async () => {
  const { server, addr } = await startServer(loginMux());
  const disconnects = [];
  const first = await connect(addr, { reconnect: { backoffMs: 10 }, onDisconnect: (_c, err) => disconnects.push(err) });
  try {
    await first.call(1, 'bob');
    const pending = first.call(2, 'waits');
    const second = await connect(addr);
    await second.call(1, 'bob');
    const err = await rejection(pending);
    assert.is(err.code, 'ERR_CONN_CLOSED');
    assert.is(err.cause?.code, 'ERR_KICKED');
    await first.closed; // closed for good: no reconnect after a kick
    assert.equal(disconnects.map((e) => e?.code), ['ERR_KICKED']);
    assert.is(first.closeReason?.code, 'ERR_KICKED');
    assert.is((await rejection(first.call(1, 'again'))).cause?.code, 'ERR_KICKED');
    assert.is(server.getConnectionInfoById(0, 'bob') !== null, true, 'the new login holds the id');
    await second.close();
  } finally {
    await first.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('a graceful shutdown tells our client why: close reason ERR_SHUTDOWN', async () => {
  const { server, addr } = await startServer(loginMux());
  const conn = await connect(addr);
  await conn.call(1, 'carol');
  await server.shutdown({ timeoutMs: 200 });
  await conn.closed;
  assert.is(conn.closeReason?.code, 'ERR_SHUTDOWN');
});

test.run();
