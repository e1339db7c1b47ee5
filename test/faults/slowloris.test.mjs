// Fault 2: slowloris. 500 connections each dribble one byte of a frame every
// ~50 ms (bounded rounds). Server memory stays bounded, stalledPayloadMs /
// readTimeoutMs cut every one of them off, and a well-behaved client on the
// same server keeps being answered throughout the attack.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, encodeFrame } from '../../dist/index.js';
import { startFixture, openSockets, allClosed, destroyAll, growth, fmtGrowth, report, within, delay, MiB } from './lib.mjs';

const N = 500;
const ROUNDS = 60; // ~3 s of dribbling at most
const BOUND = 64 * MiB;

test(`slowloris: ${N} connections, one byte every ~50 ms: memory < 64 MiB, all cut off (ERR_STALLED_PAYLOAD / ERR_READ_TIMEOUT), a good client is answered throughout`, async () => {
  const fx = await startFixture({ stalledPayloadMs: 500, readTimeoutMs: 2000 });
  const client = await connect(`127.0.0.1:${fx.port}`);
  let socks = [];
  try {
    assert.is((await client.call(0, 'warm')).payload.toString(), 'hello world warm');
    const before = await fx.mem();
    socks = await openSockets(fx.port, N);
    const frame = encodeFrame(3n, 0, 0, Buffer.alloc(200, 0x62)); // 216 bytes: never completes within ROUNDS
    const peak = { rss: 0, arrayBuffers: 0, external: 0, heapUsed: 0 };
    let answered = 0;
    let closedDuringAttack = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const open = socks.filter((s) => !s.closedFlag);
      if (open.length === 0) break;
      for (const s of open) s.write(frame.subarray(round, round + 1));
      // Every round: the well-behaved client is answered while the attack runs.
      const f = await within(client.call(0, `r${round}`), 10_000, `well-behaved call in round ${round}`);
      assert.is(f.payload.toString(), `hello world r${round}`);
      answered++;
      if (round % 3 === 2) {
        const g = growth(before, await fx.mem());
        for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], g[k]);
      }
      await delay(50);
      closedDuringAttack = socks.filter((s) => s.closedFlag).length;
    }
    await allClosed(socks, 15_000, 'slowloris attackers');
    await fx.until(() => fx.closes.length >= N, 10_000, `server onClose x${N}`);
    const codes = {};
    for (const c of fx.closes) codes[c] = (codes[c] ?? 0) + 1;
    report(`slowloris x${N}: peak growth ${fmtGrowth(peak)}; closed during the ${ROUNDS} rounds: ${closedDuringAttack}/${N}; server close codes ${JSON.stringify(codes)}; good-client calls answered during the attack: ${answered}`);
    const cut = (codes.ERR_STALLED_PAYLOAD ?? 0) + (codes.ERR_READ_TIMEOUT ?? 0);
    assert.is(cut, N, 'every attacker was cut off by stalledPayloadMs / readTimeoutMs');
    assert.ok(peak.rss < BOUND, `rss growth ${(peak.rss / MiB).toFixed(1)} MiB < 64 MiB`);
    assert.ok(peak.arrayBuffers < BOUND, `arrayBuffers growth ${(peak.arrayBuffers / MiB).toFixed(1)} MiB < 64 MiB`);
    const f = await within(client.call(0, 'after'), 10_000, 'well-behaved call after the attack');
    assert.is(f.payload.toString(), 'hello world after');
    assert.equal(fx.fatals, []);
  } finally {
    destroyAll(socks);
    await client.close();
    await fx.stop();
  }
});

test.run();
