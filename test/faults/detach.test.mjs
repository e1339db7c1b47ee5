// Fault 6: a handler transfers its payload's ArrayBuffer (structuredClone
// with transfer, MessagePort.postMessage with a transfer list). Many small
// requests share a read batch, so payloads may be views of one buffer: the
// server must keep serving, and the payloads the handler kept from other
// requests must keep their bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, encodeFrame, Flags } from '../../dist/index.js';
import { RawPeer } from '../helpers.mjs';
import { startFixture, report, within, waitFor, detachPattern, detachLen as len } from './lib.mjs';

const ROUNDS = 5;
const PER_ROUND = 300;

test(`payload transfer/detach: ${ROUNDS} x ${PER_ROUND} small NB requests in single writes, every 6th payload transferred by structuredClone, every 6th posted on a MessagePort: all answered, held payloads intact`, async () => {
  const fx = await startFixture({});
  const peer = await RawPeer.connect(fx.port);
  let client = null;
  try {
    let i = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const parts = [];
      for (let k = 0; k < PER_ROUND; k++, i++) parts.push(encodeFrame(BigInt(2 * i + 1), Flags.NB, 6, detachPattern(i, len(i))));
      peer.send(Buffer.concat(parts));
      await waitFor(() => peer.frames.length >= i || peer.closed || fx.fatals.length > 0, 10_000, () => `answers of round ${r} (${peer.frames.length}/${i}, peer closed: ${peer.closed})`);
      if (fx.fatals.length > 0 || peer.closed) break;
    }
    const answers = peer.frames;
    const okCount = answers.filter((f) => f.cmd === 6 && f.payload.toString() === 'ok').length;
    const ids = new Set(answers.map((f) => f.requestId));
    const h = await fx.held();
    report(`detach: ${answers.length}/${i} answered, ${okCount} 'ok', ${ids.size} distinct ids; fixture: ${JSON.stringify(h)}; fixture fatals: ${fx.fatals.length ? fx.fatals[0].message.split('\n')[0] : 'none'}`);
    assert.is(fx.fatals.length, 0, `no uncaught error in the server process: ${fx.fatals[0]?.message.split('\n').slice(0, 3).join(' | ')}`);
    assert.is(answers.length, i, 'every request answered');
    assert.is(ids.size, i, 'one answer per id');
    assert.is(h.arrivedBad, 0, 'every payload arrived intact');
    assert.is(okCount, i);
    assert.is(h.corrupted, 0, `held payloads keep their bytes (${h.corrupted} of ${h.held} changed)`);
    client = await connect(`127.0.0.1:${fx.port}`);
    assert.is((await within(client.call(0, 'fresh'), 10_000, 'fresh client call')).payload.toString(), 'hello world fresh');
  } finally {
    peer.destroy();
    await client?.close();
    await fx.stop();
  }
});

test.run();
