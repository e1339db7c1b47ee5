// Per-environment state: a native server running in a worker thread (its own
// epoll set and loop), a native client on the main thread, and clean teardown
// when the worker exits or is terminated with connections open.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { nativeOrSkip, connect, recorder } from './_native.mjs';

const native = nativeOrSkip('native worker');
const t = native?.transport;

const workerSource = `
import { parentPort, workerData } from 'node:worker_threads';
const { loadNativeTransport } = await import(workerData.load);
const { DEFAULT_SOCKET_OPTIONS } = await import(workerData.types);
const { transport, error } = loadNativeTransport();
if (!transport) throw new Error(error);
const conns = [];
const listener = await transport.listen({ ...DEFAULT_SOCKET_OPTIONS, host: '127.0.0.1', port: 0, backlog: 128, reusePort: false }, (conn) => {
  conns.push(conn);
  conn.attach({
    onFrame(hi, lo, flags, cmd, payload) {
      conn.writeFrame((BigInt(hi) << 32n) | BigInt(lo), flags, cmd + 1, Buffer.concat([Buffer.from('worker:'), payload]));
    },
    onDrain() {},
    onClose() {},
  });
});
parentPort.postMessage({ port: listener.port, epollFd: transport.loop.addon.stats().epollFd });
parentPort.on('message', async (m) => {
  if (m === 'close') {
    await listener.close();
    for (const c of conns) c.destroy();
    parentPort.close();
  }
});
`;

function startWorker() {
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`), {
    workerData: {
      load: new URL('../../dist/transport/native/load.js', import.meta.url).href,
      types: new URL('../../dist/transport/types.js', import.meta.url).href,
    },
  });
  const ready = new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return { w, ready };
}

if (t) {
  test('server in a worker thread, client on the main thread', async () => {
    const { w, ready } = startWorker();
    const { port, epollFd } = await ready;
    assert.is.not(epollFd, t.loop.addon.stats().epollFd, 'each thread has its own epoll set');
    const c = await connect(t, port);
    const rec = recorder();
    c.attach(rec);
    for (let i = 0; i < 100; i++) c.writeFrame(BigInt(i) * 2n + 1n, 8, i, Buffer.from(`msg ${i}`));
    await rec.until(() => rec.frames.length === 100);
    rec.frames.forEach((f, i) => {
      assert.is(f.id, BigInt(i) * 2n + 1n);
      assert.is(f.cmd, i + 1);
      assert.is(f.payload.toString(), `worker:msg ${i}`);
    });
    const exited = new Promise((r) => w.once('exit', r));
    w.postMessage('close');
    await rec.untilClosed();
    assert.is(rec.closed, null);
    assert.is(await exited, 0);
  });

  test('terminating a worker with open connections tears its loop down', async () => {
    const { w, ready } = startWorker();
    const { port } = await ready;
    const clients = [];
    for (let i = 0; i < 20; i++) {
      const c = await connect(t, port);
      const rec = recorder();
      c.attach(rec);
      c.writeFrame(1n, 0, 0, Buffer.from('ping'));
      clients.push(rec);
    }
    for (const rec of clients) await rec.until(() => rec.frames.length === 1);
    await w.terminate();
    for (const rec of clients) await rec.untilClosed();
    assert.ok(clients.every((r) => r.closed === null || r.closed.code === 'ERR_SOCKET'));
  });

  test('several workers in a row (load, serve, exit)', async () => {
    for (let i = 0; i < 4; i++) {
      const { w, ready } = startWorker();
      const { port } = await ready;
      const c = await connect(t, port);
      const rec = recorder();
      c.attach(rec);
      c.writeFrame(3n, 0, 0, Buffer.from('x'));
      await rec.until(() => rec.frames.length === 1);
      await w.terminate();
      await rec.untilClosed();
    }
  });
}

test.run();
