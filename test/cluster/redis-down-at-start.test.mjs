// Redis down at start: listen() fails with ERR_BROKER (nothing listens, no degraded mode) and the server
// can listen once Redis is up. Bad broker options are refused when the broker is made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { redisBroker } from '../../dist/index.js';
import { Server } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { startRedis } from './redis-process.mjs';
import { loginMux } from './cluster-helpers.mjs';

function refused(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

test('listen() rejects with ERR_BROKER while Redis is down, nothing listens; a retry works once Redis is up', async () => {
  const redis = await startRedis();
  await redis.kill();
  const server = new Server([{ addr: '127.0.0.1:0', handler: loginMux() }], { broker: redisBroker({ url: redis.url, connectTimeoutMs: 1000 }) });
  try {
    const err = await rejection(server.listen());
    assert.is(err.code, 'ERR_BROKER');
    assert.match(err.message, `127.0.0.1:${redis.port}`);
    assert.is((() => { try { server.address(0); } catch (e) { return e.code; } })(), 'ERR_INVALID_ARG', 'no listener came up');
    await redis.restart();
    await server.listen();
    assert.is(await refused(server.address(0).port), false);
    assert.equal(await server.cluster.lookup(0, 'x'), { online: false, node: null, local: false });
  } finally {
    await server.shutdown({ timeoutMs: 200 });
    await redis.stop();
  }
});

test('bad broker options are refused with ERR_INVALID_ARG', () => {
  for (const options of [{ url: 'http://x' }, { idTtlMs: 0 }, { ackTimeoutMs: -1 }, { prefix: '' }, { connectTimeoutMs: 'soon' }]) {
    assert.is((() => { try { redisBroker(options); } catch (e) { return e.code; } })(), 'ERR_INVALID_ARG', JSON.stringify(options));
  }
});

test('a broker serves one server: a second server on the same broker fails to listen', async () => {
  const redis = await startRedis();
  const broker = redisBroker({ url: redis.url });
  const one = new Server([{ addr: '127.0.0.1:0', handler: loginMux() }], { broker });
  const two = new Server([{ addr: '127.0.0.1:0', handler: loginMux() }], { broker });
  try {
    await one.listen();
    assert.is((await rejection(two.listen())).code, 'ERR_INVALID_ARG');
  } finally {
    await one.shutdown({ timeoutMs: 200 });
    await two.shutdown({ timeoutMs: 200 });
    await redis.stop();
  }
});

test.run();
