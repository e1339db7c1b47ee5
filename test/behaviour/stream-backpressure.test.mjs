// Continuation frames queued for a stream nobody iterates are bounded (issue 8 §2):
// the server stops reading that connection (its peer's writes back up) until the
// handler reads, then everything arrives; nothing is lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import { ServeMux, encodeFrame, Flags } from '../../dist/index.js';
import { startServer, RawPeer, until, deferred } from '../helpers.mjs';

const FRAMES = 40_000;
const PAYLOAD = Buffer.alloc(1024, 0x61);

test('an un-iterated stream pauses reading at its bound; once iterated, every frame arrives', async () => {
  const gate = deferred();
  const counted = deferred();
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    await gate.promise; // does not read req.frames() until told
    let n = 0;
    for await (const _f of req.frames()) n++;
    counted.resolve(n);
    await w.reply(req.requestId, 1, String(n));
  });
  const { server, port } = await startServer(mux, { highWaterMark: 64 * 1024 });
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(3, Flags.Stream, 1, 'open');
    const chunk = [];
    for (let i = 0; i < FRAMES; i++) chunk.push(encodeFrame(3n, Flags.Stream, 1, PAYLOAD));
    chunk.push(encodeFrame(3n, Flags.StreamEnd, 1));
    const all = Buffer.concat(chunk); // ~41 MiB
    peer.socket.write(all);
    // Were the server reading on, the peer's buffer would empty; it stays backed up by more than half of it.
    await until(() => peer.socket.writableLength > all.length / 2, 'the peer is backed up (the server stopped reading)');
    gate.resolve();
    assert.is(await counted.promise, FRAMES + 1, 'every continuation frame arrived, the StreamEnd one included');
    const [answer] = await peer.waitFrames(1);
    assert.is(answer.payload.toString(), String(FRAMES + 1));
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
