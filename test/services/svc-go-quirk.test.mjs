// Go's codegen service handler closes the connection after every error
// answer. Against a server that does that (a raw handler here), the call
// fails with the remote error and the next call goes through on the
// reconnected connection, including one sent before the close was seen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, serviceClient, decodeRpcRequest } from '../../dist/index.js';
import { rejection, startServer, deferred } from '../helpers.mjs';

/** Go's ServiceHandler for calc:add and calc:fail, quirk included: write the error answer, then frame.Close(). */
function goLikeMux() {
  const mux = new ServeMux();
  mux.handle(10000, async (w, req) => {
    const { NS, method, params } = decodeRpcRequest(req.payload);
    if (`${NS}:${method}` === 'calc:add') {
      const { a, b } = JSON.parse(params.toString());
      await w.reply(req.requestId, req.cmd, JSON.stringify({ sum: a + b }));
      return;
    }
    await w.reply(req.requestId, 10001, method === 'fail' ? 'boom' : 'no such service');
    req.close();
  });
  return mux;
}

async function withGoLikeServer(fn) {
  let accepted = 0;
  const { server, addr } = await startServer(goLikeMux(), { onAccept: () => (accepted++, true) });
  const disconnects = [];
  let wake = null;
  const conn = await connect(addr, {
    reconnect: { backoffMs: 10 },
    whileDisconnected: 'wait',
    onDisconnect: () => {
      disconnects.push(1);
      wake?.();
    },
  });
  try {
    await fn({ conn, accepted: () => accepted, disconnected: () => new Promise((resolve) => (disconnects.length ? resolve() : (wake = resolve))) });
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
}

test('the call fails with ERR_REMOTE "boom"; the next call, sent at once, succeeds on a new connection', async () => {
  await withGoLikeServer(async ({ conn, accepted }) => {
    const calc = serviceClient(conn, 'calc');
    assert.equal(await calc.add({ a: 1, b: 2 }), { sum: 3 });
    const err = await rejection(calc.fail());
    assert.equal([err.code, err.message], ['ERR_REMOTE', 'boom']);
    assert.equal(await calc.add({ a: 20, b: 22 }), { sum: 42 });
    assert.is(accepted(), 2, 'the server closed the first connection and the client came back');
  });
});

test('after the close is seen, the next call waits for the reconnect and succeeds', async () => {
  await withGoLikeServer(async ({ conn, accepted, disconnected }) => {
    const calc = serviceClient(conn, 'calc');
    const err = await rejection(calc.nothing());
    assert.equal([err.code, err.message], ['ERR_REMOTE', 'no such service']);
    await disconnected();
    assert.equal(await calc.add({ a: 2, b: 2 }), { sum: 4 });
    assert.is(accepted(), 2);
  });
});

test('without an error answer before it, a call cut by a close is not retried (ERR_CONN_CLOSED)', async () => {
  const mux = new ServeMux();
  const started = deferred();
  mux.handle(10000, (_w, req) => {
    started.resolve();
    req.close();
  });
  const { server, addr } = await startServer(mux);
  let calls = 0;
  const conn = await connect(addr);
  try {
    const counting = { call: (...args) => (calls++, conn.call(...args)) };
    const err = await rejection(serviceClient(counting, 'calc').add({ a: 1, b: 1 }));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    assert.is(calls, 1);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
