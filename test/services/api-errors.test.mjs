// Api bad input and budgets: every wrong argument has a stable code; a pending call never hangs (timeout, abort, close).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Api, Flags } from '../../dist/index.js';
import { rejection, until } from '../helpers.mjs';
import { namedServers, stopAll, WHO } from './api-servers.mjs';

const HANG = 4;

test('constructor and add() reject bad input with ERR_INVALID_ARG', () => {
  const code = (fn) => {
    try {
      fn();
    } catch (err) {
      return err.code;
    }
    return 'no error';
  };
  assert.is(code(() => new Api('127.0.0.1:1')), 'ERR_INVALID_ARG', 'a lone string');
  assert.is(code(() => new Api(['127.0.0.1:1'], { weights: [1, 2] })), 'ERR_INVALID_ARG', 'weights of another length');
  assert.is(code(() => new Api(['127.0.0.1:1'], { weights: [-1] })), 'ERR_INVALID_ARG', 'a negative weight');
  assert.is(code(() => new Api(['127.0.0.1:1', '127.0.0.1:1'])), 'ERR_INVALID_ARG', 'a duplicate');
  assert.is(code(() => new Api(['no-port'])), 'ERR_INVALID_ARG', 'an address without a port');
  assert.is(code(() => new Api([42])), 'ERR_INVALID_ARG', 'not a string');
  assert.is(code(() => new Api([], { reconnect: true })), 'ERR_INVALID_ARG', 'reconnect is the Api\'s own job');
  assert.is(code(() => new Api([], { virtualNodes: 0 })), 'ERR_INVALID_ARG');
});

test('a hanging handler: timeoutMs fails with ERR_TIMEOUT and resets the request; an aborted signal with ERR_ABORTED; close() fails what is pending with ERR_CONN_CLOSED', async () => {
  const cancelled = [];
  let entered = 0;
  const servers = await namedServers(1, (mux) =>
    mux.handle(HANG, (w, req) => {
      entered++;
      return new Promise((resolve) => req.signal.addEventListener('abort', () => resolve(cancelled.push(req.requestId))));
    }),
  );
  const api = new Api([servers[0].addr]);
  try {
    // Connected first: the 50 ms must go to the call, not to a connect on a loaded machine.
    await api.ready();
    const timedOut = await rejection(api.call(HANG, 'x', { timeoutMs: 50 }));
    assert.is(timedOut.code, 'ERR_TIMEOUT');
    await until(() => cancelled.length === 1, 'the server handler was cancelled by the reset');

    const controller = new AbortController();
    const aborted = api.call(HANG, 'x', { signal: controller.signal });
    controller.abort();
    assert.is((await rejection(aborted)).code, 'ERR_ABORTED');
    assert.is((await rejection(api.call(WHO, 'x', { signal: controller.signal }))).code, 'ERR_ABORTED', 'already aborted: nothing sent');
    assert.is((await rejection(api.call(WHO, 'x', { flags: Flags.Push }))).code, 'ERR_INVALID_ARG', 'a push has no answer');
    assert.is((await rejection(api.call(-1, 'x'))).code, 'ERR_INVALID_CMD');
    assert.is((await rejection(api.call(WHO, 12))).code, 'ERR_INVALID_ARG', 'a number payload');
    assert.is(servers[0].handled, 0, 'none of those reached cmd 1');

    const pending = api.callOne(servers[0].addr, HANG, 'x');
    pending.catch(() => {});
    await until(() => entered === 2, 'the pending call reached the server');
    await api.close();
    assert.is((await rejection(pending)).code, 'ERR_CONN_CLOSED');
    assert.is((await rejection(api.call(WHO, 'x'))).code, 'ERR_CONN_CLOSED', 'after close');
    assert.is((await rejection(api.add('127.0.0.1:1'))).code, 'ERR_CONN_CLOSED', 'add after close');
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test.run();
