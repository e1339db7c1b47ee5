// Fault 4: an inbound flood past maxInboundFramesPerSecond (1000) closes the
// flooding connection with ERR_RATE_LIMIT; a well-behaved client on the same
// server keeps being answered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, encodeFrame, Flags } from '../../dist/index.js';
import { startFixture, openSockets, allClosed, destroyAll, report, within, delay } from './lib.mjs';

test('flood above maxInboundFramesPerSecond 1000: the flooder is closed with ERR_RATE_LIMIT, a good client keeps being answered', async () => {
  const fx = await startFixture({ maxInboundFramesPerSecond: 1000 });
  const client = await connect(`127.0.0.1:${fx.port}`);
  let socks = [];
  try {
    assert.is((await client.call(0, 'warm')).payload.toString(), 'hello world warm');
    socks = await openSockets(fx.port, 1);
    const [flooder] = socks;
    let id = 1;
    const batch = () => {
      const parts = [];
      for (let i = 0; i < 2000; i++) parts.push(encodeFrame(BigInt((id += 2)), Flags.NB, 0, Buffer.from('f')));
      return Buffer.concat(parts);
    };
    // Bounded: at most 20 batches of 2000 frames, each batch alone is twice the per-second limit.
    let sent = 0;
    const flooding = (async () => {
      for (let b = 0; b < 20 && !flooder.closedFlag; b++) {
        flooder.write(batch());
        sent += 2000;
        await delay(20);
      }
    })();
    let answered = 0;
    for (let i = 0; i < 10; i++) {
      const f = await within(client.call(0, `g${i}`), 10_000, `well-behaved call ${i} during the flood`);
      assert.is(f.payload.toString(), `hello world g${i}`);
      answered++;
    }
    await flooding;
    await allClosed(socks, 10_000, 'flooder');
    await fx.until(() => fx.closes.length >= 1, 10_000, 'server onClose of the flooder');
    report(`flood: ${sent} frames sent before the close; server close codes ${JSON.stringify(fx.closes)}; good-client calls answered: ${answered}`);
    assert.equal(fx.closes, ['ERR_RATE_LIMIT']);
    const f = await within(client.call(0, 'after'), 10_000, 'well-behaved call after the flood');
    assert.is(f.payload.toString(), 'hello world after');
    assert.equal(fx.fatals, []);
  } finally {
    destroyAll(socks);
    await client.close();
    await fx.stop();
  }
});

test.run();
