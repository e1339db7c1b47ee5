import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect } from '../../dist/index.js';
import { startServer } from '../helpers.mjs';

test('endWrite above the high-water mark resolves once the socket has taken the bytes (no lost drain)', async () => {
  // Each 2 KB frame is above the 1 KB mark, so every endWrite waits, while the socket (16 KB
  // of its own) takes it at once and emits no drain event: the wait must still end.
  const mux = new ServeMux();
  let waited = 0;
  mux.handle(1, async (w, req) => {
    for (let i = 0; i < 20; i++) {
      const p = w.startWrite(req.requestId, 1, Flags.Stream).writeBytes(Buffer.alloc(2_000, i)).endWrite();
      if (await Promise.race([p.then(() => false), Promise.resolve(true)])) waited++;
      await p;
    }
    await w.startWrite(req.requestId, 1, Flags.StreamEnd).writeBytes('end').endWrite();
  });
  const { server, addr } = await startServer(mux, { highWaterMark: 1024 });
  const conn = await connect(addr);
  const { response } = conn.request(1, Flags.NB, '');
  const sizes = [];
  for await (const f of response.frames()) sizes.push(f.payload.length);
  assert.equal(sizes, [...Array(20).fill(2_000), 3]);
  assert.ok(waited > 0, 'endWrite waited above the mark');
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('a broadcast to many clients reaches each exactly once, byte for byte', async () => {
  const { server, addr } = await startServer(new ServeMux());
  const got = [];
  const conns = [];
  for (let i = 0; i < 20; i++) conns.push(await connect(addr, { onPush: (f) => got.push([i, f.cmd, f.payload.toString('hex')]) }));
  while (server.stats(0).connections < 20) await new Promise((r) => setTimeout(r, 1));
  const payload = Buffer.alloc(64, 0xab);
  assert.is(server.pushAll(0, 9, payload), 20);
  while (got.length < 20) await new Promise((r) => setTimeout(r, 1));
  assert.equal(got.map((g) => g[0]).sort((a, b) => a - b), [...Array(20).keys()]);
  assert.ok(got.every((g) => g[1] === 9 && g[2] === payload.toString('hex')));
  for (const c of conns) await c.close();
  await server.shutdown({ timeoutMs: 500 });
});

test.run();
