// Output backpressure in real Chromium (issue 9: "the WebSocket's buffered
// amount counts toward the high-water mark"). The page streams 64 KiB frames
// to a server handler that does not read them until the test releases it:
// above the binding's highWaterMark of unread stream frames the server stops
// reading the socket, the kernel buffers fill, and Chromium's bufferedAmount
// grows. A page write then waits for the drain (its promise stays pending)
// although the page-side queue holds one frame, below the client's mark:
// only bufferedAmount puts it above. Once the server reads again the wait
// ends and every frame arrives, in order, byte for byte.
//
// The page's WebSocket is a subclass that records the bufferedAmount values
// the transport reads while a write is being queued (the value its full / not
// full decision used) and counts the bytes handed to send(). No sleeps: the
// test waits for the page's own state (a pending write, bufferedAmount above
// the mark) and for the server's answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';

const CHUNK = 64 * 1024;
const CLIENT_MARK = 256 * 1024;
// The test's premise, not a result: one frame alone stays below the mark, so only bufferedAmount can make a write wait.
if (16 + CHUNK >= CLIENT_MARK) throw new Error('CHUNK must leave one frame below CLIENT_MARK');
const SERVER_MARK = 64 * 1024;
/** Frames the page writes after the server reads again, so writes keep flowing after the wait. */
const AFTER = 32;

/** Frame i of the stream: i (u32 BE), then (i + j) & 0xff at byte j. */
function expectedByte(i, j) {
  return (i + j) & 0xff;
}

let gate = null;
const mux = new ServeMux();
// cmd 7: holds the stream unread until gate.release(), then checks every frame and answers with what it saw.
mux.handle(7, async (w, req) => {
  gate.started();
  await gate.released;
  let frames = 0;
  let bytes = 0;
  const bad = [];
  let end = null;
  for await (const f of req.frames()) {
    if (f.flags & Flags.StreamEnd) {
      end = f.payload.toString();
      break;
    }
    const p = f.payload;
    let ok = p.length === CHUNK && p.readUInt32BE(0) === frames;
    for (let j = 4; ok && j < p.length; j++) ok = p[j] === expectedByte(frames, j);
    if (!ok && bad.length < 5) bad.push({ index: frames, length: p.length, first: p.length >= 4 ? p.readUInt32BE(0) : null });
    frames++;
    bytes += p.length;
  }
  await w.reply(req.requestId, 7, JSON.stringify({ first: req.payload.toString(), frames, bytes, bad, end }));
});

const env = await startBrowserEnv(mux, { highWaterMark: SERVER_MARK });

function newGate() {
  let release;
  let started;
  const g = { released: new Promise((r) => (release = r)), startedP: new Promise((r) => (started = r)) };
  g.release = release;
  g.started = started;
  return g;
}

for (const scheme of SCHEMES) {
  test(`${scheme}: a write waits for the drain while bufferedAmount holds the mark's worth (page queue below it); after the server reads again every frame arrives in order`, async () => {
    gate = newGate();
    await env.page.evaluate(
      ({ url, CHUNK, CLIENT_MARK, AFTER }) => {
        const Native = window.WebSocket;
        const probe = { socket: null, recording: false, reads: [], sentBytes: 0 };
        class ProbedWebSocket extends Native {
          constructor(...args) {
            super(...args);
            probe.socket = this;
          }
          get bufferedAmount() {
            const value = super.bufferedAmount;
            if (probe.recording) probe.reads.push(value);
            return value;
          }
          send(data) {
            probe.sentBytes += data.byteLength;
            super.send(data);
          }
        }
        const chunk = (i) => {
          const bytes = new Uint8Array(CHUNK);
          for (let j = 4; j < CHUNK; j++) bytes[j] = (i + j) & 0xff;
          new DataView(bytes.buffer).setUint32(0, i);
          return bytes;
        };
        const bp = { probe, stuckSettled: null, issued: 0, settled: 0, frameBytes: 0, current: null, released: false, stuck: null, result: null, error: null };
        window.bp = bp;
        bp.done = (async () => {
          window.WebSocket = ProbedWebSocket;
          let conn;
          try {
            conn = await qrpc.connect(url, { highWaterMark: CLIENT_MARK });
          } finally {
            window.WebSocket = Native;
          }
          try {
            const { writer, response } = conn.streamRequest(7, 0, 'start');
            bp.frameBytes += 16 + 5;
            for (let i = 0; ; i++) {
              const payload = chunk(i);
              probe.reads = [];
              probe.recording = true;
              const written = writer.write(payload);
              probe.recording = false;
              const record = { i, readsWhileQueueing: probe.reads, settled: false };
              bp.current = record;
              bp.issued++;
              bp.frameBytes += 16 + CHUNK;
              await written;
              // Nothing was sent since the write was queued: bufferedAmount only went down, to the mark or below.
              record.bufferedAtSettle = probe.socket.bufferedAmount;
              // Every write, waiting or not, resolves only with the output at the mark or below: a write that
              // resolves above it means bufferedAmount was not counted (fails here instead of writing on for ever).
              if (record.bufferedAtSettle > CLIENT_MARK) throw new Error(`write ${i} resolved with bufferedAmount ${record.bufferedAtSettle} above the mark ${CLIENT_MARK}`);
              record.settled = true;
              if (bp.stuck !== null && bp.stuck.i === i) bp.stuckSettled = record;
              bp.settled++;
              if (bp.stuck !== null && bp.released && i >= bp.stuck.i + AFTER) break;
            }
            await writer.end('end');
            const answer = await response.frame();
            bp.result = { stuckSettled: bp.stuckSettled, written: bp.issued, answer: JSON.parse(new TextDecoder().decode(answer.payload)), sentBytes: probe.sentBytes, frameBytes: bp.frameBytes + 16 + 3 };
          } finally {
            await conn.close();
          }
        })().catch((e) => {
          bp.error = window.errorInfo(e);
        });
      },
      { url: env.urls[scheme], CHUNK, CLIENT_MARK, AFTER },
    );
    try {
      await gate.startedP;
      await checkWaitAndDelivery(scheme);
    } finally {
      gate.release(); // a failed check must not leave the handler waiting
    }
  });
}

async function checkWaitAndDelivery(scheme) {
  // A write still waiting, everything queued already handed to the WebSocket, and bufferedAmount above the mark.
  const stuck = await (
    await env.page.waitForFunction(
      (CLIENT_MARK) => {
        const bp = window.bp;
        if (bp.error) return { error: bp.error };
        const r = bp.current;
        if (r === null || r.settled || bp.probe.socket === null) return null;
        const buffered = bp.probe.socket.bufferedAmount;
        if (buffered <= CLIENT_MARK) return null;
        bp.stuck = { i: r.i, readsWhileQueueing: r.readsWhileQueueing, buffered, sentBytes: bp.probe.sentBytes, frameBytes: bp.frameBytes, issued: bp.issued, settled: bp.settled };
        return bp.stuck;
      },
      CLIENT_MARK,
      { polling: 'raf', timeout: 0 },
    )
  ).jsonValue();
  assert.is(stuck.error, undefined, JSON.stringify(stuck.error));
  assert.is(stuck.issued, stuck.settled + 1, 'exactly one write waiting');
  // Nothing waits in the page's own queue: every frame queued so far went to send() ...
  assert.is(stuck.sentBytes, stuck.frameBytes);
  // ... and the waiting write was full only counting bufferedAmount (its frame alone is below the mark: see CHUNK).
  assert.ok(stuck.readsWhileQueueing.length > 0, 'the transport read bufferedAmount while queueing the write');
  assert.ok(
    stuck.readsWhileQueueing.some((b) => 16 + CHUNK + b > CLIENT_MARK),
    `queueing the write saw bufferedAmount ${stuck.readsWhileQueueing} (mark ${CLIENT_MARK}, frame ${16 + CHUNK})`,
  );
  assert.ok(stuck.buffered > CLIENT_MARK);

  // The server reads again: the wait ends, the page writes AFTER more frames and ends the stream.
  await env.page.evaluate(() => {
    window.bp.released = true;
  });
  gate.release();
  const result = await (await env.page.waitForFunction(() => window.bp.result ?? (window.bp.error ? { error: window.bp.error } : null), null, { polling: 'raf', timeout: 0 })).jsonValue();
  assert.is(result.error, undefined, JSON.stringify(result.error));
  assert.ok(result.written >= stuck.i + 1 + AFTER, `wrote ${result.written} frames, stuck at ${stuck.i}`);
  assert.equal(result.answer, { first: 'start', frames: result.written, bytes: result.written * CHUNK, bad: [], end: 'end' });
  assert.is(result.sentBytes, result.frameBytes, 'every queued frame was handed to the WebSocket');
  // The waiting write resolved on the drain: bufferedAmount back at the mark or below.
  assert.is(result.stuckSettled?.i, stuck.i);
  assert.ok(result.stuckSettled.bufferedAtSettle <= CLIENT_MARK, `settled with bufferedAmount ${result.stuckSettled.bufferedAtSettle}`);
  console.log(`  ${scheme}: waited at frame ${stuck.i} (bufferedAmount ${stuck.buffered} > mark ${CLIENT_MARK}; queueing read ${stuck.readsWhileQueueing.join(', ')}), ${result.written} frames of ${CHUNK} bytes arrived in order`);
}

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));
test.after(() => env.close());
test.run();
