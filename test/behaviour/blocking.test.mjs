import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect } from '../../dist/index.js';
import { startServer, RawPeer, deferred, until } from '../helpers.mjs';

function gatedMux(log) {
  const gates = new Map();
  const gate = (name) => {
    if (!gates.has(name)) gates.set(name, deferred());
    return gates.get(name);
  };
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    const name = req.payload.toString();
    log.push('start ' + name);
    await gate(name).promise;
    log.push('end ' + name);
    await w.reply(req.requestId, 1, name);
  });
  return { mux, open: (name) => gate(name).resolve() };
}

/** A server running gatedMux and a raw peer on it, torn down after `body`. */
async function withGatedPeer(body) {
  const log = [];
  const { mux, open } = gatedMux(log);
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  try {
    await body({ log, open, peer });
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 200 });
  }
}

test('blocking requests run one at a time, in order, and answer in order', async () => {
  await withGatedPeer(async ({ log, open, peer }) => {
    peer.sendFrame(3, 0, 1, Buffer.from('a'));
    peer.sendFrame(5, 0, 1, Buffer.from('b'));
    await until(() => log.length === 1, 'first handler');
    // b must not start while a is running, however long we let the loop spin.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(log, ['start a']);
    open('b');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(log, ['start a'], 'b still waits for a');
    open('a');
    const frames = await peer.waitFrames(2);
    assert.equal(frames.map((f) => f.payload.toString()), ['a', 'b']);
    assert.equal(log, ['start a', 'end a', 'start b', 'end b']);
  });
});

test('non-blocking requests run at once and answer in completion order', async () => {
  await withGatedPeer(async ({ log, open, peer }) => {
    peer.sendFrame(3, Flags.NB, 1, Buffer.from('a'));
    peer.sendFrame(5, Flags.NB, 1, Buffer.from('b'));
    await until(() => log.length === 2, 'both handlers started');
    open('b');
    const [first] = await peer.waitFrames(1);
    assert.is(first.payload.toString(), 'b');
    open('a');
    const frames = await peer.waitFrames(2);
    assert.is(frames[1].payload.toString(), 'a');
  });
});

test('a non-blocking request behind a blocking one waits for it (Go reads in order)', async () => {
  await withGatedPeer(async ({ log, open, peer }) => {
    peer.sendFrame(3, 0, 1, Buffer.from('slow'));
    peer.sendFrame(5, Flags.NB, 1, Buffer.from('nb'));
    await until(() => log.length === 1, 'first handler');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(log, ['start slow']);
    open('nb');
    open('slow');
    const frames = await peer.waitFrames(2);
    assert.equal(frames.map((f) => f.payload.toString()), ['slow', 'nb']);
  });
});

test('a slow blocking handler on one connection does not delay another connection', async () => {
  const log = [];
  const { mux, open } = gatedMux(log);
  const { server, addr } = await startServer(mux);
  const c1 = await connect(addr);
  const c2 = await connect(addr);
  const slow = c1.request(1, 0, 'held').response.frame();
  await until(() => log.includes('start held'), 'slow handler');
  const fast = c2.request(1, 0, 'free').response.frame();
  open('free');
  assert.is((await fast).payload.toString(), 'free');
  assert.not.ok(log.includes('end held'));
  open('held');
  assert.is((await slow).payload.toString(), 'held');
  await c1.close();
  await c2.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('a reset for a request still queued behind a blocking handler drops it unanswered', async () => {
  await withGatedPeer(async ({ log, open, peer }) => {
    peer.sendFrame(3, 0, 1, Buffer.from('a'));
    peer.sendFrame(5, 0, 1, Buffer.from('b'));
    peer.sendFrame(5, Flags.StreamRst, 0);
    peer.sendFrame(7, 0, 1, Buffer.from('c'));
    await until(() => log.length === 1, 'first handler');
    open('a');
    open('c');
    const frames = await peer.waitFrames(2);
    assert.equal(frames.map((f) => [f.requestId, f.payload.toString()]), [[3n, 'a'], [7n, 'c']]);
    assert.not.ok(log.includes('start b'));
  });
});

test.run();
