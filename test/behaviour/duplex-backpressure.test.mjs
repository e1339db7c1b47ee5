// Backpressure must not deadlock a busy duplex exchange: the server stops
// reading while its output is full, but a client never stops reading because
// of its own output (its answers are what drains the server).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import { ServeMux, connect } from '../../dist/index.js';
import { startServer, rawServer } from '../helpers.mjs';

test('2,000 concurrent 16 KiB calls with 64 KiB marks on both ends all complete', async () => {
  const mux = new ServeMux().handle(0, (w, req) => w.reply(req.requestId, 0, req.payload));
  const { server, addr } = await startServer(mux, { highWaterMark: 64 * 1024 });
  const conn = await connect(addr, { highWaterMark: 64 * 1024 });
  try {
    const payload = Buffer.alloc(16 * 1024, 0x63);
    const calls = [];
    for (let i = 0; i < 2000; i++) calls.push(conn.call(0, payload, { timeoutMs: 20_000 }));
    const answers = await Promise.all(calls);
    assert.is(answers.length, 2000);
    assert.ok(answers.every((f) => f.payload.length === payload.length));
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('close() toward a peer that never reads ends by closeTimeoutMs (ERR_WRITE_TIMEOUT) instead of hanging', async () => {
  const raw = await rawServer((peer) => peer.socket.pause()); // accepts, never reads
  const conn = await connect(`127.0.0.1:${raw.port}`, { closeTimeoutMs: 300, highWaterMark: 64 * 1024 });
  try {
    const big = Buffer.alloc(1024 * 1024, 0x64);
    // Queue far more than the kernel buffers between us can take.
    for (let i = 0; i < 64; i++) void conn.push(1, big).catch(() => {});
    await conn.close();
    assert.is(conn.closeReason?.code, 'ERR_WRITE_TIMEOUT');
  } finally {
    await raw.close();
  }
});

test.run();
