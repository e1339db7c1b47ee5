// Reconnect in real Chromium: a page connection with `reconnect` moves to a
// new WebSocket after the server drops it (onDisconnect, onConnect again, a
// call made while disconnected with whileDisconnected 'wait' is served by the
// next socket); a kicked one does not reconnect (ERR_KICKED).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';

let accepted = 0;
const mux = new ServeMux();
// cmd 1: echo with the server's accept count (tells which socket answered).
mux.handle(1, (w, req) => w.reply(req.requestId, 1, `${req.payload} on socket ${req.connection.data}`));
// cmd 2: the server drops this connection.
mux.handle(2, (_w, req) => req.close());
// cmd 3: log in as the payload (kicks an older connection with that id).
mux.handle(3, async (w, req) => {
  await req.connection.setId(req.payload.toString());
  await w.reply(req.requestId, 3, 'ok');
});

const env = await startBrowserEnv(mux, { onAccept: (info) => void (info.data = ++accepted) });

for (const scheme of SCHEMES) {
  test(`${scheme}: dropped by the server, the page reconnects; a call made while disconnected waits for the new socket`, async () => {
    const first = accepted + 1;
    const result = await env.page.evaluate(async (url) => {
      const events = [];
      let duringGap = null;
      const conn = await qrpc.connect(url, {
        reconnect: { backoffMs: 20 },
        whileDisconnected: 'wait',
        onConnect: () => events.push('connect'),
        onDisconnect: (c, error) => {
          events.push(`disconnect ${error?.code ?? 'null'}`);
          duringGap ??= settle(c.call(1, 'queued'));
        },
      });
      const before = new TextDecoder().decode((await conn.call(1, 'hello')).payload);
      const dropped = await settle(conn.call(2, ''));
      const queued = await duringGap;
      const after = new TextDecoder().decode((await conn.call(1, 'again')).payload);
      await conn.close();
      return { events, before, dropped, queued: queued.ok ? new TextDecoder().decode(queued.value.payload) : queued.error, after, isClosed: conn.isClosed };
    }, env.urls[scheme]);
    assert.is(result.before, `hello on socket ${first}`);
    assert.equal([result.dropped.ok, result.dropped.error.code], [false, 'ERR_CONN_CLOSED']);
    assert.is(result.queued, `queued on socket ${first + 1}`);
    assert.is(result.after, `again on socket ${first + 1}`);
    // onConnect fires for the first socket too (it is set before connect() resolves).
    assert.equal(result.events, ['connect', 'disconnect null', 'connect', 'disconnect null']);
    assert.is(result.isClosed, true);
  });

  test(`${scheme}: a kicked page connection does not reconnect; its close reason is ERR_KICKED`, async () => {
    const result = await env.page.evaluate(async (url) => {
      let connects = 0;
      const older = await qrpc.connect(url, { reconnect: { backoffMs: 20 }, onConnect: () => connects++ });
      await older.call(3, 'alice');
      const newer = await qrpc.connect(url);
      await newer.call(3, 'alice');
      await older.closed;
      const late = await settle(older.call(1, 'late'));
      await newer.close();
      return { connects, reason: older.closeReason?.code, late: late.error.code, isClosed: older.isClosed };
    }, env.urls[scheme]);
    assert.equal(result, { connects: 1, reason: 'ERR_KICKED', late: 'ERR_CONN_CLOSED', isClosed: true });
  });
}

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));
test.after(() => env.close());
test.run();
