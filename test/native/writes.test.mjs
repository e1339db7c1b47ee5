// Truthful writes (src/transport/types.ts): writeFrame / writeRaw return
// WRITE_CLOSED and queue nothing once the connection is closed, ending, or
// already gone natively (its close is later in the batch being handled), and
// broadcast does not count such connections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, listen, connect, rawClient, encode, recorder, tick } from './_native.mjs';
import { WRITE_CLOSED, WRITE_QUEUED } from '../../dist/transport/types.js';

const native = nativeOrSkip('native writes');
const t = native?.transport;

if (t) {
  test('frames handled in the batch that also closes the connection: writes say WRITE_CLOSED, broadcast skips it', async () => {
    const results = [];
    const recs = [];
    const listener = await listen(t, {}, (conn) => {
      const rec = recorder();
      recs.push(rec);
      conn.attach({
        ...rec,
        onFrame(hi, lo, flags, cmd, payload) {
          rec.onFrame(hi, lo, flags, cmd, payload);
          results.push({
            frame: conn.writeFrame(1n, 0, 1, payload),
            raw: conn.writeRaw(Buffer.from('x')),
            broadcast: t.broadcast([conn], encode(2n, 0, 2, Buffer.from('all'))),
          });
        },
      });
    });
    const raw = await rawClient(listener.port);
    raw.on('error', () => {});
    // one valid frame, then a length below the minimum, in one write: one read, one batch
    raw.write(Buffer.concat([encode(5n, 0, 9, Buffer.from('first')), Buffer.from([0, 0, 0, 3])]));
    while (recs.length === 0) await tick();
    await recs[0].untilClosed();
    assert.is(recs[0].closed?.code, 'ERR_INVALID_FRAME');
    assert.is(results.length, 1);
    assert.equal(results[0], { frame: WRITE_CLOSED, raw: WRITE_CLOSED, broadcast: 0 });
    raw.destroy();
    await listener.close();
  });

  test('after end(), after destroy() and after the peer reset: WRITE_CLOSED, broadcast counts 0', async () => {
    const conns = [];
    const recs = [];
    const listener = await listen(t, {}, (conn) => {
      const rec = recorder();
      conns.push(conn);
      recs.push(rec);
      conn.attach(rec);
    });
    const c1 = await connect(t, listener.port);
    c1.attach(recorder());
    assert.is(c1.writeFrame(1n, 0, 1, Buffer.from('ok')), WRITE_QUEUED);
    c1.end();
    assert.is(c1.writeFrame(1n, 0, 1, Buffer.from('late')), WRITE_CLOSED);
    assert.is(c1.writeRaw(Buffer.from('late')), WRITE_CLOSED);
    assert.is(t.broadcast([c1], Buffer.from('all')), 0);
    const c2 = await connect(t, listener.port);
    c2.attach(recorder());
    c2.destroy();
    assert.is(c2.writeFrame(1n, 0, 1, Buffer.from('late')), WRITE_CLOSED);
    assert.is(t.broadcast([c2], Buffer.from('all')), 0);
    const raw = await rawClient(listener.port);
    while (conns.length < 3) await tick();
    raw.resetAndDestroy();
    await recs[2].untilClosed();
    assert.is(conns[2].writeFrame(1n, 0, 1, Buffer.from('late')), WRITE_CLOSED);
    assert.is(t.broadcast([conns[2]], Buffer.from('all')), 0);
    await listener.close();
  });
}

test.run();
