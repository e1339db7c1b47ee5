// Fault 3: a slow reader. A raw peer sends 40,000 requests to a ~4 KiB echo
// handler and reads nothing: the server must stop taking work from it once
// its output passes highWaterMark (1 MiB), so its memory grows by less than
// 24 MiB; when the peer starts reading, all 40,000 answers arrive (ids and
// payloads checked). A well-behaved client on the same server keeps being
// answered meanwhile. Once with NB requests, once with blocking ones; over
// TCP, and over the WebSocket overlay, where the peer is the ws library
// sending 1,000 frames per binary message, the socket's bufferedAmount is
// what counts toward the mark, and every answer must be one message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import WebSocket from 'ws';
import { connect, FrameParser, Flags } from '../../dist/index.js';
import { startFixture, peakWhileSettling, fmtGrowth, report, within, echoRequests, echoAnswers, MiB } from './lib.mjs';

const N = 40_000;
const PER_MESSAGE = 1000;
// highWaterMark (1 MiB) + the kernel socket buffers (~4 MiB here) + what one read batch of requests costs as records.
const BOUND = 24 * MiB;

/** A raw TCP peer, not reading until resume(). */
async function tcpPeer(port, answers) {
  const socket = await new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  const parser = new FrameParser(1 << 30);
  socket.pause();
  socket.on('data', (chunk) => {
    parser.push(chunk, answers.frame);
    answers.wake();
  });
  socket.on('close', answers.close);
  return {
    misshapen: 0,
    send: (frames) => socket.write(Buffer.concat(frames)),
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
}

/** A raw WebSocket peer (ws), not reading until resume(); counts answers that are not one binary message of one frame. */
async function wsPeer(port, answers) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/qrpc`, { perMessageDeflate: false, maxPayload: 0 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  const peer = {
    misshapen: 0,
    send(frames) {
      for (let at = 0; at < frames.length; at += PER_MESSAGE) ws.send(Buffer.concat(frames.slice(at, at + PER_MESSAGE)));
    },
    resume: () => ws._socket.resume(),
    destroy: () => ws.terminate(),
  };
  // Reading stops at the socket, under ws's receiver.
  ws._socket.pause();
  ws.on('message', (data, isBinary) => {
    let frames = 0;
    new FrameParser(1 << 30).push(data, (...frame) => {
      frames++;
      answers.frame(...frame);
    });
    if (frames !== 1 || !isBinary) peer.misshapen++;
    answers.wake();
  });
  ws.on('close', answers.close);
  return peer;
}

const TRANSPORTS = {
  tcp: { fixture: {}, address: (port) => `127.0.0.1:${port}`, peer: tcpPeer },
  ws: { fixture: { overlay: 'ws' }, address: (port) => `ws://127.0.0.1:${port}/qrpc`, peer: wsPeer },
};

async function slowReaderCase(transport, label, flags) {
  const t = TRANSPORTS[transport];
  const fx = await startFixture(t.fixture);
  const client = await connect(t.address(fx.port));
  const answers = echoAnswers(N);
  const { state } = answers;
  const peer = await t.peer(fx.port, answers);
  try {
    assert.is((await client.call(0, 'warm')).payload.toString(), 'hello world warm');
    const before = await fx.mem();
    peer.send(echoRequests(N, flags)); // the peer never reads until told
    const { peak, stats } = await peakWhileSettling(fx, before);
    report(`slow reader (${transport}), ${N} ${label} requests x 4 KiB answers, not reading: peak growth ${fmtGrowth(peak)}; handlers run while stalled: ${stats.handled - 1}`);
    assert.ok(stats.handled - 1 < N, 'the server stopped taking work while the peer did not read');

    // A well-behaved client keeps being answered while the slow reader is stalled.
    for (let i = 0; i < 5; i++) {
      const f = await within(client.call(0, `ok${i}`), 10_000, `well-behaved call ${i} during the stall`);
      assert.is(f.payload.toString(), `hello world ok${i}`);
    }

    peer.resume();
    await within(answers.all(), 40_000, `all ${N} answers (got ${state.count})`);
    report(`slow reader (${transport}), ${label}: received ${state.count}/${N} answers after resuming (bad ${state.bad}, duplicate ${state.dup}, peer closed: ${state.closed})`);
    assert.is(state.count, N, 'every answer arrived');
    assert.is(state.bad, 0);
    assert.is(state.dup, 0);
    assert.is(peer.misshapen, 0, 'over ws, one binary message per answer');
    assert.ok(peak.rss < BOUND, `rss growth ${(peak.rss / MiB).toFixed(1)} MiB < 24 MiB`);
    assert.ok(peak.arrayBuffers < BOUND, `arrayBuffers growth ${(peak.arrayBuffers / MiB).toFixed(1)} MiB < 24 MiB`);
    assert.equal(fx.fatals, []);
  } finally {
    peer.destroy();
    await client.close();
    await fx.stop();
  }
}

for (const transport of Object.keys(TRANSPORTS)) {
  test(`slow reader over ${transport}, ${N} non-blocking requests: memory growth < 24 MiB while stalled, then all ${N} answers arrive`, () => slowReaderCase(transport, 'NB', Flags.NB));
  test(`slow reader over ${transport}, ${N} blocking requests: memory growth < 24 MiB while stalled, then all ${N} answers arrive`, () => slowReaderCase(transport, 'blocking', 0));
}

test.run();
