// The overlay's framing rules in the browser build, against a raw WebSocket
// server (the `ws` library, no qrpc): every frame the page sends is exactly one
// binary message; received messages are one byte stream (several frames in
// one message, a frame split across messages); a text message, a bad frame
// and a frame above maxFrameSize close the page's connection with their codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { encodeFrame, Flags } from '../../dist/index.js';
import { startBrowser, startPageServer } from './harness.mjs';
import { deferred, until } from '../helpers.mjs';

/** A WebSocket server on /qrpc that records each peer's messages and close code. */
async function rawWsServer() {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/qrpc' });
  const peers = [];
  let arrived = deferred();
  wss.on('connection', (ws) => {
    const peer = { ws, messages: [], closed: deferred() };
    ws.on('message', (data, isBinary) => peer.messages.push({ isBinary, bytes: Buffer.from(data) }));
    ws.on('close', (code, reason) => peer.closed.resolve({ code, reason: reason.toString() }));
    peers.push(peer);
    arrived.resolve(peer);
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${http.address().port}/qrpc`,
    nextPeer: () => arrived.promise.then((p) => ((arrived = deferred()), p)),
    close: async () => {
      for (const p of peers) p.ws.terminate();
      wss.close();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

const raw = await rawWsServer();
const pages = await startPageServer();
const browser = await startBrowser();
await browser.page.goto(pages.url);
await browser.page.waitForFunction(() => window.ready === true);
const page = browser.page;

test('each frame the page sends is one binary message, byte for byte', async () => {
  const peerP = raw.nextPeer();
  await page.evaluate(async (url) => {
    window.conn = await qrpc.connect(url);
    window.conn.request(5, qrpc.Flags.NB, 'ab');
    await window.conn.push(9, new Uint8Array([1, 2, 3]));
    const { writer } = window.conn.streamRequest(6, 0, 'x');
    await writer.end('yz');
  }, raw.url);
  const peer = await peerP;
  await until(() => peer.messages.length === 4, 'four messages');
  assert.equal(peer.messages.map((m) => m.isBinary), [true, true, true, true]);
  assert.equal(peer.messages.map((m) => m.bytes.toString('hex')), [
    encodeFrame(3n, Flags.NB, 5, Buffer.from('ab')),
    // Pushes take their id from the same odd sequence as requests.
    encodeFrame(5n, Flags.Push, 9, Buffer.from([1, 2, 3])),
    encodeFrame(7n, Flags.Stream, 6, Buffer.from('x')),
    encodeFrame(7n, Flags.Stream | Flags.StreamEnd, 6, Buffer.from('yz')),
  ].map((b) => b.toString('hex')));
  await page.evaluate(() => window.conn.close());
});

test('several frames in one message and a frame split across three messages all arrive intact', async () => {
  const peerP = raw.nextPeer();
  await page.evaluate(async (url) => {
    window.pushes = [];
    window.conn = await qrpc.connect(url, { onPush: (f) => window.pushes.push([String(f.requestId), f.cmd, Array.from(f.payload)]) });
    window.answer = settle(window.conn.call(5, 'q'));
  }, raw.url);
  const peer = await peerP;
  await until(() => peer.messages.length === 1, 'the call');
  const two = Buffer.concat([encodeFrame(11n, Flags.Push, 7, Buffer.from('one')), encodeFrame(13n, Flags.Push, 7, Buffer.from('two'))]);
  const answer = encodeFrame(3n, 0, 5, Buffer.from('split answer'));
  peer.ws.send(two, { binary: true });
  // Cut inside the header and inside the payload.
  peer.ws.send(answer.subarray(0, 6), { binary: true });
  peer.ws.send(answer.subarray(6, 20), { binary: true });
  peer.ws.send(answer.subarray(20), { binary: true });
  const result = await page.evaluate(async () => {
    const r = await window.answer;
    await window.conn.close();
    return { pushes: window.pushes, answer: r.ok ? [String(r.value.requestId), r.value.cmd, new TextDecoder().decode(r.value.payload)] : r.error };
  });
  assert.equal(result.pushes, [['11', 7, Array.from(Buffer.from('one'))], ['13', 7, Array.from(Buffer.from('two'))]]);
  assert.equal(result.answer, ['3', 5, 'split answer']);
});

for (const [name, send, maxFrameSize, code, closeCode] of [
  ['a text message', (ws) => ws.send('not binary'), undefined, 'ERR_INVALID_FRAME', 4003],
  ['a frame with length < 12', (ws) => ws.send(Buffer.from('0000000400000000', 'hex'), { binary: true }), undefined, 'ERR_INVALID_FRAME', 4002],
  ['a frame above maxFrameSize', (ws) => ws.send(encodeFrame(1n, Flags.Push, 7, Buffer.alloc(2000)), { binary: true }), 1024, 'ERR_FRAME_TOO_LARGE', 4009],
]) {
  test(`${name} closes the page's connection with ${code} and sends close code ${closeCode}`, async () => {
    const peerP = raw.nextPeer();
    await page.evaluate(async ([url, maxFrameSize]) => {
      window.conn = await qrpc.connect(url, maxFrameSize ? { maxFrameSize } : {});
      window.pending = settle(window.conn.call(5, 'waits'));
    }, [raw.url, maxFrameSize]);
    const peer = await peerP;
    await until(() => peer.messages.length === 1, 'the call');
    send(peer.ws);
    const result = await page.evaluate(async () => {
      await window.conn.closed;
      return { reason: window.conn.closeReason?.code, pending: (await window.pending).error };
    });
    assert.is(result.reason, code);
    assert.equal([result.pending.code, result.pending.cause], ['ERR_CONN_CLOSED', code]);
    const closed = await peer.closed.promise;
    assert.is(closed.code, closeCode);
    assert.ok(closed.reason.length > 0, 'the close frame says why');
  });
}

test('silence past readTimeoutMs closes the page connection with ERR_READ_TIMEOUT', async () => {
  const peerP = raw.nextPeer();
  const reason = await page.evaluate(async (url) => {
    const conn = await qrpc.connect(url, { readTimeoutMs: 200 });
    await conn.closed;
    return conn.closeReason?.code;
  }, raw.url);
  assert.is(reason, 'ERR_READ_TIMEOUT');
  assert.is((await (await peerP).closed.promise).code, 1000);
});

test('a payload stalled after its header past stalledPayloadMs: ERR_STALLED_PAYLOAD', async () => {
  const peerP = raw.nextPeer();
  await page.evaluate(async (url) => {
    window.conn = await qrpc.connect(url, { stalledPayloadMs: 200 });
  }, raw.url);
  const peer = await peerP;
  // A header announcing 100 payload bytes, then 10 of them.
  peer.ws.send(encodeFrame(11n, Flags.Push, 7, Buffer.alloc(100)).subarray(0, 26), { binary: true });
  const reason = await page.evaluate(async () => {
    await window.conn.closed;
    return window.conn.closeReason?.code;
  });
  assert.is(reason, 'ERR_STALLED_PAYLOAD');
});

test('output the server does not take past writeTimeoutMs: ERR_WRITE_TIMEOUT, pending pushes fail', async () => {
  const peerP = raw.nextPeer();
  await page.evaluate(async (url) => {
    window.conn = await qrpc.connect(url, { writeTimeoutMs: 300, highWaterMark: 1 << 20 });
  }, raw.url);
  const peer = await peerP;
  // The server stops reading: the kernel and the browser's buffers fill, bufferedAmount stays above 0.
  peer.ws._socket.pause();
  const result = await page.evaluate(async () => {
    const big = new Uint8Array(2 << 20);
    const pushes = [];
    for (let i = 0; i < 16; i++) pushes.push(settle(window.conn.push(9, big)));
    await window.conn.closed;
    const outcomes = await Promise.all(pushes);
    return { reason: window.conn.closeReason?.code, failed: outcomes.filter((o) => !o.ok).map((o) => o.error.code) };
  });
  assert.is(result.reason, 'ERR_WRITE_TIMEOUT');
  assert.ok(result.failed.length > 0 && result.failed.every((c) => c === 'ERR_CONN_CLOSED'), result.failed.join());
});

test('no page errors', () => assert.equal(browser.errors.map(String), []));
test.after(async () => {
  await browser.close();
  await pages.close();
  await raw.close();
});
test.run();
