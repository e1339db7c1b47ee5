// Fault 3 over the WebSocket overlay: a slow reader. A raw WebSocket peer (the
// ws library) sends 40,000 requests to the ~4 KiB echo handler, 1,000 frames
// per binary message, and reads nothing: what the server's socket holds
// (bufferedAmount) counts toward highWaterMark, so the server stops taking
// work from the peer and its memory grows by less than 24 MiB; when the peer
// reads again, all 40,000 answers arrive, one binary message per frame (ids
// and payloads checked). A well-behaved client over the overlay keeps being
// answered meanwhile. Once with NB requests, once with blocking ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { connect, encodeFrame, FrameParser, requestIdOf, Flags } from '../../dist/index.js';
import { startFixture, peakWhileSettling, fmtGrowth, report, within, MiB } from './lib.mjs';

const N = 40_000;
const PER_MESSAGE = 1000;
// highWaterMark (1 MiB) + the kernel socket buffers (~4 MiB here) + what one read batch of requests costs as records.
const BOUND = 24 * MiB;

function requestMessages(flags) {
  const messages = [];
  for (let at = 0; at < N; at += PER_MESSAGE) {
    const frames = [];
    for (let i = at; i < Math.min(N, at + PER_MESSAGE); i++) {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(i, 0);
      p.writeUInt32BE(0xc0ffee, 4);
      frames.push(encodeFrame(BigInt(2 * i + 1), flags, 1, p));
    }
    messages.push(Buffer.concat(frames));
  }
  return messages;
}

/** A raw WebSocket peer that counts the answers it parses: each message must be exactly one frame. */
async function slowPeer(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/qrpc`, { perMessageDeflate: false, maxPayload: 0 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  const seen = new Uint8Array(N);
  const state = { count: 0, dup: 0, bad: 0, notOneFrame: 0, closed: false, waiters: [] };
  ws.on('message', (data, isBinary) => {
    let frames = 0;
    new FrameParser(1 << 30).push(data, (hi, lo, flags, cmd, payload) => {
      frames++;
      const id = requestIdOf(hi, lo);
      const i = Number((id - 1n) / 2n);
      const ok = isBinary && cmd === 1 && flags === 0 && payload.length === 4096 && id % 2n === 1n && i < N && payload.readUInt32BE(0) === i && payload.readUInt32BE(4) === 0xc0ffee && payload[4095] === 0x61;
      if (!ok) state.bad++;
      else if (seen[i]) state.dup++;
      else {
        seen[i] = 1;
        state.count++;
      }
    });
    if (frames !== 1) state.notOneFrame++;
    for (const w of state.waiters.splice(0)) w();
  });
  ws.on('close', () => {
    state.closed = true;
    for (const w of state.waiters.splice(0)) w();
  });
  state.all = async () => {
    while (state.count + state.bad + state.dup < N && !state.closed) await new Promise((r) => state.waiters.push(r));
  };
  return { ws, state };
}

async function slowReaderCase(label, flags) {
  const fx = await startFixture({ overlay: 'ws' });
  const client = await connect(`ws://127.0.0.1:${fx.port}/qrpc`);
  const { ws, state } = await slowPeer(fx.port);
  try {
    assert.is((await client.call(0, 'warm')).payload.toString(), 'hello world warm');
    const before = await fx.mem();
    // The peer stops reading (its socket, under ws's receiver), then sends everything.
    ws._socket.pause();
    for (const m of requestMessages(flags)) ws.send(m);
    const { peak, stats } = await peakWhileSettling(fx, before);
    report(`slow reader over ws, ${N} ${label} requests x 4 KiB answers, not reading: peak growth ${fmtGrowth(peak)}; handlers run while stalled: ${stats.handled - 1}`);
    assert.ok(stats.handled - 1 < N, 'the server stopped taking work while the peer did not read');

    for (let i = 0; i < 5; i++) {
      const f = await within(client.call(0, `ok${i}`), 10_000, `well-behaved call ${i} during the stall`);
      assert.is(f.payload.toString(), `hello world ok${i}`);
    }

    ws._socket.resume();
    await within(state.all(), 40_000, `all ${N} answers (got ${state.count})`);
    report(`slow reader over ws, ${label}: received ${state.count}/${N} answers after resuming (bad ${state.bad}, duplicate ${state.dup}, peer closed: ${state.closed})`);
    assert.is(state.count, N, 'every answer arrived');
    assert.is(state.bad, 0);
    assert.is(state.dup, 0);
    assert.is(state.notOneFrame, 0, 'one binary message per frame');
    assert.ok(peak.rss < BOUND, `rss growth ${(peak.rss / MiB).toFixed(1)} MiB < 24 MiB`);
    assert.ok(peak.arrayBuffers < BOUND, `arrayBuffers growth ${(peak.arrayBuffers / MiB).toFixed(1)} MiB < 24 MiB`);
    assert.equal(fx.fatals, []);
  } finally {
    ws.terminate();
    await client.close();
    await fx.stop();
  }
}

test(`slow reader over ws, ${N} non-blocking requests: memory growth < 24 MiB while stalled, then all ${N} answers arrive`, () => slowReaderCase('NB', Flags.NB));
test(`slow reader over ws, ${N} blocking requests: memory growth < 24 MiB while stalled, then all ${N} answers arrive`, () => slowReaderCase('blocking', 0));

test.run();
