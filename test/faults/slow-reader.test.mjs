// Fault 3: a slow reader. A raw peer sends 40,000 requests to a ~4 KiB echo
// handler and reads nothing: the server must stop taking work from it once
// its output passes highWaterMark (1 MiB), so its memory grows by less than
// 24 MiB; when the peer starts reading, all 40,000 answers arrive (ids and
// payloads checked). A well-behaved client on the same server keeps being
// answered meanwhile. Once with NB requests, once with blocking ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { connect, encodeFrame, FrameParser, requestIdOf, Flags } from '../../dist/index.js';
import { startFixture, peakWhileSettling, fmtGrowth, report, within, MiB } from './lib.mjs';

const N = 40_000;
// highWaterMark (1 MiB) + the kernel socket buffers (~4 MiB here) + what one read batch of requests costs as records.
const BOUND = 24 * MiB;

function requests(flags) {
  const parts = [];
  for (let i = 0; i < N; i++) {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(i, 0);
    p.writeUInt32BE(0xc0ffee, 4);
    parts.push(encodeFrame(BigInt(2 * i + 1), flags, 1, p));
  }
  return Buffer.concat(parts);
}

/** A raw socket that counts the answers it parses (ids and echoed payloads). */
async function slowPeer(port) {
  const socket = await new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  const seen = new Uint8Array(N);
  const state = { count: 0, dup: 0, bad: 0, closed: false, waiters: [] };
  const parser = new FrameParser(1 << 30);
  socket.pause();
  socket.on('data', (chunk) => {
    parser.push(chunk, (hi, lo, flags, cmd, payload) => {
      const id = requestIdOf(hi, lo);
      const i = Number((id - 1n) / 2n);
      const ok = cmd === 1 && flags === 0 && payload.length === 4096 && id % 2n === 1n && i < N && payload.readUInt32BE(0) === i && payload.readUInt32BE(4) === 0xc0ffee && payload[4095] === 0x61;
      if (!ok) state.bad++;
      else if (seen[i]) state.dup++;
      else {
        seen[i] = 1;
        state.count++;
      }
    });
    for (const w of state.waiters.splice(0)) w();
  });
  socket.on('close', () => {
    state.closed = true;
    for (const w of state.waiters.splice(0)) w();
  });
  state.all = async () => {
    while (state.count + state.bad + state.dup < N && !state.closed) await new Promise((r) => state.waiters.push(r));
  };
  return { socket, state };
}

async function slowReaderCase(label, flags) {
  const fx = await startFixture({});
  const client = await connect(`127.0.0.1:${fx.port}`);
  const { socket, state } = await slowPeer(fx.port);
  try {
    assert.is((await client.call(0, 'warm')).payload.toString(), 'hello world warm');
    const before = await fx.mem();
    socket.write(requests(flags)); // the peer never reads until told
    const { peak, stats } = await peakWhileSettling(fx, before);
    report(`slow reader, ${N} ${label} requests x 4 KiB answers, not reading: peak growth ${fmtGrowth(peak)}; handlers run while stalled: ${stats.handled - 1}`);

    // A well-behaved client keeps being answered while the slow reader is stalled.
    for (let i = 0; i < 5; i++) {
      const f = await within(client.call(0, `ok${i}`), 10_000, `well-behaved call ${i} during the stall`);
      assert.is(f.payload.toString(), `hello world ok${i}`);
    }

    socket.resume();
    await within(state.all(), 40_000, `all ${N} answers (got ${state.count})`);
    report(`slow reader, ${label}: received ${state.count}/${N} answers after resuming (bad ${state.bad}, duplicate ${state.dup}, peer closed: ${state.closed})`);
    assert.is(state.count, N, 'every answer arrived');
    assert.is(state.bad, 0);
    assert.is(state.dup, 0);
    assert.ok(peak.rss < BOUND, `rss growth ${(peak.rss / MiB).toFixed(1)} MiB < 24 MiB`);
    assert.ok(peak.arrayBuffers < BOUND, `arrayBuffers growth ${(peak.arrayBuffers / MiB).toFixed(1)} MiB < 24 MiB`);
    assert.equal(fx.fatals, []);
  } finally {
    socket.destroy();
    await client.close();
    await fx.stop();
  }
}

test(`slow reader, ${N} non-blocking requests: memory growth < 24 MiB while stalled, then all ${N} answers arrive`, () => slowReaderCase('NB', Flags.NB));
test(`slow reader, ${N} blocking requests: memory growth < 24 MiB while stalled, then all ${N} answers arrive`, () => slowReaderCase('blocking', 0));

test.run();
