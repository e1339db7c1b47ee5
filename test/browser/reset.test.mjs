// Resets and aborts from the page in real Chromium: conn.reset(id) and an
// aborted AbortSignal cancel the server's handler (its signal fires with the
// reset reason); timeoutMs does too; a server reset fails the page's call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';
import { deferred } from '../helpers.mjs';

let started = deferred();
let cancelled = deferred();
let startedCount = 0;
const mux = new ServeMux();
// cmd 6: never answers, only waits to be cancelled; reports when it started and why it was cancelled.
mux.handle(6, async (_w, req) => {
  const aborted = new Promise((resolve) => req.signal.addEventListener('abort', resolve));
  startedCount++;
  started.resolve(req.requestId);
  await aborted;
  cancelled.resolve({ code: req.signal.reason?.code, reason: req.signal.reason?.reason, id: req.requestId });
});
// cmd 7: answers with a reset whose reason is 42.
mux.handle(7, (w, req) => w.resetFrame(req.requestId, 42));

const env = await startBrowserEnv(mux);

function fresh() {
  started = deferred();
  cancelled = deferred();
}

for (const scheme of SCHEMES) {
  test(`${scheme}: conn.reset(id, 5) cancels the handler with reason 5 and fails the page's response`, async () => {
    fresh();
    await env.page.evaluate(async (url) => {
      window.conn = await qrpc.connect(url);
      const { requestId, response } = window.conn.streamRequest(6, 0, 'x');
      window.pending = settle(response.frame());
      window.requestId = requestId;
    }, env.urls[scheme]);
    const id = await started.promise;
    await env.page.evaluate(() => window.conn.reset(window.requestId, 5));
    assert.equal(await cancelled.promise, { code: 'ERR_STREAM_RESET', reason: 5, id });
    const outcome = await env.page.evaluate(async () => {
      const r = await window.pending;
      await window.conn.close();
      return r;
    });
    assert.is(outcome.ok, false);
    assert.is(outcome.error.code, 'ERR_STREAM_RESET');
  });

  test(`${scheme}: aborting the call's AbortSignal fails it with ERR_ABORTED and resets the handler`, async () => {
    fresh();
    await env.page.evaluate(async (url) => {
      window.conn = await qrpc.connect(url);
      window.controller = new AbortController();
      window.pending = settle(window.conn.call(6, 'x', { signal: window.controller.signal }));
    }, env.urls[scheme]);
    await started.promise;
    const outcome = await env.page.evaluate(async () => {
      window.controller.abort();
      return window.pending;
    });
    assert.equal(outcome.ok, false);
    assert.is(outcome.error.code, 'ERR_ABORTED');
    assert.is((await cancelled.promise).code, 'ERR_STREAM_RESET');
    await env.page.evaluate(() => window.conn.close());
  });

  test(`${scheme}: timeoutMs fails the call with ERR_TIMEOUT and resets the handler`, async () => {
    fresh();
    const outcome = await env.page.evaluate(async (url) => {
      const conn = await qrpc.connect(url);
      const r = await settle(conn.call(6, 'x', { timeoutMs: 50 }));
      window.conn = conn;
      return r;
    }, env.urls[scheme]);
    assert.is(outcome.error.code, 'ERR_TIMEOUT');
    assert.is((await cancelled.promise).code, 'ERR_STREAM_RESET');
    await env.page.evaluate(() => window.conn.close());
  });

  test(`${scheme}: a reset from the server fails the call with ERR_STREAM_RESET carrying the reason`, async () => {
    const outcome = await env.page.evaluate(async (url) => {
      const conn = await qrpc.connect(url);
      const r = await settle(conn.call(7, 'x'));
      await conn.close();
      return r;
    }, env.urls[scheme]);
    assert.equal([outcome.ok, outcome.error.code, outcome.error.reason], [false, 'ERR_STREAM_RESET', 42]);
  });
}

test('an already aborted signal sends nothing and fails at once', async () => {
  const before = startedCount;
  const outcome = await env.page.evaluate(async (url) => {
    const conn = await qrpc.connect(url);
    const r = await settle(conn.call(6, 'x', { signal: AbortSignal.abort() }));
    // A marker request after it: had the aborted one been sent, cmd 6 would have started first.
    const marker = await settle(conn.call(7, 'marker'));
    await conn.close();
    return { r, marker };
  }, env.urls.ws);
  assert.is(outcome.r.error.code, 'ERR_ABORTED');
  assert.is(outcome.marker.error.reason, 42);
  assert.is(startedCount, before, 'cmd 6 never reached the server');
});

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));
test.after(() => env.close());
test.run();
