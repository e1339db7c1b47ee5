// Pushes in real Chromium: server → page (one connection and pushAll) reach
// onPush with their ids and bytes; page → server pushes reach the binding's onPush.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';
import { until } from '../helpers.mjs';

const pushesFromPage = [];
const mux = new ServeMux();
// cmd 1: push "to you" (cmd 7) to this connection, then answer (the test then pushes to all).
mux.handle(1, async (w, req) => {
  await req.connection.push(7, 'to you');
  await w.reply(req.requestId, 1, 'pushed');
});

const env = await startBrowserEnv(mux, { onPush: (frame) => pushesFromPage.push({ cmd: frame.cmd, flags: frame.flags, payload: Buffer.from(frame.payload) }) });

for (const [index, scheme] of SCHEMES.entries()) {
  test(`${scheme}: a push to the connection and a pushAll reach onPush in order, with Push flag and bytes`, async () => {
    await env.page.evaluate(async (url) => {
      window.pushes = [];
      window.conn = await qrpc.connect(url, {
        onPush: (f) => window.pushes.push({ id: String(f.requestId), flags: f.flags, cmd: f.cmd, payload: Array.from(f.payload) }),
      });
      await window.conn.call(1, '');
    }, env.urls[scheme]);
    assert.is(env.server.pushAll(index, 8, Buffer.from([0, 1, 2, 0xfe])), 1);
    await env.page.waitForFunction(() => window.pushes.length === 2);
    const pushes = await env.page.evaluate(async () => {
      await window.conn.close();
      return window.pushes;
    });
    assert.equal(pushes.map((p) => [p.flags & Flags.Push, p.cmd, p.payload]), [
      [Flags.Push, 7, Array.from(Buffer.from('to you'))],
      [Flags.Push, 8, [0, 1, 2, 0xfe]],
    ]);
    assert.ok(BigInt(pushes[1].id) > BigInt(pushes[0].id), 'push ids grow');
  });

  test(`${scheme}: conn.push() from the page reaches the binding's onPush and resolves with its id`, async () => {
    pushesFromPage.length = 0;
    const ids = await env.page.evaluate(async (url) => {
      const conn = await qrpc.connect(url);
      const a = await conn.push(9, 'from the page');
      const b = await conn.push(9, new Uint8Array([7, 7]));
      await conn.close();
      return [String(a), String(b)];
    }, env.urls[scheme]);
    await until(() => pushesFromPage.length === 2, 'both pushes at the server');
    assert.equal(pushesFromPage.map((p) => [p.cmd, p.flags & Flags.Push, p.payload.toString('hex')]), [
      [9, Flags.Push, Buffer.from('from the page').toString('hex')],
      [9, Flags.Push, '0707'],
    ]);
    assert.ok(BigInt(ids[1]) > BigInt(ids[0]));
  });
}

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));
test.after(() => env.close());
test.run();
