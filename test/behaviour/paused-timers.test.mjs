// While the server does not read a connection on purpose (its output is above the
// high-water mark), the read-idle and stalled-payload cut-offs stand still: they
// measure the peer, and the peer is not the one holding things up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import { ServeMux, encodeFrame, Flags } from '../../dist/index.js';
import { startServer, RawPeer, until } from '../helpers.mjs';

const N = 20_000;

test('a slow reader held past readTimeoutMs and stalledPayloadMs by our own pause is not cut off; every answer arrives once it reads', async () => {
  const closes = [];
  const mux = new ServeMux().handle(1, (w, req) => w.reply(req.requestId, 1, Buffer.alloc(2048, 0x62)));
  const { server, port } = await startServer(mux, { readTimeoutMs: 800, stalledPayloadMs: 800, highWaterMark: 64 * 1024, onClose: (_i, e) => closes.push(e?.code ?? null) });
  // 1 KiB per request: ~20 MiB in all, more than the kernel buffers between us hold.
  // Made before connecting: the time it takes is silence the read timeout would rightly count.
  const frames = [];
  const pad = Buffer.alloc(1024, 0x61);
  for (let i = 0; i < N; i++) frames.push(encodeFrame(BigInt(2 * i + 3), Flags.NB, 1, pad));
  const all = Buffer.concat(frames);
  const peer = await RawPeer.connect(port);
  try {
    peer.socket.pause(); // reads nothing: the server's answers back up and it stops reading us
    // The last frame is cut in two: its second half is sent only after the wait, so a stall clock would be running.
    peer.socket.write(all.subarray(0, all.length - 5));
    await until(() => peer.socket.writableLength > 0, 'the server stopped reading us');
    // Three times both cut-offs: either would have closed the connection by now were it counting our pause.
    // (800 ms, not less: a peer starved of CPU on a loaded machine is really silent for a few hundred ms while it writes.)
    await new Promise((r) => setTimeout(r, 2400));
    peer.socket.write(all.subarray(all.length - 5));
    let got = 0;
    peer.socket.on('data', () => {});
    peer.socket.resume();
    await until(() => (got = peer.frames.length) >= N || peer.closed, 'all answers or a close', 60_000);
    assert.is(got, N, `all ${N} answers arrived (closes: ${JSON.stringify(closes)})`);
    assert.equal(closes, []);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('the stalled-payload clock is per frame: a steady stream whose every read ends mid-frame is not cut off', async () => {
  const closes = [];
  const mux = new ServeMux().handle(1, (w, req) => w.reply(req.requestId, 1, 'ok'));
  const { server, port } = await startServer(mux, { stalledPayloadMs: 150, onClose: (_i, e) => closes.push(e?.code ?? null) });
  const peer = await RawPeer.connect(port);
  try {
    const ROUNDS = 16; // 16 x 40 ms: several times the cut-off, with some frame always incomplete
    const frames = [];
    for (let i = 0; i < ROUNDS * 3; i++) frames.push(encodeFrame(BigInt(2 * i + 3), Flags.NB, 1, Buffer.alloc(100, 0x61)));
    const all = Buffer.concat(frames);
    const step = Math.floor(all.length / ROUNDS) + 7; // never a multiple of the frame size: each write ends mid-frame
    for (let off = 0; off < all.length; off += step) {
      peer.send(all.subarray(off, Math.min(all.length, off + step)));
      await new Promise((r) => setTimeout(r, 40));
    }
    await peer.waitFrames(ROUNDS * 3);
    assert.is(peer.frames.length, ROUNDS * 3);
    assert.equal(closes, []);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
