// A typed call takes `signal` and `timeoutMs` as call() does: it fails with
// ERR_ABORTED / ERR_TIMEOUT and the reset reaches the method's ctx.signal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, defineService, registerServices, serviceClient } from '../../dist/index.js';
import { rejection, withServerAndClient, deferred } from '../helpers.mjs';

/** A service whose `wait` runs until its caller gives up, reporting started / cancelled. */
function waitingService() {
  const started = deferred();
  const cancelled = deferred();
  const svc = defineService('slow', {
    wait: (_input, ctx) => {
      started.resolve();
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => {
        cancelled.resolve(ctx.signal.reason.code);
        reject(ctx.signal.reason);
      }));
    },
  });
  return { mux: registerServices(new ServeMux(), [svc]), started, cancelled };
}

test('aborting the signal fails the call with ERR_ABORTED and cancels the method', async () => {
  const { mux, started, cancelled } = waitingService();
  await withServerAndClient(mux, async ({ conn }) => {
    const ac = new AbortController();
    const pending = serviceClient(conn, 'slow').wait(null, { signal: ac.signal });
    await started.promise;
    ac.abort();
    assert.is((await rejection(pending)).code, 'ERR_ABORTED');
    assert.is(await cancelled.promise, 'ERR_STREAM_RESET');
  });
});

test('timeoutMs fails the call with ERR_TIMEOUT and cancels the method', async () => {
  const { mux, started, cancelled } = waitingService();
  await withServerAndClient(mux, async ({ conn }) => {
    const pending = serviceClient(conn, 'slow').wait(null, { timeoutMs: 50 });
    await started.promise;
    assert.is((await rejection(pending)).code, 'ERR_TIMEOUT');
    assert.is(await cancelled.promise, 'ERR_STREAM_RESET');
  });
});

test('an already aborted signal sends nothing', async () => {
  const { mux } = waitingService();
  let calls = 0;
  mux.handle(1, () => {});
  await withServerAndClient(mux, async ({ conn }) => {
    const ac = new AbortController();
    ac.abort();
    const counting = { call: (...args) => (calls++, conn.call(...args)) };
    assert.is((await rejection(serviceClient(counting, 'slow').wait(null, { signal: ac.signal }))).code, 'ERR_ABORTED');
    assert.is(calls, 1);
    assert.is(conn.openStreams, 0, 'no request went out');
  });
});

test.run();
