// pause() stops reading promptly: after it, only frames already parsed into
// the batch being delivered arrive; resume() restarts reading even though the
// data is already waiting in the kernel (level-triggered epoll: no new edge
// needed). Waits are on events and on the kernel's queue (inputQueued), never
// on time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, listen, rawClient, encode, recorder, tick } from './_native.mjs';

const native = nativeOrSkip('native pause');
const t = native?.transport;
const addon = native?.addon;

if (t) {
  test('pause stops reading within the current batch; resume reads what the kernel buffered meanwhile', async () => {
    const FRAME = 1000;
    const COUNT = 8000; // 8 MB: far more than one batch and than the socket buffers
    let conn;
    let atPause = -1;
    let batchEnd = -1;
    const rec = recorder();
    // no stalled-payload cut-off: a paused reader leaves a partial frame waiting for as long as the test takes
    const listener = await listen(t, { stalledPayloadMs: 0 }, (c) => {
      conn = c;
      c.attach({
        ...rec,
        onFrame(hi, lo, flags, cmd, payload) {
          rec.onFrame(hi, lo, flags, cmd, payload);
          if (atPause < 0) {
            c.pause();
            atPause = rec.frames.length;
            setImmediate(() => {
              batchEnd = rec.frames.length;
              rec.check();
            });
          }
        },
      });
    });
    const raw = await rawClient(listener.port);
    const frames = [];
    for (let i = 0; i < COUNT; i++) {
      const p = Buffer.alloc(FRAME - 16, i & 0xff);
      p.writeUInt32BE(i, 0);
      frames.push(encode(BigInt(i), 0, 1, p));
    }
    raw.write(Buffer.concat(frames));
    await rec.until(() => batchEnd >= 0);
    // at most what one batch can hold for one connection: 4 reads of 64 KiB (native/loop.cc kReadsPerWake)
    assert.ok(batchEnd - atPause <= (4 * 65536) / FRAME + 1, `${batchEnd - atPause} frames after pause()`);
    // the kernel holds the rest and native is not polling the socket for input
    let q;
    while (!((q = addon.inputQueued(conn.id)) && q[0] > 0)) await tick();
    assert.is(q[1], false, 'EPOLLIN disarmed while paused');
    assert.is(rec.frames.length, batchEnd, 'nothing read while paused');
    conn.resume();
    assert.is(addon.inputQueued(conn.id)[1], true, 'EPOLLIN armed again');
    await rec.until(() => rec.frames.length === COUNT || rec.closed !== undefined);
    assert.is(rec.closed, undefined, 'still open');
    assert.is(rec.frames.length, COUNT);
    for (let i = 0; i < COUNT; i += 997) assert.is(rec.frames[i].payload.readUInt32BE(0), i);
    raw.destroy();
    await rec.untilClosed();
    await listener.close();
  });
}

test.run();
