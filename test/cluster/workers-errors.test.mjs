// serveWorkers refuses bad options (ERR_INVALID_ARG) and reports a worker
// that cannot start (ERR_WORKER, with the worker's own error), leaving no
// worker process behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import cluster from 'node:cluster';
import { MachineBroker, serveWorkers } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';

const module = new URL('./fixtures/worker-server.mjs', import.meta.url);
const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((w) => w && w.process.exitCode === null && w.process.signalCode === null);

test('bad options: ERR_INVALID_ARG', async () => {
  for (const bad of [{ workers: 0, module }, { workers: 1.5, module }, { workers: 2 }, { workers: 2, module: 42 }]) {
    const err = await rejection(serveWorkers(bad));
    assert.is(err.code, 'ERR_INVALID_ARG', JSON.stringify(bad));
  }
});

test('a module that throws: ERR_WORKER with its message', async () => {
  const err = await rejection(serveWorkers({ workers: 2, module, env: { FIXTURE_WORKER_FAIL: 'throw' } }));
  assert.is(err.code, 'ERR_WORKER');
  assert.match(err.message, 'failed to start: Error: fixture: cannot start');
  assert.equal(liveWorkers(), []);
});

test('a module whose default export returns no Server: ERR_WORKER', async () => {
  const err = await rejection(serveWorkers({ workers: 1, module, env: { FIXTURE_WORKER_FAIL: 'no-server' } }));
  assert.is(err.code, 'ERR_WORKER');
  assert.match(err.message, 'did not return a qrpc Server');
});

test('a module that does not exist: ERR_WORKER', async () => {
  const err = await rejection(serveWorkers({ workers: 1, module: new URL('./fixtures/none.mjs', import.meta.url) }));
  assert.is(err.code, 'ERR_WORKER');
  assert.match(err.message, /Cannot find module|ERR_MODULE_NOT_FOUND/);
});

test('the machine broker outside a worker: ERR_BROKER, and stop() after it is a no-op', async () => {
  const broker = new MachineBroker();
  const node = { nodeId: 'n', heldIds: () => [], deliverToIds: () => [], deliverToAll: () => 0, deliverToRoom: () => 0, kick: async () => false, roomSize: () => 0 };
  const err = await rejection(broker.start(node));
  assert.is(err.code, 'ERR_BROKER');
  assert.match(err.message, 'serveWorkers() worker only');
  assert.is((await rejection(broker.lookup(0, 'x'))).code, 'ERR_BROKER');
  await broker.stop();
  await broker.stop();
});

test.run();
