// Fault 1: hostile headers. A length above maxFrameSize closes with
// ERR_FRAME_TOO_LARGE before any payload is buffered, a length below 12 with
// ERR_INVALID_FRAME; 300 connections each announcing exactly maxFrameSize
// (10 MiB, the default) and trickling a few bytes must not make the server
// reserve the announced sizes (growth < 64 MiB), and stalledPayloadMs cuts
// every one of them off with ERR_STALLED_PAYLOAD.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startFixture, openSockets, allClosed, destroyAll, header, growth, fmtGrowth, report, delay, MiB } from './lib.mjs';

const N = 300;
const TEN_MIB = 10 * MiB;
const BOUND = 64 * MiB;

test('length > maxFrameSize closes with ERR_FRAME_TOO_LARGE, length < 12 with ERR_INVALID_FRAME (50 of each, nothing answered)', async () => {
  const fx = await startFixture({ maxFrameSize: 4096 });
  const socks = await openSockets(fx.port, 100);
  try {
    const received = [];
    socks.forEach((s, i) => {
      s.on('data', (d) => received.push(d));
      s.write(i < 50 ? header(4097, 3, 0, 0) : header(i % 12, 3, 0, 0));
    });
    await allClosed(socks, 10_000, 'hostile headers');
    await fx.until(() => fx.closes.length >= 100, 10_000, 'server onClose x100');
    const count = (code) => fx.closes.filter((c) => c === code).length;
    report(`hostile headers: ERR_FRAME_TOO_LARGE ${count('ERR_FRAME_TOO_LARGE')}/50, ERR_INVALID_FRAME ${count('ERR_INVALID_FRAME')}/50`);
    assert.is(count('ERR_FRAME_TOO_LARGE'), 50);
    assert.is(count('ERR_INVALID_FRAME'), 50);
    assert.is(received.length, 0, 'nothing was answered');
    assert.equal(fx.fatals, []);
  } finally {
    destroyAll(socks);
    await fx.stop();
  }
});

test(`${N} connections announcing exactly maxFrameSize (10 MiB) and trickling: server memory growth < 64 MiB (rss and arrayBuffers)`, async () => {
  const fx = await startFixture({}); // defaults: maxFrameSize 10 MiB, stalledPayloadMs 3000
  let socks = [];
  try {
    const before = await fx.mem();
    socks = await openSockets(fx.port, N);
    for (const s of socks) s.write(header(TEN_MIB, 3, 0, 0));
    let peak = { rss: 0, arrayBuffers: 0, external: 0, heapUsed: 0 };
    for (let round = 0; round < 4; round++) {
      await delay(40);
      for (const s of socks) s.write(Buffer.from([round, round, round]));
      const g = growth(before, await fx.mem());
      for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], g[k]);
    }
    const stats = await fx.stats();
    report(`10 MiB headers x${N} + trickle: peak growth ${fmtGrowth(peak)} (connections open on the server: ${stats.connections}; closed meanwhile: ${JSON.stringify(fx.closes)})`);
    assert.is(stats.connections, N, 'every attacker was still connected while measured');
    assert.ok(peak.rss < BOUND, `rss growth ${(peak.rss / MiB).toFixed(1)} MiB < 64 MiB`);
    assert.ok(peak.arrayBuffers < BOUND, `arrayBuffers growth ${(peak.arrayBuffers / MiB).toFixed(1)} MiB < 64 MiB`);
    assert.equal(fx.fatals, []);
  } finally {
    destroyAll(socks);
    await fx.stop();
  }
});

test(`stalledPayloadMs 500: ${N} stalled 10 MiB payloads are each closed with ERR_STALLED_PAYLOAD`, async () => {
  const fx = await startFixture({ stalledPayloadMs: 500 });
  let socks = [];
  try {
    socks = await openSockets(fx.port, N);
    for (const s of socks) s.write(Buffer.concat([header(TEN_MIB, 3, 0, 0), Buffer.from('abc')]));
    await delay(50);
    for (const s of socks) if (!s.closedFlag) s.write(Buffer.from('de'));
    await allClosed(socks, 15_000, 'stalled attackers');
    await fx.until(() => fx.closes.length >= N, 10_000, `server onClose x${N}`);
    const stalled = fx.closes.filter((c) => c === 'ERR_STALLED_PAYLOAD').length;
    report(`stalled 10 MiB payloads: ${stalled}/${N} closed with ERR_STALLED_PAYLOAD (others: ${JSON.stringify([...new Set(fx.closes.filter((c) => c !== 'ERR_STALLED_PAYLOAD'))])})`);
    assert.is(stalled, N);
    assert.is((await fx.stats()).connections, 0);
    assert.equal(fx.fatals, []);
  } finally {
    destroyAll(socks);
    await fx.stop();
  }
});

test.run();
